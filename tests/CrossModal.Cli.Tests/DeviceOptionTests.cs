using System;
using CrossModal.Tensors.Cuda;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary>
/// <c>--device</c>: a value that names no device and a GPU this machine cannot use are the user's to fix (exit 2, one
/// line). Parsing itself is <c>ComputeDevice</c>'s, tested with it; here <c>cuda:1</c> travels through the command line. The tests hold on machines with and without a GPU: where CUDA starts they assert the command runs instead.
/// </summary>
[Collection("Console")]
public sealed class DeviceOptionTests
{
    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:")]
    [InlineData("cuda:-1")]
    public void A_value_naming_no_device_is_a_one_line_error_with_exit_code_2(string value)
    {
        var result = ConsoleCapture.Run("bench", "train", "--steps", "1", "--warmup", "0", "--device", value);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.Equal($"error: --device: expected cpu, cuda or cuda:N but got '{value}'.", result.Error.Trim());
    }

    [Theory]
    [InlineData("cuda", 0)]
    [InlineData("cuda:1", 1)]
    public void An_unusable_gpu_is_a_one_line_error_naming_what_is_missing(string value, int index)
    {
        var result = ConsoleCapture.Run("bench", "train", "--steps", "1", "--warmup", "0", "--json", "--device", value);
        if (CudaBackend.TryCreate(out var backend, out var reason, new CudaBackendOptions { DeviceIndex = index }))
        {
            // This machine has the GPU: the benchmark runs on it.
            backend.Dispose();
            Assert.True(result.ExitCode == 0, result.Error);
            Assert.Contains("tokens_per_second", result.Out, StringComparison.Ordinal);
            return;
        }

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        var line = Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.StartsWith($"error: --device cuda:{index}: ", line, StringComparison.Ordinal);
        Assert.EndsWith(reason.ReplaceLineEndings(" "), line, StringComparison.Ordinal);
        Assert.True(
            line.Contains("driver", StringComparison.OrdinalIgnoreCase) || line.Contains("device", StringComparison.OrdinalIgnoreCase)
            || line.Contains("cuBLAS", StringComparison.OrdinalIgnoreCase),
            line);
    }
}
