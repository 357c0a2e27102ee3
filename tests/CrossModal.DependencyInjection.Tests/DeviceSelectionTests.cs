using System;
using System.Collections.Generic;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cuda;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CrossModal.DependencyInjection.Tests;

/// <summary>
/// <c>CrossModal:Compute:Device</c> and <c>UseCuda()</c>. The tests hold on machines with and without a GPU: where CUDA
/// starts they assert the container hands out the CUDA backend instead of the failure.
/// </summary>
public sealed class DeviceSelectionTests
{
    [Fact]
    public void Cpu_device_resolves_the_cpu_backend()
    {
        var services = new ServiceCollection();
        services.AddCrossModal(o => o.Compute.Device = "CPU");
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        Assert.IsType<CpuBackend>(provider.GetRequiredService<IComputeBackend>());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:x")]
    public void A_device_name_that_is_no_device_fails_start_naming_the_setting(string device)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CrossModal:Compute:Device"] = device,
        }).Build();
        var services = new ServiceCollection();
        services.AddCrossModal(configuration.GetSection("CrossModal"));
        using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains($"CrossModal:Compute:Device is '{device}'; expected cpu, cuda or cuda:N", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("cuda", 0)]
    [InlineData("cuda:1", 1)]
    public void A_cuda_device_passes_start_and_resolves_to_cuda_or_fails_naming_the_setting_and_what_is_missing(string device, int index)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CrossModal:Compute:Device"] = device,
            ["CrossModal:Compute:Cuda:UseTf32"] = "true",
        }).Build();
        var services = new ServiceCollection();
        services.AddCrossModal(configuration.GetSection("CrossModal"));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        if (CudaBackend.TryCreate(out var probe, out var reason, new CudaBackendOptions { DeviceIndex = index }))
        {
            // This machine has the GPU: the container's backend is on it.
            probe.Dispose();
            Assert.IsType<CudaBackend>(provider.GetRequiredService<IComputeBackend>());
            return;
        }

        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IComputeBackend>());
        Assert.StartsWith($"CrossModal:Compute:Device is '{device}', but the CUDA backend cannot start: ", e.Message, StringComparison.Ordinal);
        Assert.EndsWith(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UseCuda_sets_the_device_and_the_cuda_options()
    {
        var services = new ServiceCollection();
        services.AddCrossModal().UseCuda(o =>
        {
            o.DeviceIndex = 2;
            o.UseTf32 = true;
            o.Gemm = CudaGemmProvider.Tiled;
        });
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var compute = provider.GetRequiredService<IOptions<CrossModalOptions>>().Value.Compute;
        Assert.Equal("cuda:2", compute.Device);
        Assert.True(compute.Cuda.UseTf32);
        Assert.Equal(CudaGemmProvider.Tiled, compute.Cuda.Gemm);

        var defaults = new ServiceCollection();
        defaults.AddCrossModal().UseCuda();
        using var defaultProvider = defaults.BuildServiceProvider();
        Assert.Equal("cuda:0", defaultProvider.GetRequiredService<IOptions<CrossModalOptions>>().Value.Compute.Device);
    }

    [Fact]
    public void A_negative_cuda_device_index_fails_start()
    {
        var services = new ServiceCollection();
        services.AddCrossModal().UseCuda(o => o.DeviceIndex = -1);
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("CrossModal:Compute:Device is 'cuda:-1'", e.Message, StringComparison.Ordinal);
    }
}
