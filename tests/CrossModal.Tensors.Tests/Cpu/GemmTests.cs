using System;
using System.Collections.Generic;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Tests.Reference;
using Xunit;

namespace CrossModal.Tensors.Tests.Cpu;

public class GemmTests
{
    // Relative part of the tolerance: a few fp32 ulps of the result.
    private const float Rtol = 1e-5f;

    // Sentinel in the padding of C's rows (ldc > n): the GEMM must leave it alone.
    private const float Untouched = 12345f;

    /// <summary>The four layouts: (transposeA, transposeB).</summary>
    public static TheoryData<bool, bool> Layouts => new() { { false, false }, { false, true }, { true, false }, { true, true } };

    /// <summary>
    /// Every value 1…67 appears once as m, once as n and once as k (two coprime-stride permutations of 1…67), plus
    /// sizes on both sides of the block boundaries of the two kernels (Mr 6/12, Nr 16/32, Kc 256/384, Mc 144, Nc 4064/4080) and
    /// two larger shapes that take the multi-threaded path.
    /// </summary>
    public static IEnumerable<(int M, int N, int K)> Shapes()
    {
        for (var v = 1; v <= 67; v++)
        {
            yield return (v, (v * 17 % 67) + 1, (v * 29 % 67) + 1);
        }

        yield return (5, 15, 255);
        yield return (6, 16, 256);
        yield return (7, 17, 257);
        yield return (6, 16, 383);
        yield return (7, 15, 384);
        yield return (5, 17, 385);
        yield return (11, 31, 511);
        yield return (13, 33, 513);
        yield return (143, 47, 20);
        yield return (145, 65, 9);
        yield return (289, 3, 5);
        yield return (3, 4081, 2);
        yield return (150, 140, 100);
        yield return (300, 130, 520);
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Vector256_kernel_matches_reference_over_odd_sizes(bool ta, bool tb) => CheckShapes(ta, tb, GemmKernel.Vector256);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Default_kernel_matches_reference_over_odd_sizes(bool ta, bool tb) => CheckShapes(ta, tb, GemmKernel.Auto);

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Vector512_kernel_matches_reference(bool ta, bool tb)
    {
        // Where 512-bit vectors are not accelerated the JIT emulates them (slowly but exactly), so the AVX-512 kernel
        // is checked everywhere, on fewer shapes: both sides of its Mr = 12 and Nr = 32, and a second depth block.
        (int M, int N, int K)[] shapes = [(1, 1, 1), (11, 31, 7), (12, 32, 9), (13, 33, 17), (25, 65, 3), (24, 64, 257), (37, 5, 2)];
        for (var i = 0; i < shapes.Length; i++)
        {
            var (m, n, k) = shapes[i];
            Check(ta, tb, m, n, k, Alphas[i % 3], Betas[i % 3], pad: 3, GemmKernel.Vector512, Gemm.DefaultThreads, seed: i);
        }
    }

    [Fact]
    public void Result_is_bitwise_identical_for_any_thread_count()
    {
        // Threads split rows and columns, never the depth, so each element is summed in the same order.
        const int m = 257, n = 300, k = 300;
        var rng = new Random(11);
        var a = RandomValues(rng, m * k);
        var b = RandomValues(rng, k * n);
        var one = new float[m * n];
        var all = new float[m * n];
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, one, n, maxThreads: 1);
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, all, n, maxThreads: Gemm.DefaultThreads);
        Assert.Equal(one, all);
    }

    [Fact]
    public void Concurrent_callers_get_correct_results()
    {
        // Callers that find the worker pool busy run on their own thread; all of them must still be right.
        const int m = 200, n = 190, k = 180, callers = 4;
        var rng = new Random(13);
        var a = RandomValues(rng, m * k);
        var b = RandomValues(rng, k * n);
        var expected = new float[m * n];
        Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, expected, n, maxThreads: 1);
        var results = new float[callers][];
        System.Threading.Tasks.Parallel.For(0, callers, i =>
        {
            for (var rep = 0; rep < 5; rep++)
            {
                results[i] = new float[m * n];
                Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, results[i], n);
            }
        });
        foreach (var r in results)
        {
            Assert.Equal(expected, r);
        }
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Batched_matches_reference_for_many_small_and_few_large_products(bool ta, bool tb)
    {
        CheckBatched(ta, tb, batch: 5, m: 9, n: 21, k: 13, seed: 1);
        CheckBatched(ta, tb, batch: 3, m: 130, n: 70, k: 260, seed: 2);
        CheckBatched(ta, tb, batch: 8, m: 64, n: 64, k: 64, seed: 3);
    }

    [Fact]
    public void Zero_depth_or_zero_alpha_scales_C_by_beta_without_reading_A_or_B()
    {
        var c = new[] { 1f, 2f, float.NaN, 4f };
        var nan = new[] { float.NaN, float.NaN };
        Gemm.Multiply(false, false, 2, 1, 0, 1f, [], 1, [], 1, 0.5f, c.AsSpan(0, 3), 2);
        Assert.Equal(new[] { 0.5f, 2f, float.NaN, 4f }, c);
        Gemm.Multiply(false, false, 1, 2, 1, 0f, nan, 1, nan, 2, 0f, c, 2);
        Assert.Equal(new[] { 0f, 0f, float.NaN, 4f }, c);
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        var x = new float[12];
        var e1 = Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, 2, 3, 4, 1f, x, 3, x, 3, 0f, x, 3));
        Assert.Equal("lda", e1.ParamName);
        var e2 = Assert.Throws<ArgumentException>(() => Gemm.Multiply(false, true, 3, 4, 4, 1f, x, 4, new float[15], 4, 0f, x, 4));
        Assert.Equal("b", e2.ParamName);
        Assert.Contains("need 16", e2.Message, StringComparison.Ordinal);
        var e3 = Assert.Throws<ArgumentOutOfRangeException>(() =>
            Gemm.MultiplyBatched(false, false, 2, 2, 2, 1f, x, 2, 4, x, 2, 4, 0f, x, 2, 3, 2));
        Assert.Equal("strideC", e3.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Gemm.Multiply(false, false, -1, 2, 2, 1f, x, 2, x, 2, 0f, x, 2));
    }

    private static readonly float[] Alphas = [1f, 0.75f, -2f];
    private static readonly float[] Betas = [0f, 1f, -1.5f];

    private static void CheckShapes(bool ta, bool tb, GemmKernel kernel)
    {
        var i = 0;
        foreach (var (m, n, k) in Shapes())
        {
            Check(ta, tb, m, n, k, Alphas[i % 3], Betas[(i / 3) % 3], pad: i % 4, kernel, Gemm.DefaultThreads, seed: i);
            i++;
        }
    }

    /// <summary>
    /// One product with leading dimensions <paramref name="pad"/> wider than the rows: the padding of A and B holds
    /// NaN (it must not be read) and C's padding a sentinel (it must not be written); with β = 0, C starts as NaN.
    /// </summary>
    private static void Check(bool ta, bool tb, int m, int n, int k, float alpha, float beta, int pad, GemmKernel kernel, int threads, int seed)
    {
        var rng = new Random(seed);
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
        var a = RandomMatrix(rng, aRows, aCols, lda, float.NaN);
        var b = RandomMatrix(rng, bRows, bCols, ldb, float.NaN);
        var c = RandomMatrix(rng, m, n, ldc, Untouched);
        if (beta == 0f)
        {
            for (var i = 0; i < m; i++)
            {
                c.AsSpan(i * ldc, n).Fill(float.NaN);
            }
        }

        var expected = (float[])c.Clone();
        ReferenceKernels.Gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, expected, ldc);
        Gemm.MultiplyBatched(ta, tb, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1, threads, kernel);
        Assertions.Close(expected, c, Atol(k, alpha), Rtol, $"{kernel} {(ta ? "Aᵀ" : "A")}·{(tb ? "Bᵀ" : "B")} m={m} n={n} k={k} α={alpha} β={beta} pad={pad}");
    }

    private static void CheckBatched(bool ta, bool tb, int batch, int m, int n, int k, int seed)
    {
        var rng = new Random(seed);
        int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
        int lda = aCols + 1, ldb = bCols + 2, ldc = n + 3;

        // Gaps between the matrices as well as inside them.
        int strideA = (aRows * lda) + 7, strideB = (bRows * ldb) + 5, strideC = (m * ldc) + 3;
        var a = RandomValues(rng, batch * strideA);
        var b = RandomValues(rng, batch * strideB);
        var c = RandomValues(rng, batch * strideC);
        var expected = (float[])c.Clone();
        const float alpha = 0.5f, beta = 2f;
        ReferenceKernels.GemmBatched(ta, tb, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, expected, ldc, strideC, batch);
        Gemm.MultiplyBatched(ta, tb, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch);
        Assertions.Close(expected, c, Atol(k, alpha), Rtol, $"batched {(ta ? "Aᵀ" : "A")}·{(tb ? "Bᵀ" : "B")} {batch}×{m}×{n}×{k}");
    }

    /// <summary>
    /// Absolute tolerance for sums of k products of values in [−1, 1] accumulated in fp32 in blocked order against
    /// a double-precision reference: rounding grows with the depth (about √k·ε·|terms| in practice, bounded by k·ε).
    /// </summary>
    private static float Atol(int k, float alpha) => 2e-6f * (k + 1) * Math.Max(1f, Math.Abs(alpha));

    private static float[] RandomMatrix(Random rng, int rows, int cols, int ld, float padding)
    {
        var values = new float[Math.Max(1, rows * ld)];
        Array.Fill(values, padding);
        for (var i = 0; i < rows; i++)
        {
            for (var j = 0; j < cols; j++)
            {
                values[(i * ld) + j] = (float)((rng.NextDouble() * 2) - 1);
            }
        }

        return values;
    }

    internal static float[] RandomValues(Random rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return values;
    }
}
