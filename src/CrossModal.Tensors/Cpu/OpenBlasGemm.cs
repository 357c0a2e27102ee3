using System;
using System.Threading;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// The optional OpenBLAS GEMM provider: the same contract as <see cref="Gemm"/>, computed by OpenBLAS's
/// <c>cblas_sgemm</c> (row-major). OpenBLAS is loaded on first use from <c>libopenblas.so.0</c>; where it is absent
/// <see cref="IsAvailable"/> is false and the multiply methods throw.
/// </summary>
public static class OpenBlasGemm
{
    private static int s_threads;

    /// <summary>Whether OpenBLAS could be loaded.</summary>
    public static bool IsAvailable => NativeMethods.TryLoadOpenBlas();

    /// <summary>Why OpenBLAS could not be loaded (naming the package to install), or null when it is available.</summary>
    public static string? LoadError => IsAvailable ? null : NativeMethods.OpenBlasLoadError;

    /// <summary>The kernel family OpenBLAS selected for this CPU (e.g. <c>Haswell</c>, <c>SkylakeX</c>, <c>Zen</c>), or null.</summary>
    public static unsafe string? CoreName => IsAvailable && NativeMethods.OpenBlasGetCorename != null
        ? System.Runtime.InteropServices.Marshal.PtrToStringUTF8((nint)NativeMethods.OpenBlasGetCorename())
        : null;

    /// <summary>One GEMM, <c>C = α·op(A)·op(B) + β·C</c>; arguments as in <see cref="Gemm.Multiply(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, ReadOnlySpan{float}, int, float, Span{float}, int, int)"/>.</summary>
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
    /// <param name="maxThreads">Threads OpenBLAS may use.</param>
    public static void Multiply(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc, int maxThreads)
        => MultiplyBatched(transposeA, transposeB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1, maxThreads);

    /// <summary>Batched strided GEMM (one <c>cblas_sgemm</c> per product); arguments as in <see cref="Gemm.MultiplyBatched(bool, bool, int, int, int, float, ReadOnlySpan{float}, int, long, ReadOnlySpan{float}, int, long, float, Span{float}, int, long, int, int)"/>.</summary>
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
    /// <param name="maxThreads">Threads OpenBLAS may use.</param>
    public static unsafe void MultiplyBatched(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, long strideA,
        ReadOnlySpan<float> b, int ldb, long strideB,
        float beta, Span<float> c, int ldc, long strideC, int batch, int maxThreads)
    {
        if (!IsAvailable)
        {
            throw new InvalidOperationException(NativeMethods.OpenBlasLoadError);
        }

        Gemm.Validate(transposeA, transposeB, m, n, k, a.Length, lda, strideA, b.Length, ldb, strideB, c.Length, ldc, strideC, batch, maxThreads);
        if (m == 0 || n == 0 || batch == 0)
        {
            return;
        }

        // openblas_set_num_threads is process-wide and not free; call it only when the count changes.
        if (Interlocked.Exchange(ref s_threads, maxThreads) != maxThreads)
        {
            NativeMethods.OpenBlasSetNumThreads(maxThreads);
        }

        var ta = transposeA ? NativeMethods.CblasTrans : NativeMethods.CblasNoTrans;
        var tb = transposeB ? NativeMethods.CblasTrans : NativeMethods.CblasNoTrans;
        fixed (float* pa = a)
        fixed (float* pb = b)
        fixed (float* pc = c)
        {
            for (var z = 0; z < batch; z++)
            {
                NativeMethods.CblasSgemm(
                    NativeMethods.CblasRowMajor, ta, tb, m, n, k, alpha,
                    pa + (z * strideA), lda, pb + (z * strideB), ldb, beta, pc + (z * strideC), ldc);
            }
        }
    }
}
