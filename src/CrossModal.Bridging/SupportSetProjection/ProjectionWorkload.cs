using System;
using System.Diagnostics;
using System.IO;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Bridging;

/// <summary>
/// The projection benchmark, shared by <c>crossmodal bench projection</c> and the BenchmarkDotNet suite: random unit
/// rows on a backend, <see cref="SupportSetProjection"/> at τ = 0.01 over all of them, and the same two GEMMs per
/// (query block, support block) without the softmax — the ratio of the two says what the online softmax costs. Both
/// do 4·M·N·D flops.
/// </summary>
internal sealed class ProjectionWorkload : IDisposable
{
    /// <summary>DeCap's temperature, used for every timed projection.</summary>
    public const float Temperature = 0.01f;

    private readonly TensorScope _scope;
    private readonly Tensor _logits;      // (QueryBlock·SupportBlock) of the plain GEMMs
    private readonly Tensor _accumulator; // (QueryBlock, D) of the plain GEMMs

    public ProjectionWorkload(int queries, int support, int dimension, IComputeBackend? backend = null, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(queries, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(support, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        _scope = new TensorScope(backend ?? CpuBackend.Default);
        var rng = new Random(seed);
        Queries = UnitRows(queries, dimension, rng);
        Support = UnitRows(support, dimension, rng);
        Destination = _scope.Allocate(queries, dimension);
        _logits = _scope.Allocate(Math.Min(SupportSetProjection.QueryBlock, queries) * Math.Min(SupportSetProjection.SupportBlock, support));
        _accumulator = _scope.Allocate(Math.Min(SupportSetProjection.QueryBlock, queries), dimension);
    }

    /// <summary>(M, D) query rows.</summary>
    public Tensor Queries { get; }

    /// <summary>(N, D) support rows.</summary>
    public Tensor Support { get; }

    /// <summary>(M, D) projected rows.</summary>
    public Tensor Destination { get; }

    /// <summary>Flops of the first <paramref name="queries"/> × <paramref name="support"/> rows: 4·M·N·D.</summary>
    public double Flops(int queries, int support) => 4.0 * queries * support * Queries.Dim(1);

    /// <summary>Projects the first <paramref name="queries"/> queries onto the first <paramref name="support"/> support rows.</summary>
    public void Project(int queries, int support)
    {
        var d = Queries.Dim(1);
        SupportSetProjection.Project(
            Destination.View(0, queries, d), Queries.View(0, queries, d), Support.View(0, support, d), Temperature, topK: 0);
    }

    /// <summary>The projection's two GEMMs per (query block, support block), without the softmax or rescaling.</summary>
    public void PlainGemm(int queries, int support)
    {
        var backend = _scope.Backend;
        var d = Queries.Dim(1);
        var qb = Math.Min(SupportSetProjection.QueryBlock, queries);
        var sb = Math.Min(SupportSetProjection.SupportBlock, support);
        for (var q0 = 0; q0 < queries; q0 += qb)
        {
            var mb = Math.Min(qb, queries - q0);
            var queryBlock = Queries.View((long)q0 * d, mb, d);
            var accumulator = _accumulator.View(0, mb, d);
            for (var s0 = 0; s0 < support; s0 += sb)
            {
                var nb = Math.Min(sb, support - s0);
                var supportBlock = Support.View((long)s0 * d, nb, d);
                var logits = _logits.View(0, mb, nb);
                backend.MatMul(logits, queryBlock, false, supportBlock, true, alpha: 1f / Temperature);
                backend.MatMul(accumulator, logits, false, supportBlock, false, alpha: 1f, beta: 1f);
            }
        }
    }

    /// <summary>Seconds and GFLOP/s of one full-size run of each.</summary>
    public readonly record struct Result(double ProjectionSeconds, double ProjectionGflops, double GemmSeconds, double GemmGflops);

    /// <summary>Warms both paths up (JIT, GEMM workspaces) on a slice, then times the full size once each.</summary>
    /// <param name="progress">Where to say what is being timed, or null.</param>
    public Result Measure(TextWriter? progress)
    {
        int m = Queries.Dim(0), n = Support.Dim(0);
        var warmQueries = Math.Min(m, SupportSetProjection.QueryBlock);
        var warmSupport = Math.Min(n, 4 * SupportSetProjection.SupportBlock);
        Project(warmQueries, warmSupport);
        PlainGemm(warmQueries, warmSupport);

        progress?.WriteLine("timing projection…");
        var watch = Stopwatch.StartNew();
        Project(m, n);
        _scope.Backend.Synchronize();
        var projection = watch.Elapsed.TotalSeconds;
        progress?.WriteLine("timing plain GEMM on the same blocks…");
        watch.Restart();
        PlainGemm(m, n);
        _scope.Backend.Synchronize();
        var gemm = watch.Elapsed.TotalSeconds;
        var flops = Flops(m, n);
        return new Result(projection, flops / projection / 1e9, gemm, flops / gemm / 1e9);
    }

    public void Dispose() => _scope.Dispose();

    private Tensor UnitRows(int rows, int d, Random rng)
    {
        var values = new float[(long)rows * d];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(rng.NextDouble() - 0.5);
        }

        var tensor = _scope.Upload(values, rows, d);
        _scope.Backend.L2NormalizeForward(tensor, _scope.Allocate(rows), tensor, L2Normalize.DefaultEpsilon);
        return tensor;
    }
}
