using System;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Tests.Reference;
using Xunit;

namespace CrossModal.Tensors.Tests.Cpu;

public class OpenBlasGemmTests
{
    private const float Rtol = 1e-5f;

    [OpenBlasFact]
    public void Matches_reference_for_every_layout_alpha_beta_and_padding()
    {
        var i = 0;
        foreach (var (ta, tb) in new[] { (false, false), (false, true), (true, false), (true, true) })
        {
            foreach (var (m, n, k) in new[] { (1, 1, 1), (7, 17, 33), (67, 3, 45), (150, 140, 100) })
            {
                var rng = new Random(i);
                int aRows = ta ? k : m, aCols = ta ? m : k, bRows = tb ? n : k, bCols = tb ? k : n;
                int lda = aCols + 2, ldb = bCols + 1, ldc = n + 3;
                var a = GemmTests.RandomValues(rng, aRows * lda);
                var b = GemmTests.RandomValues(rng, bRows * ldb);
                var c = GemmTests.RandomValues(rng, m * ldc);
                var beta = i % 2 == 0 ? 0f : -1.5f;
                if (beta == 0f)
                {
                    // β = 0 must ignore C, NaN included (the BLAS convention the managed kernel also keeps).
                    Array.Fill(c, float.NaN);
                }

                var expected = (float[])c.Clone();
                ReferenceKernels.Gemm(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, beta, expected, ldc);
                OpenBlasGemm.Multiply(ta, tb, m, n, k, 0.75f, a, lda, b, ldb, beta, c, ldc, maxThreads: Gemm.DefaultThreads);
                for (var r = 0; r < m; r++)
                {
                    Assertions.Close(
                        expected.AsSpan(r * ldc, n), c.AsSpan(r * ldc, n), 2e-6f * (k + 1), Rtol, $"OpenBLAS {ta}/{tb} {m}×{n}×{k} row {r}");
                }

                i++;
            }
        }
    }

    [OpenBlasFact]
    public void Backend_with_OpenBlas_provider_matches_managed_backend_on_batched_matmul()
    {
        using var blas = new CpuBackend(new CpuBackendOptions { GemmProvider = GemmProvider.OpenBlas, Threads = 2 });
        var managed = CpuBackend.Default;
        var rng = new Random(5);
        var ah = GemmTests.RandomValues(rng, 4 * 9 * 20);
        var bh = GemmTests.RandomValues(rng, 4 * 11 * 20);
        float[] Run(CpuBackend backend)
        {
            var a = backend.Allocate(4, 9, 20);
            var b = backend.Allocate(4, 11, 20);
            var c = backend.Allocate(4, 9, 11);
            a.CopyFrom(ah);
            b.CopyFrom(bh);
            backend.MatMul(c, a, false, b, true, alpha: 0.5f);
            return c.ToArray();
        }

        Assert.Equal(GemmProvider.OpenBlas, blas.GemmProvider);
        Assertions.Close(Run(managed), Run(blas), 1e-5f, Rtol, "OpenBLAS vs managed");
    }
}
