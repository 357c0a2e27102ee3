using System;
using System.Runtime.Intrinsics;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// Single-precision general matrix multiply on the CPU. Effectively computes
/// <c>C[i, j] = α·Σ_p op(A)[i, p]·op(B)[p, j] + β·C[i, j]</c> for row-major operands.
/// </summary>
/// <remarks>
/// A blocked, packed, multi-threaded kernel in the BLIS/GotoBLAS style: a 12×32 <see cref="Vector512{T}"/>
/// microkernel where 512-bit vectors are hardware accelerated, else a 6×16 <see cref="Vector256{T}"/> one, with fused
/// multiply-add, operands packed into cache-sized blocks (transposes absorbed by the packing), and threads from a
/// persistent pool. A call allocates nothing once each calling thread has run its first GEMM. Summation order
/// differs from a naive loop, so results agree with it to rounding, not bit for bit.
/// </remarks>
public static class Gemm
{
    /// <summary>The SIMD width in bits of the microkernel this machine runs (512 or 256).</summary>
    public static int VectorBits => Resolve(GemmKernel.Auto) == GemmKernel.Vector512 ? 512 : 256;

    /// <summary>Threads a call uses by default: one per logical processor.</summary>
    public static int DefaultThreads => Environment.ProcessorCount;

    /// <summary>One GEMM: <c>C = α·op(A)·op(B) + β·C</c>.</summary>
    /// <param name="transposeA">A is stored (K, M) and used transposed.</param>
    /// <param name="transposeB">B is stored (N, K) and used transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A: (M, K) row-major with row stride <paramref name="lda"/>, or (K, M) when transposed.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">B: (K, N) row-major with row stride <paramref name="ldb"/>, or (N, K) when transposed.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="beta">Scale of C's previous contents; 0 means C is only written.</param>
    /// <param name="c">C: (M, N) with row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C.</param>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
        => MultiplyBatched(transposeA, transposeB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1, DefaultThreads);

    /// <summary>One GEMM on at most <paramref name="maxThreads"/> threads: <c>C = α·op(A)·op(B) + β·C</c>.</summary>
    /// <param name="transposeA">A is stored (K, M) and used transposed.</param>
    /// <param name="transposeB">B is stored (N, K) and used transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">A: (M, K) row-major with row stride <paramref name="lda"/>, or (K, M) when transposed.</param>
    /// <param name="lda">Row stride of A as stored.</param>
    /// <param name="b">B: (K, N) row-major with row stride <paramref name="ldb"/>, or (N, K) when transposed.</param>
    /// <param name="ldb">Row stride of B as stored.</param>
    /// <param name="beta">Scale of C's previous contents; 0 means C is only written.</param>
    /// <param name="c">C: (M, N) with row stride <paramref name="ldc"/>.</param>
    /// <param name="ldc">Row stride of C.</param>
    /// <param name="maxThreads">Most threads to use (1 = the calling thread only).</param>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int maxThreads)
        => MultiplyBatched(transposeA, transposeB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1, maxThreads);

    /// <summary>Batched strided GEMM: for each batch index z, <c>C_z = α·op(A_z)·op(B_z) + β·C_z</c>.</summary>
    /// <param name="transposeA">A is stored (K, M) and used transposed.</param>
    /// <param name="transposeB">B is stored (N, K) and used transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">All A matrices; A_z starts at <c>z·strideA</c>.</param>
    /// <param name="lda">Row stride of each A as stored.</param>
    /// <param name="strideA">Elements between consecutive A matrices.</param>
    /// <param name="b">All B matrices; B_z starts at <c>z·strideB</c>.</param>
    /// <param name="ldb">Row stride of each B as stored.</param>
    /// <param name="strideB">Elements between consecutive B matrices.</param>
    /// <param name="beta">Scale of C's previous contents.</param>
    /// <param name="c">All C matrices; C_z starts at <c>z·strideC</c>.</param>
    /// <param name="ldc">Row stride of each C.</param>
    /// <param name="strideC">Elements between consecutive C matrices.</param>
    /// <param name="batch">Number of products.</param>
    public static void MultiplyBatched(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA,
        ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch)
        => MultiplyBatched(transposeA, transposeB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch, DefaultThreads);

    /// <summary>
    /// Batched strided GEMM on at most <paramref name="maxThreads"/> threads: for each batch index z,
    /// <c>C_z = α·op(A_z)·op(B_z) + β·C_z</c>. Many small products (attention heads) are spread over the threads
    /// one product each; a few large ones are each shared by all threads.
    /// </summary>
    /// <param name="transposeA">A is stored (K, M) and used transposed.</param>
    /// <param name="transposeB">B is stored (N, K) and used transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="alpha">Scale of the product.</param>
    /// <param name="a">All A matrices; A_z starts at <c>z·strideA</c>.</param>
    /// <param name="lda">Row stride of each A as stored.</param>
    /// <param name="strideA">Elements between consecutive A matrices.</param>
    /// <param name="b">All B matrices; B_z starts at <c>z·strideB</c>.</param>
    /// <param name="ldb">Row stride of each B as stored.</param>
    /// <param name="strideB">Elements between consecutive B matrices.</param>
    /// <param name="beta">Scale of C's previous contents.</param>
    /// <param name="c">All C matrices; C_z starts at <c>z·strideC</c>; they must not overlap.</param>
    /// <param name="ldc">Row stride of each C.</param>
    /// <param name="strideC">Elements between consecutive C matrices.</param>
    /// <param name="batch">Number of products.</param>
    /// <param name="maxThreads">Most threads to use (1 = the calling thread only).</param>
    public static void MultiplyBatched(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA,
        ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch, int maxThreads)
        => MultiplyBatched(transposeA, transposeB, m, n, k, alpha, a, lda, strideA, b, ldb, strideB, beta, c, ldc, strideC, batch, maxThreads, GemmKernel.Auto);

    /// <summary>The full entry point; tests pick the microkernel with <paramref name="kernel"/>.</summary>
    internal static unsafe void MultiplyBatched(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA,
        ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch, int maxThreads, GemmKernel kernel)
    {
        Validate(transposeA, transposeB, m, n, k, a.Length, lda, strideA, b.Length, ldb, strideB, c.Length, ldc, strideC, batch, maxThreads);
        if (m == 0 || n == 0 || batch == 0)
        {
            return;
        }

        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            if (k == 0 || alpha == 0f)
            {
                // No product to add: C = β·C (β = 0 clears C without reading it). A and B are not read.
                for (var z = 0; z < batch; z++)
                {
                    ScaleC(pc + (z * strideC), m, n, ldc, beta);
                }

                return;
            }

            var problem = new GemmProblem
            {
                A = pa,
                B = pb,
                C = pc,
                Lda = lda,
                Ldb = ldb,
                Ldc = ldc,
                StrideA = strideA,
                StrideB = strideB,
                StrideC = strideC,
                TransposeA = transposeA,
                TransposeB = transposeB,
                M = m,
                N = n,
                K = k,
                Batch = batch,
                Alpha = alpha,
                Beta = beta,
                Kernel = Resolve(kernel),
            };
            GemmDriver.Run(ref problem, maxThreads);
        }
    }

    /// <summary>The kernel <paramref name="requested"/> resolves to on this machine.</summary>
    internal static GemmKernel Resolve(GemmKernel requested) => requested switch
    {
        GemmKernel.Auto => Vector512.IsHardwareAccelerated ? GemmKernel.Vector512 : GemmKernel.Vector256,
        _ => requested,
    };

    /// <summary>Checks sizes, strides and buffer lengths, naming the offending argument.</summary>
    internal static void Validate(
        bool transposeA, bool transposeB, int m, int n, int k,
        int aLength, int lda, long strideA, int bLength, int ldb, long strideB, int cLength, int ldc, long strideC,
        int batch, int maxThreads)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        ArgumentOutOfRangeException.ThrowIfNegative(strideA);
        ArgumentOutOfRangeException.ThrowIfNegative(strideB);
        ArgumentOutOfRangeException.ThrowIfNegative(strideC);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxThreads, 1);
        int aRows = transposeA ? k : m, aCols = transposeA ? m : k;
        int bRows = transposeB ? n : k, bCols = transposeB ? k : n;
        CheckOperand("a", "lda", aRows, aCols, aLength, lda, strideA, batch, transposeA ? "(K, M)" : "(M, K)");
        CheckOperand("b", "ldb", bRows, bCols, bLength, ldb, strideB, batch, transposeB ? "(N, K)" : "(K, N)");
        CheckOperand("c", "ldc", m, n, cLength, ldc, strideC, batch, "(M, N)");
        if (batch > 1 && m > 0 && n > 0 && strideC < ((long)(m - 1) * ldc) + n)
        {
            throw new ArgumentOutOfRangeException(
                nameof(strideC), $"strideC = {strideC} makes the {batch} C matrices of {m}×{n} (ldc {ldc}) overlap; it must be at least {((long)(m - 1) * ldc) + n}.");
        }
    }

    private static void CheckOperand(string name, string ldName, int rows, int cols, int length, int ld, long stride, int batch, string shape)
    {
        if (ld < Math.Max(1, cols))
        {
            throw new ArgumentOutOfRangeException(ldName, $"{ldName} = {ld} is smaller than the {cols} columns of {name} as stored {shape}.");
        }

        if (rows == 0 || cols == 0 || batch == 0)
        {
            return;
        }

        var needed = ((long)(batch - 1) * stride) + ((long)(rows - 1) * ld) + cols;
        if (length < needed)
        {
            throw new ArgumentException(
                $"{name} holds {length} elements but {batch} matrices of {rows}×{cols} as stored {shape} with row stride {ld} and batch stride {stride} need {needed}.",
                name);
        }
    }

    private static unsafe void ScaleC(float* c, int m, int n, nint ldc, float beta)
    {
        for (var i = 0; i < m; i++)
        {
            var row = new Span<float>(c + (i * ldc), n);
            if (beta == 0f)
            {
                row.Clear();
            }
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
            }
        }
    }
}
