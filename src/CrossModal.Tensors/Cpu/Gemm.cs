using System;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// Single-precision general matrix multiply on the CPU. Effectively computes
/// <c>C[i, j] = α·Σ_p op(A)[i, p]·op(B)[p, j] + β·C[i, j]</c> for row-major operands.
/// </summary>
public static class Gemm
{
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
        => MultiplyBatched(transposeA, transposeB, m, n, k, alpha, a, lda, 0, b, ldb, 0, beta, c, ldc, 0, 1);

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
    {
        // Placeholder implementation (correct, slow); replaced by the blocked, packed SIMD kernel.
        for (var z = 0; z < batch; z++)
        {
            var az = a[(int)(z * strideA)..];
            var bz = b[(int)(z * strideB)..];
            var cz = c[(int)(z * strideC)..];
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < n; j++)
                {
                    var sum = 0f;
                    for (var p = 0; p < k; p++)
                    {
                        var av = transposeA ? az[p * lda + i] : az[i * lda + p];
                        var bv = transposeB ? bz[j * ldb + p] : bz[p * ldb + j];
                        sum += av * bv;
                    }

                    ref var cv = ref cz[i * ldc + j];
                    cv = beta == 0f ? alpha * sum : alpha * sum + beta * cv;
                }
            }
        }
    }
}
