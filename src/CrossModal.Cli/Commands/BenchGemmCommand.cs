using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Text.Json;
using System.Threading;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cuda;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench gemm</c>: on the CPU (the default), FMA peak, managed GEMM and OpenBLAS GFLOP/s; with
/// <c>--device cuda[:N]</c>, cuBLAS fp32, cuBLAS TF32 and the tiled ILGPU kernel on that GPU
/// (<see cref="BenchDeviceGemm"/>), the figures <c>GpuGemmBenchmarks</c> gives under BenchmarkDotNet.
/// </summary>
internal static class BenchGemmCommand
{
    /// <summary>The measured shapes M×K×N: a square block, a batch of tokens, a transformer MLP layer.</summary>
    private static readonly (int M, int K, int N)[] Shapes = [(512, 512, 512), (2048, 512, 512), (4096, 768, 3072)];

    private const int Repetitions = 7;
    private const double MinRepetitionSeconds = 0.05;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var threads = new Option<int?>("--threads") { Description = "Threads to use on the CPU (default: all cores)." };
        var device = DeviceOption.Create();
        var command = new Command("gemm", "Measure fp32 GEMM: on the CPU the FMA peak, the managed GEMM and OpenBLAS (if present); on a GPU cuBLAS fp32/TF32 and the tiled kernel.")
        {
            json, threads, device,
        };
        command.SetAction(parse =>
        {
            var selected = DeviceOption.Parse(parse.GetValue(device));
            if (selected.Kind == ComputeDeviceKind.Cpu)
            {
                return Run(parse.GetValue(json), parse.GetValue(threads));
            }

            if (parse.GetValue(threads) is not null)
            {
                throw new CommandLineError("--threads applies to the CPU only; leave it out with --device cuda.");
            }

            return BenchDeviceGemm.Run(selected, parse.GetValue(json));
        });
        return command;
    }

    private static int Run(bool json, int? requestedThreads)
    {
        if (requestedThreads is < 1)
        {
            throw new CommandLineError($"--threads must be at least 1; got {requestedThreads}.");
        }

        var threads = Math.Min(requestedThreads ?? Environment.ProcessorCount, Environment.ProcessorCount);
        if (requestedThreads > threads)
        {
            Console.Error.WriteLine($"note: --threads {requestedThreads} exceeds the {threads} logical processors; using {threads}.");
        }

        var vectorBits = Gemm.VectorBits;
        Console.Error.WriteLine($"bench gemm: {threads} thread(s), {vectorBits}-bit vectors, load average {LoadAverage()}");

        Console.Error.WriteLine("measuring the FMA peak (register-only microkernel on every thread)…");
        var peak = MeasurePeak(threads, vectorBits);
        Console.Error.WriteLine($"  peak {peak:F1} GFLOP/s");

        var openBlas = OpenBlasGemm.IsAvailable;
        Console.Error.WriteLine(openBlas
            ? $"OpenBLAS loaded (core {OpenBlasGemm.CoreName ?? "?"})"
            : $"OpenBLAS not measured: {OpenBlasGemm.LoadError}");

        var results = new (int M, int K, int N, double Managed, double? OpenBlas)[Shapes.Length];
        for (var i = 0; i < Shapes.Length; i++)
        {
            var (m, k, n) = Shapes[i];
            var rng = new Random(1234 + i);
            var a = RandomValues(rng, m * k);
            var b = RandomValues(rng, k * n);
            var c = new float[m * n];
            Console.Error.WriteLine($"measuring {m}×{k}×{n}…");
            var managed = MeasureGflops(m, n, k, () => Gemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, threads));
            double? blas = openBlas
                ? MeasureGflops(m, n, k, () => OpenBlasGemm.Multiply(false, false, m, n, k, 1f, a, k, b, n, 0f, c, n, threads))
                : null;
            results[i] = (m, k, n, managed, blas);
        }

        Console.Error.WriteLine($"done; load average {LoadAverage()}");
        if (json)
        {
            WriteJson(peak, threads, vectorBits, results);
        }
        else
        {
            WriteTable(peak, threads, vectorBits, results);
        }

        return 0;
    }

    /// <summary>Median GFLOP/s (2·m·n·k flops per call) over <see cref="Repetitions"/> timed repetitions after warm-up.</summary>
    private static double MeasureGflops(int m, int n, int k, Action gemm)
    {
        // Warm-up: JIT tiers, pack buffers, worker threads, page faults; the second call also sizes a repetition.
        gemm();
        var sw = Stopwatch.StartNew();
        gemm();
        var once = Math.Max(sw.Elapsed.TotalSeconds, 1e-6);
        var calls = Math.Max(1, (int)Math.Ceiling(MinRepetitionSeconds / once));
        var seconds = new double[Repetitions];
        for (var r = 0; r < Repetitions; r++)
        {
            sw.Restart();
            for (var i = 0; i < calls; i++)
            {
                gemm();
            }

            seconds[r] = sw.Elapsed.TotalSeconds / calls;
        }

        Array.Sort(seconds);
        return 2.0 * m * n * k / seconds[Repetitions / 2] / 1e9;
    }

    /// <summary>
    /// The machine's fp32 FMA throughput: every thread runs 12 independent FMA chains held in registers (more than
    /// FMA latency × FMA ports on current x86 cores, so the chains never wait on each other), no memory traffic.
    /// Median over <see cref="Repetitions"/> runs of all threads at once.
    /// </summary>
    private static double MeasurePeak(int threads, int vectorBits)
    {
        const long iterations = 40_000_000;
        var flopsPerIteration = 12.0 * (vectorBits / 32) * 2;
        RunChains(vectorBits, 100_000);
        var seconds = new double[Repetitions];
        var sink = 0f;
        for (var r = 0; r < Repetitions; r++)
        {
            using var go = new ManualResetEventSlim(false);
            var workers = new Thread[threads];
            var partial = new float[threads];
            for (var t = 0; t < threads; t++)
            {
                var index = t;
                workers[t] = new Thread(() =>
                {
                    go.Wait();
                    partial[index] = RunChains(vectorBits, iterations);
                });
                workers[t].Start();
            }

            Thread.Sleep(20);
            var sw = Stopwatch.StartNew();
            go.Set();
            foreach (var w in workers)
            {
                w.Join();
            }

            seconds[r] = sw.Elapsed.TotalSeconds;
            sink += partial[0];
        }

        if (float.IsNaN(sink))
        {
            Console.Error.WriteLine("(peak kernel produced NaN)");
        }

        Array.Sort(seconds);
        return flopsPerIteration * iterations * threads / seconds[Repetitions / 2] / 1e9;
    }

    private static float RunChains(int vectorBits, long iterations) =>
        vectorBits == 512 ? FmaChains512(iterations) : FmaChains256(iterations);

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaChains256(long iterations)
    {
        var mul = Vector256.Create(0.9999999f);
        var add = Vector256.Create(1e-7f);
        Vector256<float> x0 = Vector256.Create(0.10f), x1 = Vector256.Create(0.11f), x2 = Vector256.Create(0.12f), x3 = Vector256.Create(0.13f);
        Vector256<float> x4 = Vector256.Create(0.14f), x5 = Vector256.Create(0.15f), x6 = Vector256.Create(0.16f), x7 = Vector256.Create(0.17f);
        Vector256<float> x8 = Vector256.Create(0.18f), x9 = Vector256.Create(0.19f), x10 = Vector256.Create(0.20f), x11 = Vector256.Create(0.21f);
        for (long i = 0; i < iterations; i++)
        {
            x0 = Vector256.FusedMultiplyAdd(x0, mul, add);
            x1 = Vector256.FusedMultiplyAdd(x1, mul, add);
            x2 = Vector256.FusedMultiplyAdd(x2, mul, add);
            x3 = Vector256.FusedMultiplyAdd(x3, mul, add);
            x4 = Vector256.FusedMultiplyAdd(x4, mul, add);
            x5 = Vector256.FusedMultiplyAdd(x5, mul, add);
            x6 = Vector256.FusedMultiplyAdd(x6, mul, add);
            x7 = Vector256.FusedMultiplyAdd(x7, mul, add);
            x8 = Vector256.FusedMultiplyAdd(x8, mul, add);
            x9 = Vector256.FusedMultiplyAdd(x9, mul, add);
            x10 = Vector256.FusedMultiplyAdd(x10, mul, add);
            x11 = Vector256.FusedMultiplyAdd(x11, mul, add);
        }

        return Vector256.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float FmaChains512(long iterations)
    {
        var mul = Vector512.Create(0.9999999f);
        var add = Vector512.Create(1e-7f);
        Vector512<float> x0 = Vector512.Create(0.10f), x1 = Vector512.Create(0.11f), x2 = Vector512.Create(0.12f), x3 = Vector512.Create(0.13f);
        Vector512<float> x4 = Vector512.Create(0.14f), x5 = Vector512.Create(0.15f), x6 = Vector512.Create(0.16f), x7 = Vector512.Create(0.17f);
        Vector512<float> x8 = Vector512.Create(0.18f), x9 = Vector512.Create(0.19f), x10 = Vector512.Create(0.20f), x11 = Vector512.Create(0.21f);
        for (long i = 0; i < iterations; i++)
        {
            x0 = Vector512.FusedMultiplyAdd(x0, mul, add);
            x1 = Vector512.FusedMultiplyAdd(x1, mul, add);
            x2 = Vector512.FusedMultiplyAdd(x2, mul, add);
            x3 = Vector512.FusedMultiplyAdd(x3, mul, add);
            x4 = Vector512.FusedMultiplyAdd(x4, mul, add);
            x5 = Vector512.FusedMultiplyAdd(x5, mul, add);
            x6 = Vector512.FusedMultiplyAdd(x6, mul, add);
            x7 = Vector512.FusedMultiplyAdd(x7, mul, add);
            x8 = Vector512.FusedMultiplyAdd(x8, mul, add);
            x9 = Vector512.FusedMultiplyAdd(x9, mul, add);
            x10 = Vector512.FusedMultiplyAdd(x10, mul, add);
            x11 = Vector512.FusedMultiplyAdd(x11, mul, add);
        }

        return Vector512.Sum(x0 + x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9 + x10 + x11);
    }

    private static void WriteJson(double peak, int threads, int vectorBits, (int M, int K, int N, double Managed, double? OpenBlas)[] results)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = false }))
        {
            writer.WriteStartObject();
            writer.WriteNumber("peak_gflops", Math.Round(peak, 2));
            writer.WriteNumber("threads", threads);
            writer.WriteNumber("vector_bits", vectorBits);
            writer.WriteStartArray("shapes");
            foreach (var r in results)
            {
                writer.WriteStartObject();
                writer.WriteNumber("m", r.M);
                writer.WriteNumber("k", r.K);
                writer.WriteNumber("n", r.N);
                writer.WriteNumber("gflops", Math.Round(r.Managed, 2));
                if (r.OpenBlas is { } blas)
                {
                    writer.WriteNumber("openblas_gflops", Math.Round(blas, 2));
                }
                else
                {
                    writer.WriteNull("openblas_gflops");
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }

    private static void WriteTable(double peak, int threads, int vectorBits, (int M, int K, int N, double Managed, double? OpenBlas)[] results)
    {
        var table = new Table()
            .Title($"fp32 GEMM, {threads} thread(s), {vectorBits}-bit vectors; FMA peak {peak.ToString("F1", CultureInfo.InvariantCulture)} GFLOP/s")
            .AddColumn("M×K×N")
            .AddColumn(new TableColumn("managed GFLOP/s").RightAligned())
            .AddColumn(new TableColumn("% of peak").RightAligned())
            .AddColumn(new TableColumn("OpenBLAS GFLOP/s").RightAligned())
            .AddColumn(new TableColumn("managed / OpenBLAS").RightAligned());
        foreach (var r in results)
        {
            table.AddRow(
                $"{r.M}×{r.K}×{r.N}",
                r.Managed.ToString("F1", CultureInfo.InvariantCulture),
                (100 * r.Managed / peak).ToString("F1", CultureInfo.InvariantCulture),
                r.OpenBlas?.ToString("F1", CultureInfo.InvariantCulture) ?? "–",
                r.OpenBlas is { } blas ? (r.Managed / blas).ToString("F2", CultureInfo.InvariantCulture) : "–");
        }

        AnsiConsole.Write(table);
    }

    private static float[] RandomValues(Random rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return values;
    }

    private static string LoadAverage()
    {
        try
        {
            return File.ReadAllText("/proc/loadavg").Split(' ')[0];
        }
        catch (IOException)
        {
            return "n/a";
        }
        catch (UnauthorizedAccessException)
        {
            return "n/a";
        }
    }
}
