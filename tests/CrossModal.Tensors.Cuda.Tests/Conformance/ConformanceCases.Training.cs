using System;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Captioning;
using CrossModal.Tensors.Cpu;
using CrossModal.Text;
using CrossModal.Training.Captioning;

namespace CrossModal.Tensors.Cuda.Tests.Conformance;

/// <content>End to end: a few steps of the caption trainer (text-only supervision) with the backend injected.</content>
public static partial class ConformanceCases
{
    // Tiny on purpose: the CPU test device runs one OS thread per simulated GPU thread.
    private static readonly string[] Captions =
    [
        "a dog runs on grass", "a black dog jumps", "two children play", "a man rides a bike",
        "a woman walks", "a cat sleeps", "a boy throws a ball", "a girl reads a book",
    ];

    /// <summary>Per-step losses of the backend under test and of the CPU backend, same seeds.</summary>
    public static (float[] Backend, float[] Cpu) TrainCaptioner(IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        using var cpu = new CpuBackend();
        return (Train(backend), Train(cpu));
    }

    private static void CaptionerTraining(IComputeBackend backend)
    {
        var (actual, expected) = TrainCaptioner(backend);
        Check.Equal(expected.Length, actual.Length, "number of steps");
        Check.Equal(true, expected.Length >= 4, "at least four steps ran");
        for (var i = 0; i < expected.Length; i++)
        {
            var error = Math.Abs(actual[i] - expected[i]) / Math.Abs(expected[i]);
            if (!(error <= Check.TrainingLossTolerance))
            {
                throw new ConformanceException($"step {i + 1}: loss {actual[i]} against the CPU backend's {expected[i]} (relative error {error:E2} exceeds {Check.TrainingLossTolerance:E0}).");
            }
        }
    }

    private static float[] Train(IComputeBackend backend)
    {
        const int Dimension = 8;
        var tokenizer = WordTokenizer.Build(Captions);
        var spec = new PrefixLanguageModelOptions
        {
            EmbeddingDimension = Dimension,
            PrefixLength = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = tokenizer.VocabularySize, Context = 8, Width = 8, Layers = 1, Heads = 2 },
        };
        var model = new PrefixLanguageModel(backend, spec);
        model.ResetParameters(3);
        var options = new CaptionTrainerOptions
        {
            Epochs = 2,
            BatchSize = 4,
            LearningRate = 3e-3f,
            WarmupSteps = 1,
            ValidationFraction = 0,
            EarlyStoppingPatience = 0,
            LabelSmoothing = 0.05f,
            Seed = 17,
        };
        var embeddings = new EmbeddingMatrix(Random(Captions.Length * Dimension, 11), Captions.Length, Dimension);
        var result = new CaptionTrainer(model, tokenizer, null, options).Train(Captions, embeddings);
        return result.StepLosses.ToArray();
    }
}
