using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using CrossModal.Tensors;
using CrossModal.Tensors.Cuda;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench gemm --device cuda[:N]</c>: fp32 GEMM on a GPU three ways — cuBLAS in full fp32, cuBLAS with
/// TF32 tensor cores, and the tiled ILGPU kernel (what runs where cuBLAS is absent) — each on its own
/// <see cref="CudaBackend"/>. Each figure is the device time between CUDA events around a run of launches on the
/// backend's stream, divided by the launches, as <c>GpuGemmBenchmarks</c> records it under BenchmarkDotNet; the host
/// wall time of the same run (queue, then synchronise) is reported beside it. Every product is checked against a
/// double-precision host dot product at sampled entries, so a fast wrong kernel cannot report a figure.
/// </summary>
internal static class BenchDeviceGemm
{
    /// <summary>The measured shapes M×K×N: the two squares of the BenchmarkDotNet job, then the CPU command's
    /// token-batch and transformer-MLP shapes.</summary>
    internal static readonly (int M, int K, int N)[] Shapes = [(1024, 1024, 1024), (4096, 4096, 4096), (2048, 512, 512), (4096, 768, 3072)];

    /// <summary>Device time aimed at per measured run: long enough that event resolution (~0.5 µs) and launch jitter
    /// are far below 1 %.</summary>
    private const double TargetMilliseconds = 50;

    private const int MaxLaunches = 200;

    /// <summary>One GEMM implementation on one shape.</summary>
    /// <param name="Gflops">2·M·N·K / device time.</param>
    /// <param name="DeviceMilliseconds">Device time of one multiplication (CUDA events).</param>
    /// <param name="WallMilliseconds">Host time of one multiplication when <see cref="Launches"/> are queued and then
    /// awaited.</param>
    /// <param name="Launches">Multiplications in the timed run.</param>
    /// <param name="MaxRelativeError">Largest error at the sampled entries relative to Σ|a||b| of that entry.</param>
    internal sealed record Measurement(double Gflops, double DeviceMilliseconds, double WallMilliseconds, int Launches, double MaxRelativeError);

    /// <summary>The three implementations, each measured on every shape; an implementation that could not start has
    /// no results and its reason.</summary>
    private sealed record Implementation(string Key, string Label, CudaBackendOptions Options)
    {
        public CudaBackend? Backend { get; set; }

        public string? Unavailable { get; set; }
    }

    public static int Run(ComputeDevice device, bool json)
    {
        var implementations = new[]
        {
            new Implementation("cublas_fp32", "cuBLAS fp32", new CudaBackendOptions { DeviceIndex = device.Index, Gemm = CudaGemmProvider.Cublas }),
            new Implementation("cublas_tf32", "cuBLAS TF32", new CudaBackendOptions { DeviceIndex = device.Index, Gemm = CudaGemmProvider.Cublas, UseTf32 = true }),
            new Implementation("tiled", "tiled ILGPU kernel", new CudaBackendOptions { DeviceIndex = device.Index, Gemm = CudaGemmProvider.Tiled }),
        };

        try
        {
            // The tiled kernel needs only the driver and the device: if it cannot start, there is no usable GPU at all,
            // which is bad input (exit 2); cuBLAS alone missing leaves the tiled figures and says why the others are absent.
            var tiled = implementations[2];
            tiled.Backend = CudaBackend.TryCreate(out var backend, out var reason, tiled.Options)
                ? backend
                : throw new CommandLineError($"--device {device}: {reason}");
            foreach (var implementation in implementations[..2])
            {
                if (CudaBackend.TryCreate(out var b, out var why, implementation.Options))
                {
                    implementation.Backend = b;
                }
                else
                {
                    implementation.Unavailable = why;
                    Console.Error.WriteLine($"{implementation.Label} not measured: {why}");
                }
            }

            var reference = tiled.Backend;
            Console.Error.WriteLine($"bench gemm on {device}: {reference.DeviceName} ({reference.Architecture}, {reference.InstructionSet}), driver {reference.DriverVersion}");
            foreach (var implementation in implementations)
            {
                if (implementation.Backend is { } b)
                {
                    Console.Error.WriteLine($"  {implementation.Label}: {b.GemmDescription}");
                }
            }

            var results = new Dictionary<string, Measurement>[Shapes.Length];
            for (var s = 0; s < Shapes.Length; s++)
            {
                var (m, k, n) = Shapes[s];
                results[s] = new Dictionary<string, Measurement>(StringComparer.Ordinal);
                foreach (var implementation in implementations)
                {
                    if (implementation.Backend is not { } b)
                    {
                        continue;
                    }

                    Console.Error.Write($"measuring {implementation.Label} {m}×{k}×{n}… ");
                    var measured = Measure(b, m, k, n, seed: 1234 + s);
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{measured.Gflops:F0} GFLOP/s"));
                    results[s][implementation.Key] = measured;
                }
            }

            if (json)
            {
                WriteJson(device, reference, implementations, results);
            }
            else
            {
                WriteTable(device, reference, implementations, results);
            }

            return 0;
        }
        finally
        {
            foreach (var implementation in implementations)
            {
                implementation.Backend?.Dispose();
            }
        }
    }

    /// <summary>
    /// Times C = A·B (A: m×k, B: k×n, uniform in [−0.5, 0.5)) on <paramref name="backend"/>: one untimed multiplication
    /// (kernel compilation, cuBLAS heuristics), one timed to size the run, then a run of launches adding up to about
    /// <see cref="TargetMilliseconds"/> of device time, timed with CUDA events and with the host clock.
    /// </summary>
    /// <param name="backend">The backend whose GEMM is measured.</param>
    /// <param name="m">Rows of A and C.</param>
    /// <param name="k">Columns of A, rows of B.</param>
    /// <param name="n">Columns of B and C.</param>
    /// <param name="seed">Seed of the operands.</param>
    /// <param name="maxLaunches">Upper bound on the launches of the timed run.</param>
    internal static Measurement Measure(CudaBackend backend, int m, int k, int n, int seed, int maxLaunches = MaxLaunches)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var rng = new Random(seed);
        var aValues = Uniform(rng, m * k);
        var bValues = Uniform(rng, k * n);
        var a = backend.Allocate(m, k);
        var b = backend.Allocate(k, n);
        var c = backend.Allocate(m, n);
        try
        {
            a.CopyFrom(aValues);
            b.CopyFrom(bValues);
            backend.MatMul(c, a, false, b, false);
            backend.Synchronize();
            var once = backend.MeasureDeviceMilliseconds(() => backend.MatMul(c, a, false, b, false));
            var launches = Math.Clamp((int)Math.Ceiling(TargetMilliseconds / Math.Max(once, 1e-3)), 1, maxLaunches);
            var device = backend.MeasureDeviceMilliseconds(() =>
            {
                for (var i = 0; i < launches; i++)
                {
                    backend.MatMul(c, a, false, b, false);
                }
            }) / launches;

            var clock = Stopwatch.StartNew();
            for (var i = 0; i < launches; i++)
            {
                backend.MatMul(c, a, false, b, false);
            }

            backend.Synchronize();
            var wall = clock.Elapsed.TotalMilliseconds / launches;

            var product = c.ToArray();
            var error = SampledRelativeError(aValues, bValues, product, m, k, n, rng);
            if (!(error <= 1e-2))
            {
                throw new InvalidOperationException(string.Create(
                    CultureInfo.InvariantCulture,
                    $"The GEMM on {backend.DeviceName} ({backend.GemmDescription}) gave a wrong product for {m}×{k}×{n}: relative error {error:G3} at a sampled entry (TF32 stays below 1e-2)."));
            }

            return new Measurement(2.0 * m * n * k / (device * 1e-3) / 1e9, device, wall, launches, error);
        }
        finally
        {
            a.Storage.Dispose();
            b.Storage.Dispose();
            c.Storage.Dispose();
        }
    }

    /// <summary>The largest |c_ij − Σ a_il b_lj| / Σ |a_il b_lj| over 64 sampled entries, the sum in double precision.</summary>
    private static double SampledRelativeError(float[] a, float[] b, float[] c, int m, int k, int n, Random rng)
    {
        var worst = 0.0;
        for (var sample = 0; sample < 64; sample++)
        {
            var i = rng.Next(m);
            var j = rng.Next(n);
            double exact = 0, magnitude = 0;
            for (var l = 0; l < k; l++)
            {
                var term = (double)a[(i * k) + l] * b[(l * n) + j];
                exact += term;
                magnitude += Math.Abs(term);
            }

            worst = Math.Max(worst, Math.Abs(c[(i * n) + j] - exact) / Math.Max(magnitude, 1e-30));
        }

        return worst;
    }

    private static float[] Uniform(Random rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() - 0.5);
        }

        return values;
    }

    private static void WriteJson(ComputeDevice device, CudaBackend reference, Implementation[] implementations, Dictionary<string, Measurement>[] results)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var writer = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = false }))
        {
            writer.WriteStartObject();
            writer.WriteString("device", device.ToString());
            writer.WriteString("device_name", reference.DeviceName);
            writer.WriteString("architecture", reference.Architecture);
            writer.WriteString("driver", reference.DriverVersion);
            writer.WriteStartObject("implementations");
            foreach (var implementation in implementations)
            {
                writer.WriteStartObject(implementation.Key);
                if (implementation.Backend is { } b)
                {
                    writer.WriteString("gemm", b.GemmDescription);
                }
                else
                {
                    writer.WriteNull("gemm");
                    writer.WriteString("unavailable", implementation.Unavailable);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteStartArray("shapes");
            for (var s = 0; s < Shapes.Length; s++)
            {
                writer.WriteStartObject();
                writer.WriteNumber("m", Shapes[s].M);
                writer.WriteNumber("k", Shapes[s].K);
                writer.WriteNumber("n", Shapes[s].N);
                foreach (var implementation in implementations)
                {
                    if (results[s].TryGetValue(implementation.Key, out var r))
                    {
                        writer.WriteStartObject(implementation.Key);
                        writer.WriteNumber("gflops", Math.Round(r.Gflops, 1));
                        writer.WriteNumber("device_ms", Math.Round(r.DeviceMilliseconds, 4));
                        writer.WriteNumber("wall_ms", Math.Round(r.WallMilliseconds, 4));
                        writer.WriteNumber("launches", r.Launches);
                        writer.WriteEndObject();
                    }
                    else
                    {
                        writer.WriteNull(implementation.Key);
                    }
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        stdout.WriteByte((byte)'\n');
    }

    private static void WriteTable(ComputeDevice device, CudaBackend reference, Implementation[] implementations, Dictionary<string, Measurement>[] results)
    {
        var table = new Table()
            .Title($"fp32 GEMM on {device} ({reference.DeviceName}), GFLOP/s from CUDA-event device time (host wall ms per launch in brackets)")
            .AddColumn("M×K×N");
        foreach (var implementation in implementations)
        {
            table.AddColumn(new TableColumn(implementation.Label).RightAligned());
        }

        for (var s = 0; s < Shapes.Length; s++)
        {
            var cells = new List<string> { $"{Shapes[s].M}×{Shapes[s].K}×{Shapes[s].N}" };
            foreach (var implementation in implementations)
            {
                cells.Add(results[s].TryGetValue(implementation.Key, out var r)
                    ? string.Create(CultureInfo.InvariantCulture, $"{r.Gflops:F0} ({r.WallMilliseconds:F3} ms)")
                    : "–");
            }

            table.AddRow([.. cells]);
        }

        AnsiConsole.Write(table);
    }
}
