using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CrossModal.Benchmarks;
using CrossModal.Tensors;
using CrossModal.Tensors.Cuda;
using CrossModal.Tensors.Cuda.Tests.Conformance;

namespace CrossModal.GpuRunner;

/// <summary>
/// Checks a GPU machine in one go: versions, the backend conformance suite, the GPU benchmarks, a JSON summary.
/// Usage: <c>crossmodal-gpu [--json PATH] [--skip-benchmarks] [--require-gpu]</c>. Exit code 0 when every
/// conformance case passed (and, with --require-gpu, a GPU was used).
/// </summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        var json = Option(args, "--json") ?? "gpu-summary.json";
        var skipBenchmarks = args.Contains("--skip-benchmarks");
        var requireGpu = args.Contains("--require-gpu") || Environment.GetEnvironmentVariable("CROSSMODAL_REQUIRE_CUDA") == "1";
        var clock = Stopwatch.StartNew();
        var summary = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["runtime"] = RuntimeInformation.FrameworkDescription,
            ["os"] = RuntimeInformation.OSDescription,
            ["ilgpu"] = typeof(ILGPU.Context).Assembly.GetName().Version?.ToString(),
        };
        Console.WriteLine($"CrossModal GPU check — {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSDescription}, ILGPU {summary["ilgpu"]}");

        var driver = CudaDriverInfo.Probe();
        Console.WriteLine($"NVIDIA driver: {driver}");
        summary["driver"] = new Dictionary<string, object?> { ["cuda_version"] = driver.DriverVersionText, ["error"] = driver.Error, ["devices"] = driver.Devices.Select(d => $"{d.Index}: {d.Name} (compute {d.ComputeCapability})").ToArray() };

        CudaBackend? gpu = null;
        string? gpuReason = driver.Error;
        if (driver.Error is null && !CudaBackend.TryCreate(out gpu, out gpuReason))
        {
            gpu = null;
        }

        if (gpu is not null)
        {
            Console.WriteLine($"Device: {gpu.DeviceName}; architecture {gpu.Architecture}; PTX {gpu.InstructionSet}; driver (ILGPU) {gpu.DriverVersion}");
            Console.WriteLine($"GEMM: {gpu.GemmDescription}");
            summary["device"] = new Dictionary<string, object?> { ["name"] = gpu.DeviceName, ["architecture"] = gpu.Architecture, ["ptx_isa"] = gpu.InstructionSet, ["gemm"] = gpu.GemmDescription };
        }
        else
        {
            Console.WriteLine($"No GPU found: {gpuReason}");
            Console.WriteLine("The conformance suite runs on ILGPU's CPU accelerator instead (the test device; slow, tiny shapes).");
            summary["device"] = new Dictionary<string, object?> { ["name"] = null, ["missing_reason"] = gpuReason };
        }

        var cases = RunConformance(gpu);
        var failed = cases.Count(c => !(bool)c["passed"]!);
        summary["conformance"] = new Dictionary<string, object?> { ["backend"] = gpu is null ? "cuda on the ILGPU CPU accelerator" : "cuda on " + gpu.DeviceName, ["passed"] = cases.Count - failed, ["failed"] = failed, ["cases"] = cases };
        Console.WriteLine($"Conformance: {cases.Count - failed} passed, {failed} failed.");
        gpu?.Dispose();

        if (gpu is not null && !skipBenchmarks)
        {
            summary["benchmarks"] = RunBenchmarks(Path.GetDirectoryName(Path.GetFullPath(json))!);
            summary["device_times_ms"] = DeviceTimes.All.ToDictionary(p => p.Key, p => (object?)p.Value);
            if (DeviceTimes.All.TryGetValue(DeviceTimes.Key(nameof(GpuTrainStepBenchmarks.TrainingStep), string.Empty), out var stepMs))
            {
                summary["train_step_tokens_per_second_device"] = GpuTrainStepBenchmarks.TokensPerStep / (stepMs / 1000);
            }
        }
        else
        {
            Console.WriteLine(gpu is null ? "GPU benchmarks skipped: no GPU." : "GPU benchmarks skipped (--skip-benchmarks).");
            summary["benchmarks"] = null;
        }

        summary["elapsed_seconds"] = clock.Elapsed.TotalSeconds;
        WriteJson(json, summary);
        Console.WriteLine($"Summary written to {Path.GetFullPath(json)} ({clock.Elapsed.TotalSeconds:F0} s).");
        if (requireGpu && gpu is null)
        {
            Console.WriteLine("A GPU was required (--require-gpu or CROSSMODAL_REQUIRE_CUDA=1) but none was usable.");
            return 2;
        }

        return failed == 0 ? 0 : 1;
    }

    private static List<Dictionary<string, object?>> RunConformance(CudaBackend? gpu)
    {
        var results = new List<Dictionary<string, object?>>();
        void Run(ConformanceCase c, IComputeBackend backend, string device)
        {
            var clock = Stopwatch.StartNew();
            string? error = null;
            try
            {
                c.Run(backend);
            }
            catch (Exception e)
            {
                error = $"{e.GetType().Name}: {e.Message}";
            }

            Console.WriteLine($"  {(error is null ? "PASS" : "FAIL")} {c.Name} on {device} ({clock.Elapsed.TotalSeconds:F1} s){(error is null ? string.Empty : ": " + error)}");
            results.Add(new Dictionary<string, object?> { ["name"] = c.Name, ["device"] = device, ["passed"] = error is null, ["seconds"] = clock.Elapsed.TotalSeconds, ["error"] = error });
        }

        if (gpu is not null)
        {
            foreach (var c in ConformanceCases.All)
            {
                Run(c, gpu, "gpu");
            }

            return results;
        }

        using (var device = CudaBackend.CreateOnCpuAccelerator())
        {
            foreach (var c in ConformanceCases.Operations)
            {
                Run(c, device, "cpu-accelerator (32-lane warps)");
            }
        }

        // Training launches hundreds of kernels: a device of 4-lane warps keeps the OS thread count low.
        using (var narrow = CudaBackend.CreateOnCpuAccelerator(warpsPerGroup: 2, warpSize: 4))
        {
            Run(ConformanceCases.Training, narrow, "cpu-accelerator (4-lane warps)");
        }

        return results;
    }

    private static List<Dictionary<string, object?>> RunBenchmarks(string artifacts)
    {
        var results = new List<Dictionary<string, object?>>();
        var config = DefaultConfig.Instance.WithArtifactsPath(Path.Combine(artifacts, "BenchmarkDotNet.Artifacts")).WithOptions(ConfigOptions.DisableOptimizationsValidator);
        foreach (var type in new[] { typeof(GpuGemmBenchmarks), typeof(GpuLayerKernelBenchmarks), typeof(GpuTrainStepBenchmarks) })
        {
            Summary summary;
            try
            {
                summary = BenchmarkRunner.Run(type, config);
            }
            catch (Exception e)
            {
                Console.WriteLine($"{type.Name} failed: {e.Message}");
                results.Add(new Dictionary<string, object?> { ["class"] = type.Name, ["error"] = e.Message });
                continue;
            }

            foreach (var report in summary.Reports)
            {
                var b = report.BenchmarkCase;
                DeviceTimes.All.TryGetValue(DeviceTimes.Key(b.Descriptor.WorkloadMethod.Name, b.Parameters.DisplayInfo), out var deviceMs);
                results.Add(new Dictionary<string, object?>
                {
                    ["class"] = type.Name,
                    ["method"] = b.Descriptor.WorkloadMethod.Name,
                    ["parameters"] = b.Parameters.DisplayInfo,
                    ["mean_ns_per_op"] = report.ResultStatistics?.Mean,
                    ["stddev_ns"] = report.ResultStatistics?.StandardDeviation,
                    ["device_ms_per_op"] = deviceMs == 0 ? null : deviceMs,
                });
            }
        }

        return results;
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    /// <summary>Writes the summary to a temporary name and renames it (readers never see half a file).</summary>
    private static void WriteJson(string path, Dictionary<string, object?> summary)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temporary = full + ".tmp";
        using (var stream = File.Create(temporary))
        using (var writer = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            Write(writer, summary);
        }

        File.Move(temporary, full, overwrite: true);
    }

    private static void Write(Utf8JsonWriter writer, object? value)
    {
        switch (value)
        {
            case null: writer.WriteNullValue(); break;
            case string s: writer.WriteStringValue(s); break;
            case bool b: writer.WriteBooleanValue(b); break;
            case double d when double.IsFinite(d): writer.WriteNumberValue(d); break;
            case double: writer.WriteNullValue(); break;
            case int i: writer.WriteNumberValue(i); break;
            case IDictionary<string, object?> map:
                writer.WriteStartObject();
                foreach (var (key, item) in map)
                {
                    writer.WritePropertyName(key);
                    Write(writer, item);
                }

                writer.WriteEndObject();
                break;
            case System.Collections.IEnumerable list:
                writer.WriteStartArray();
                foreach (var item in list)
                {
                    Write(writer, item);
                }

                writer.WriteEndArray();
                break;
            default: writer.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture)); break;
        }
    }
}
