using System;
using CrossModal.Tensors.Cpu;
using Xunit;

namespace CrossModal.Tensors.Tests.Cpu;

public class CpuBackendOptionsTests
{
    [Fact]
    public void Defaults_are_managed_gemm_on_all_cores()
    {
        var backend = new CpuBackend();
        Assert.Equal(GemmProvider.Managed, backend.GemmProvider);
        Assert.Equal(Environment.ProcessorCount, backend.Threads);
    }

    [Fact]
    public void Invalid_thread_count_is_rejected_naming_the_option()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new CpuBackend(new CpuBackendOptions { Threads = 0 }));
        Assert.Equal("Threads", e.ParamName);
    }

    [Fact]
    public void Single_threaded_backend_computes_the_same_product()
    {
        var one = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        var rng = new Random(3);
        var a = one.Allocate(130, 200);
        var b = one.Allocate(200, 90);
        var c = one.Allocate(130, 90);
        a.CopyFrom(GemmTests.RandomValues(rng, 130 * 200));
        b.CopyFrom(GemmTests.RandomValues(rng, 200 * 90));
        one.MatMul(c, a, false, b, false);
        var all = CpuBackend.Default.Allocate(130, 90);
        CpuBackend.Default.MatMul(all, a, false, b, false);

        // Threads never split the depth, so the sums are bitwise identical.
        Assert.Equal(all.ToArray(), c.ToArray());
    }

    [Fact]
    public void OpenBlas_provider_is_refused_with_the_package_name_when_the_library_is_missing()
    {
        if (OpenBlasGemm.IsAvailable)
        {
            Assert.Null(OpenBlasGemm.LoadError);
            return;
        }

        var e = Assert.Throws<InvalidOperationException>(() => new CpuBackend(new CpuBackendOptions { GemmProvider = GemmProvider.OpenBlas }));
        Assert.Contains("libopenblas0", e.Message, StringComparison.Ordinal);
    }
}
