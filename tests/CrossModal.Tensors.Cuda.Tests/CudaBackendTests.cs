using System;
using CrossModal.Tensors.Cpu;
using Xunit;

namespace CrossModal.Tensors.Cuda.Tests;

/// <summary>What the CUDA backend promises beyond the shared conformance suite: device parsing, start-up errors.</summary>
public sealed class CudaBackendTests
{
    [Theory]
    [InlineData("cpu", ComputeDeviceKind.Cpu, 0)]
    [InlineData("CUDA", ComputeDeviceKind.Cuda, 0)]
    [InlineData("cuda:0", ComputeDeviceKind.Cuda, 0)]
    [InlineData(" cuda:3 ", ComputeDeviceKind.Cuda, 3)]
    public void Device_names_parse_as_pytorch_spells_them(string text, ComputeDeviceKind kind, int index)
    {
        var device = ComputeDevice.Parse(text);
        Assert.Equal(new ComputeDevice(kind, index), device);
        Assert.Equal(device, ComputeDevice.Parse(device.ToString()));
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    [InlineData("cuda:x")]
    [InlineData("")]
    public void Unknown_device_names_are_rejected_naming_the_accepted_forms(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => ComputeDevice.Parse(text));
        Assert.Contains("cpu, cuda or cuda:N", error.Message, StringComparison.Ordinal);
        Assert.False(ComputeDevice.TryParse(text, out _));
    }

    [Fact]
    public void The_cpu_device_gives_the_cpu_backend()
        => Assert.Same(CpuBackend.Default, ComputeDevice.Cpu.CreateBackend());

    [Fact]
    public void Without_a_gpu_the_backend_reports_what_is_missing_instead_of_failing_silently()
    {
        var driver = CudaDriverInfo.Probe();
        if (driver.Error is null)
        {
            // A GPU is present: the real-GPU conformance cases cover start-up.
            return;
        }

        Assert.False(CudaBackend.TryCreate(out var backend, out var reason));
        Assert.Null(backend);
        Assert.Contains(driver.Error, reason, StringComparison.Ordinal);
        var error = Assert.Throws<InvalidOperationException>(() => new ComputeDevice(ComputeDeviceKind.Cuda, 0).CreateBackend());
        Assert.Contains("cannot start", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_out_of_range_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new CudaBackendOptions { DeviceIndex = -1 }.Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaBackend.CreateOnCpuAccelerator(warpSize: 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => CudaBackend.CreateOnCpuAccelerator(warpsPerGroup: 0));
    }

    [Fact]
    public void The_test_device_describes_itself_and_uses_the_tiled_gemm()
    {
        using var backend = CudaBackend.CreateOnCpuAccelerator(warpsPerGroup: 1, warpSize: 4);
        Assert.True(backend.IsCpuAccelerator);
        Assert.Equal("cuda", backend.Name);
        Assert.Contains("tiled", backend.GemmDescription, StringComparison.Ordinal);
        Assert.Contains("4-lane", backend.Architecture, StringComparison.Ordinal);
        var t = backend.Allocate(3);
        t.Storage.Dispose();
        Assert.Throws<ObjectDisposedException>(() => backend.Fill(t, 1f));
    }
}
