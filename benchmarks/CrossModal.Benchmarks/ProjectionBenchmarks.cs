using System;
using BenchmarkDotNet.Attributes;
using CrossModal.Bridging;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Benchmarks;

/// <summary>
/// DeCap's support-set projection (streaming softmax over GEMM blocks) against the same GEMM calls without the
/// softmax: the ratio says what the online softmax costs. Both do 4·M·N·D flops. The full-size figure
/// (10,000 × 100,000 × 512) comes from <c>crossmodal bench projection</c>; this class runs a smaller M so a
/// BenchmarkDotNet run stays short: <c>dotnet run -c Release --project benchmarks/CrossModal.Benchmarks -- --filter *Projection*</c>.
/// </summary>
[MemoryDiagnoser]
public class ProjectionBenchmarks
{
    private float[] _queries = Array.Empty<float>();     // (M, D) unit rows
    private float[] _support = Array.Empty<float>();     // (N, D) unit rows
    private float[] _destination = Array.Empty<float>(); // (M, D)
    private float[] _logits = Array.Empty<float>();      // (QueryBlock, SupportBlock)
    private float[] _accumulator = Array.Empty<float>(); // (QueryBlock, D)

    /// <summary>Queries M.</summary>
    [Params(1024)]
    public int Queries { get; set; }

    /// <summary>Support rows N.</summary>
    [Params(100_000)]
    public int Support { get; set; }

    /// <summary>Dimension D.</summary>
    [Params(512)]
    public int Dimension { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var rng = new Random(42);
        _queries = UnitRows(Queries, Dimension, rng);
        _support = UnitRows(Support, Dimension, rng);
        _destination = new float[Queries * Dimension];
        _logits = new float[SupportSetProjection.QueryBlock * SupportSetProjection.SupportBlock];
        _accumulator = new float[SupportSetProjection.QueryBlock * Dimension];
    }

    /// <summary>The two GEMMs per (query block, support block) that the projection issues, and nothing else.</summary>
    [Benchmark(Baseline = true)]
    public float PlainGemmSameShapes()
    {
        int d = Dimension, qb = SupportSetProjection.QueryBlock, sb = SupportSetProjection.SupportBlock;
        for (var q0 = 0; q0 < Queries; q0 += qb)
        {
            var mb = Math.Min(qb, Queries - q0);
            for (var s0 = 0; s0 < Support; s0 += sb)
            {
                var nb = Math.Min(sb, Support - s0);
                var block = _support.AsSpan(s0 * d, nb * d);
                Gemm.Multiply(false, true, mb, nb, d, 100f, _queries.AsSpan(q0 * d, mb * d), d, block, d, 0f, _logits, nb);
                Gemm.Multiply(false, false, mb, d, nb, 1f, _logits, nb, block, d, 1f, _accumulator, d);
            }
        }

        return _accumulator[0];
    }

    /// <summary>The projection at τ = 0.01 over all support rows.</summary>
    [Benchmark]
    public float Projection()
    {
        SupportSetProjection.Project(_queries, Queries, _support, Support, Dimension, 0.01f, 0, _destination);
        return _destination[0];
    }

    private static float[] UnitRows(int rows, int d, Random rng)
    {
        var data = new float[rows * d];
        for (var r = 0; r < rows; r++)
        {
            double sum = 0;
            for (var j = 0; j < d; j++)
            {
                var x = (float)(rng.NextDouble() - 0.5);
                data[r * d + j] = x;
                sum += x * x;
            }

            var inv = (float)(1 / Math.Sqrt(sum));
            for (var j = 0; j < d; j++)
            {
                data[r * d + j] *= inv;
            }
        }

        return data;
    }
}
