using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using CrossModal.Cli.Commands;
using CrossModal.Tensors.Cuda;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal bench gemm --device cuda</c>: the GPU measurement, its checks and its errors.</summary>
public class BenchGemmCommandTests
{
    [Fact]
    public void Device_measurement_times_a_correct_product_on_the_test_device()
    {
        using var backend = CudaBackend.CreateOnCpuAccelerator();
        var measured = BenchDeviceGemm.Measure(backend, m: 24, k: 40, n: 16, seed: 7, maxLaunches: 2);
        Assert.True(measured.Gflops > 0);
        Assert.True(measured.DeviceMilliseconds > 0);
        Assert.True(measured.WallMilliseconds > 0);
        Assert.InRange(measured.Launches, 1, 2);
        Assert.True(measured.MaxRelativeError < 1e-5, $"relative error {measured.MaxRelativeError}");
    }

    [Fact]
    public void Cuda_device_runs_where_a_gpu_is_present_and_is_a_one_line_error_where_none_is()
    {
        var (code, stdout, stderr) = Run("bench gemm --device cuda --json");
        if (CudaDriverInfo.Probe().Error is { } missing)
        {
            Assert.Equal(2, code);
            Assert.Equal(string.Empty, stdout);
            var line = Assert.Single(stderr.Trim().Split('\n'));
            Assert.StartsWith("error: --device cuda:0: ", line, StringComparison.Ordinal);
            Assert.Contains(missing, line, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(0, code);
            using var doc = JsonDocument.Parse(stdout);
            var shapes = doc.RootElement.GetProperty("shapes").EnumerateArray().ToArray();
            Assert.Equal(BenchDeviceGemm.Shapes.Length, shapes.Length);
            Assert.All(shapes, s => Assert.True(s.GetProperty("tiled").GetProperty("gflops").GetDouble() > 0));
        }
    }

    [Fact]
    public void Threads_with_a_gpu_device_is_a_one_line_error()
    {
        var (code, stdout, stderr) = Run("bench gemm --device cuda --threads 2");
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal("error: --threads applies to the CPU only; leave it out with --device cuda.", stderr.Trim());
    }

    private static (int Code, string Stdout, string Stderr) Run(string arguments) => ToolProcess.Run(arguments);
}
