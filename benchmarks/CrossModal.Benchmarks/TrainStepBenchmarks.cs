using System;
using BenchmarkDotNet.Attributes;
using CrossModal.Models.Language;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;

namespace CrossModal.Benchmarks;

/// <summary>
/// One training step of the GPT-2-style decoder of <c>crossmodal bench train</c> (L = 4, C = 256, NH = 8, V = 5,000,
/// T = 32, B = 32): the forward pass with loss as the baseline, and the full step (forward, backward, AdamW).
/// Both should show 0 B allocated.
/// </summary>
[MemoryDiagnoser]
public class TrainStepBenchmarks
{
    private const int Batch = 32;
    private const int Context = 32;
    private const int Vocabulary = 5000;

    private TransformerLanguageModel _model = null!;
    private AdamW _optimizer = null!;
    private int[] _tokens = [];
    private int[] _targets = [];

    [GlobalSetup]
    public void Setup()
    {
        _model = new TransformerLanguageModel(CpuBackend.Default, new TransformerLanguageModelOptions
        {
            VocabularySize = Vocabulary, Context = Context, Width = 256, Layers = 4, Heads = 8,
        });
        _model.ResetParameters(seed: 1234);
        _optimizer = new AdamW(_model.Parameters(), new AdamWOptions { LearningRate = 3e-4f, WeightDecay = 0.1f });
        var rng = new Random(42);
        _tokens = new int[Batch * Context];
        _targets = new int[Batch * Context];
        for (var i = 0; i < _tokens.Length; i++)
        {
            _tokens[i] = rng.Next(Vocabulary);
            _targets[i] = rng.Next(Vocabulary);
        }
    }

    [Benchmark(Baseline = true)]
    public float ForwardLoss() => _model.ForwardLoss(_tokens, _targets, Batch, Context);

    [Benchmark]
    public float TrainingStep()
    {
        _model.ZeroGrad();
        var loss = _model.ForwardLoss(_tokens, _targets, Batch, Context);
        _model.Backward();
        _optimizer.Step();
        return loss;
    }
}
