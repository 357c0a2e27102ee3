using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cuda.Tests.Conformance;
using Xunit;

namespace CrossModal.Tensors.Cuda.Tests;

/// <summary>The conformance suite on the CPU backend (the suite's own baseline).</summary>
public sealed class CpuBackendConformanceTests
{
    public static IEnumerable<object[]> Cases => ConformanceCases.All.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_passes(string name) => ConformanceCases.Named(name).Run(CpuBackend.Default);
}

/// <summary>The CUDA backend's kernels on ILGPU's CPU accelerator (32-lane warps, 2 warps per group), one backend for the class.</summary>
public sealed class CpuAcceleratorConformanceTests(CpuAcceleratorFixture fixture) : IClassFixture<CpuAcceleratorFixture>
{
    public static IEnumerable<object[]> Cases => ConformanceCases.Operations.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(Cases))]
    public void Case_passes(string name) => ConformanceCases.Named(name).Run(fixture.Backend);

    /// <summary>
    /// Training launches hundreds of kernels; on a device of 4-lane warps (8 OS threads instead of 64) it fits the CI
    /// budget. The operation cases above cover the 32-lane behaviour of the same kernels.
    /// </summary>
    [Fact]
    public void Captioner_training_on_a_narrow_cpu_device_gives_the_cpu_backends_losses()
    {
        using var backend = CudaBackend.CreateOnCpuAccelerator(warpsPerGroup: 2, warpSize: 4);
        ConformanceCases.Training.Run(backend);
    }
}

/// <summary>The CUDA backend on a real GPU: skipped with the reason when none is present, unless CROSSMODAL_REQUIRE_CUDA=1.</summary>
public sealed class GpuConformanceTests(GpuFixture fixture) : IClassFixture<GpuFixture>
{
    public static IEnumerable<object[]> Cases => CpuBackendConformanceTests.Cases;

    [CudaTheory]
    [MemberData(nameof(Cases))]
    public void Case_passes(string name) => ConformanceCases.Named(name).Run(fixture.Backend);
}

public sealed class CpuAcceleratorFixture : IDisposable
{
    public CudaBackend Backend { get; } = CudaBackend.CreateOnCpuAccelerator();

    public void Dispose() => Backend.Dispose();
}

public sealed class GpuFixture : IDisposable
{
    private readonly Lazy<CudaBackend> _backend = new(() =>
        CudaBackend.TryCreate(out var backend, out var reason) ? backend : throw new InvalidOperationException($"No usable GPU: {reason}"));

    public CudaBackend Backend => _backend.Value;

    public void Dispose()
    {
        if (_backend.IsValueCreated)
        {
            _backend.Value.Dispose();
        }
    }
}

/// <summary>
/// A theory that needs an NVIDIA GPU: skipped, with what is missing, when the driver finds none; with
/// <c>CROSSMODAL_REQUIRE_CUDA=1</c> it runs anyway, so a missing GPU fails instead of hiding.
/// </summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    public const string RequireVariable = "CROSSMODAL_REQUIRE_CUDA";

    public CudaTheoryAttribute()
    {
        if (Environment.GetEnvironmentVariable(RequireVariable) == "1")
        {
            return;
        }

        var driver = CudaDriverInfo.Probe();
        if (driver.Error is not null)
        {
            Skip = $"No NVIDIA GPU ({driver.Error}); set {RequireVariable}=1 to make this a failure.";
        }
    }
}
