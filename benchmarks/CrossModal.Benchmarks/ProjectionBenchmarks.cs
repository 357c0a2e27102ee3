using BenchmarkDotNet.Attributes;
using CrossModal.Bridging;

namespace CrossModal.Benchmarks;

/// <summary>
/// DeCap's support-set projection (streaming softmax over GEMM blocks) against the same GEMM calls without the
/// softmax: the ratio says what the online softmax costs. Both do 4·M·N·D flops. The workload is the one
/// <c>crossmodal bench projection</c> times; the full-size figure (10,000 × 100,000 × 512) comes from that command,
/// and this class runs a smaller M so a BenchmarkDotNet run stays short:
/// <c>dotnet run -c Release --project benchmarks/CrossModal.Benchmarks -- --filter *Projection*</c>.
/// </summary>
[MemoryDiagnoser]
public class ProjectionBenchmarks
{
    private ProjectionWorkload? _workload;

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
    public void Setup() => _workload = new ProjectionWorkload(Queries, Support, Dimension, seed: 42);

    [GlobalCleanup]
    public void Cleanup()
    {
        _workload?.Dispose();
        _workload = null;
    }

    /// <summary>The two GEMMs per (query block, support block) that the projection issues, and nothing else.</summary>
    [Benchmark(Baseline = true)]
    public void PlainGemmSameShapes() => _workload!.PlainGemm(Queries, Support);

    /// <summary>The projection at τ = 0.01 over all support rows.</summary>
    [Benchmark]
    public void Projection() => _workload!.Project(Queries, Support);
}
