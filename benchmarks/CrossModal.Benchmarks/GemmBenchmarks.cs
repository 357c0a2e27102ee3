using System;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Benchmarks;

/// <summary>
/// fp32 GEMM, C = A·B, on the three shapes of <c>crossmodal bench gemm</c>: the scalar reference (baseline), the
/// managed blocked SIMD kernel, and OpenBLAS where <c>libopenblas.so.0</c> loads (elsewhere that row reads NA with
/// the reason in the log). Run with <c>--filter *GemmBenchmarks*</c> (see docs/benchmarks.md).
/// </summary>
/// <remarks>
/// The scalar baseline needs tens of seconds per call on the largest shape (9.7·10⁹ multiply-adds), so the job is
/// cut down (<see cref="GemmConfig"/>): no loop unrolling (BenchmarkDotNet's default unroll factor of 16 would run it
/// 16 times per iteration), one warm-up and five measured iterations. The fast kernels still get enough calls per
/// iteration, since the pilot stage sizes each iteration to at least 0.5 s.
/// </remarks>
[MemoryDiagnoser]
[Config(typeof(GemmConfig))]
public class GemmBenchmarks
{
    private float[] _a = [];
    private float[] _b = [];
    private float[] _c = [];
    private int _m;
    private int _k;
    private int _n;

    /// <summary>M×K×N.</summary>
    [Params("512x512x512", "2048x512x512", "4096x768x3072")]
    public string Shape { get; set; } = "512x512x512";

    [GlobalSetup]
    public void Setup()
    {
        var dims = Shape.Split('x');
        (_m, _k, _n) = (int.Parse(dims[0], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(dims[1], System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(dims[2], System.Globalization.CultureInfo.InvariantCulture));
        var rng = new Random(42);
        _a = Random(rng, _m * _k);
        _b = Random(rng, _k * _n);
        _c = new float[_m * _n];
    }

    /// <summary>
    /// The scalar reference algorithm of the tests (tests/CrossModal.Tensors.Tests/Reference), in i-p-j order so that
    /// B and C are read along rows: the i-j-p order of the test twin strides down B's columns and would take minutes
    /// on the largest shape without measuring anything more useful.
    /// </summary>
    [Benchmark(Baseline = true)]
    public float Reference()
    {
        int m = _m, k = _k, n = _n;
        var a = _a;
        var b = _b;
        var c = _c;
        Array.Clear(c);
        for (var i = 0; i < m; i++)
        {
            var ci = c.AsSpan(i * n, n);
            for (var p = 0; p < k; p++)
            {
                var aip = a[(i * k) + p];
                var bp = b.AsSpan(p * n, n);
                for (var j = 0; j < n; j++)
                {
                    ci[j] += aip * bp[j];
                }
            }
        }

        return c[^1];
    }

    [Benchmark]
    public float Managed()
    {
        Gemm.Multiply(false, false, _m, _n, _k, 1f, _a, _k, _b, _n, 0f, _c, _n);
        return _c[^1];
    }

    [Benchmark]
    public float OpenBlas()
    {
        if (!OpenBlasGemm.IsAvailable)
        {
            throw new InvalidOperationException(OpenBlasGemm.LoadError);
        }

        OpenBlasGemm.Multiply(false, false, _m, _n, _k, 1f, _a, _k, _b, _n, 0f, _c, _n, Gemm.DefaultThreads);
        return _c[^1];
    }

    private static float[] Random(Random rng, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((rng.NextDouble() * 2) - 1);
        }

        return values;
    }

    /// <summary>A short job for a baseline that takes seconds per call (see the class remarks).</summary>
    private sealed class GemmConfig : ManualConfig
    {
        public GemmConfig()
        {
            AddJob(Job.Default.WithUnrollFactor(1).WithWarmupCount(1).WithIterationCount(5).WithLaunchCount(1));

            // The generated benchmark project builds against the whole solution; on a busy 2-core machine that can
            // take longer than BenchmarkDotNet's default two minutes.
            WithBuildTimeout(TimeSpan.FromMinutes(10));
        }
    }
}
