using BenchmarkDotNet.Attributes;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Benchmarks;

/// <summary>
/// One training step of the GPT-2-style decoder of <c>crossmodal bench train</c> (L = 4, C = 256, NH = 8, V = 5,000,
/// T = 32, B = 32): the forward pass with loss as the baseline, and the full step (forward, backward, AdamW).
/// Both should show 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class TrainStepBenchmarks
{
    private TrainStepWorkload _workload = null!;

    [GlobalSetup]
    public void Setup() => _workload = new TrainStepWorkload(CpuBackend.Default);

    [Benchmark(Baseline = true)]
    public float ForwardLoss() => _workload.ForwardLoss();

    [Benchmark]
    public float TrainingStep() => _workload.Step();
}
