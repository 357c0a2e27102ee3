using System;
using System.Collections.Concurrent;
using System.Globalization;
using System.Linq;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using CrossModal.Tensors.Cuda;

namespace CrossModal.Benchmarks;

/// <summary>
/// Whether an NVIDIA GPU is usable, probed once: GPU benchmarks are filtered out (with the reason printed) where it is
/// not, so <c>--filter *Gpu*</c> skips cleanly on machines without one.
/// </summary>
public static class GpuAvailability
{
    private static readonly Lazy<string?> Reason = new(() =>
    {
        var driver = CudaDriverInfo.Probe();
        return driver.Error;
    });

    /// <summary>Why GPU benchmarks cannot run, or null when a GPU is present.</summary>
    public static string? MissingReason => Reason.Value;

    /// <summary>Starts a backend or throws with the reason.</summary>
    /// <param name="options">Backend options.</param>
    public static CudaBackend Start(CudaBackendOptions? options = null)
        => CudaBackend.TryCreate(out var backend, out var reason, options) ? backend : throw new InvalidOperationException("No usable GPU: " + reason);
}

/// <summary>
/// The GPU benchmarks' configuration: in-process (the device context and compiled kernels live in this process), GPU
/// benchmarks only where a GPU is present, and a column with the device-side time per operation measured with CUDA
/// events beside BenchmarkDotNet's host-side wall time.
/// </summary>
public sealed class GpuBenchmarkConfig : ManualConfig
{
    private static int s_reported;

    public GpuBenchmarkConfig()
    {
        AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance).WithId("gpu-short"));
        AddColumn(new DeviceTimeColumn());
        AddFilter(new SimpleFilter(_ =>
        {
            if (GpuAvailability.MissingReason is { } reason)
            {
                if (System.Threading.Interlocked.Exchange(ref s_reported, 1) == 0)
                {
                    Console.WriteLine($"// GPU benchmarks skipped: {reason}");
                }

                return false;
            }

            return true;
        }));
    }
}

/// <summary>Device times per operation (CUDA events), recorded by the benchmarks' setup, keyed by method and parameters.</summary>
public static class DeviceTimes
{
    private static readonly ConcurrentDictionary<string, double> Milliseconds = new(StringComparer.Ordinal);

    /// <summary>Everything recorded so far (for the runner's JSON summary).</summary>
    public static System.Collections.Generic.IReadOnlyDictionary<string, double> All => Milliseconds;

    /// <summary>Records the device time of one operation.</summary>
    public static void Record(string method, string parameters, double milliseconds) => Milliseconds[Key(method, parameters)] = milliseconds;

    /// <summary>Times <paramref name="repetitions"/> runs of <paramref name="operation"/> with CUDA events and records the mean.</summary>
    public static void Measure(CudaBackend backend, string method, string parameters, Action operation, int repetitions = 20)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(operation);
        operation();
        var total = backend.MeasureDeviceMilliseconds(() =>
        {
            for (var i = 0; i < repetitions; i++)
            {
                operation();
            }
        });
        Record(method, parameters, total / repetitions);
    }

    internal static bool TryGet(BenchmarkCase benchmark, out double milliseconds)
        => Milliseconds.TryGetValue(Key(benchmark.Descriptor.WorkloadMethod.Name, benchmark.Parameters.DisplayInfo), out milliseconds);

    /// <summary>The key: method name and BenchmarkDotNet's parameter display (e.g. <c>[Size=1024]</c>).</summary>
    public static string Key(string method, string parameters) => method + " " + parameters;
}

/// <summary>Shows the CUDA-event time per operation beside BenchmarkDotNet's wall time.</summary>
internal sealed class DeviceTimeColumn : IColumn
{
    public string Id => nameof(DeviceTimeColumn);

    public string ColumnName => "Device time/op";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => "Mean device time of one operation between CUDA events on the backend's stream (setup, 20 repetitions)";

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        => DeviceTimes.TryGet(benchmarkCase, out var ms) ? ms.ToString("0.000 'ms'", CultureInfo.InvariantCulture) : "-";

    public bool IsAvailable(Summary summary) => summary.BenchmarksCases.Any(b => DeviceTimes.TryGet(b, out _));

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
