using System;
using CrossModal.Models.Language;
using CrossModal.Tensors;
using CrossModal.Tensors.Optim;

namespace CrossModal.Benchmarks;

/// <summary>
/// The training step both training-step benchmarks time, on whichever backend they give it: the GPT-2-style decoder of
/// <c>crossmodal bench train</c> (L = 4, C = 256, NH = 8, V = 5,000, T = 32, B = 32), AdamW, and seeded random tokens,
/// so the CPU and GPU figures are of the same work.
/// </summary>
internal sealed class TrainStepWorkload
{
    public const int Batch = 32;
    public const int Context = 32;
    public const int Vocabulary = 5000;

    private readonly int[] _tokens = new int[Batch * Context];
    private readonly int[] _targets = new int[Batch * Context];

    public TrainStepWorkload(IComputeBackend backend)
    {
        Model = new TransformerLanguageModel(backend, new TransformerLanguageModelOptions
        {
            VocabularySize = Vocabulary, Context = Context, Width = 256, Layers = 4, Heads = 8,
        });
        Model.ResetParameters(seed: 1234);
        Optimizer = new AdamW(Model.Parameters(), new AdamWOptions { LearningRate = 3e-4f, WeightDecay = 0.1f });
        var rng = new Random(42);
        for (var i = 0; i < _tokens.Length; i++)
        {
            _tokens[i] = rng.Next(Vocabulary);
            _targets[i] = rng.Next(Vocabulary);
        }
    }

    public TransformerLanguageModel Model { get; }

    public AdamW Optimizer { get; }

    /// <summary>The forward pass with the loss.</summary>
    public float ForwardLoss() => Model.ForwardLoss(_tokens, _targets, Batch, Context);

    /// <summary>Forward, backward and one AdamW step.</summary>
    public float Step()
    {
        Model.ZeroGrad();
        var loss = ForwardLoss();
        Model.Backward();
        Optimizer.Step();
        return loss;
    }
}
