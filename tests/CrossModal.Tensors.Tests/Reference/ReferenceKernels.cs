using System;

namespace CrossModal.Tensors.Tests.Reference;

/// <summary>Slow scalar twins of the fast kernels, the reference each fast kernel is checked against. Accumulate in double so they are the better answer.</summary>
internal static class ReferenceKernels
{
    /// <summary>C = α·op(A)·op(B) + β·C, row-major, one matrix.</summary>
    public static void Gemm(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = transposeA ? a[p * lda + i] : a[i * lda + p];
                    var bv = transposeB ? b[j * ldb + p] : b[p * ldb + j];
                    sum += (double)av * bv;
                }

                var prior = beta == 0f ? 0.0 : beta * (double)c[i * ldc + j];
                c[i * ldc + j] = (float)(alpha * sum + prior);
            }
        }
    }

    /// <summary>For each z: C_z = α·op(A_z)·op(B_z) + β·C_z with A_z at z·strideA (likewise B, C).</summary>
    public static void GemmBatched(
        bool transposeA, bool transposeB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, int strideA, ReadOnlySpan<float> b, int ldb, int strideB,
        float beta, Span<float> c, int ldc, int strideC, int batch)
    {
        for (var z = 0; z < batch; z++)
        {
            Gemm(transposeA, transposeB, m, n, k, alpha, a[(z * strideA)..], lda, b[(z * strideB)..], ldb, beta, c[(z * strideC)..], ldc);
        }
    }
}
