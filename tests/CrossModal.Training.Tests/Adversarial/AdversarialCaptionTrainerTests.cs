using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Captioning;
using CrossModal.Tensors.Cpu;
using CrossModal.Training.Adversarial;
using Xunit;
using Xunit.Abstractions;

namespace CrossModal.Training.Tests.Adversarial;

/// <summary>
/// The adversarial trainer on a synthetic task: four "images" e_0..e_3, words 0..3 whose "CLIP text embedding" is the
/// bag of their one-hot vectors (word 4 is a filler with no embedding, 5 the end token); the CLIP-cos reward is highest
/// for a caption naming the image's word only.
/// </summary>
public class AdversarialCaptionTrainerTests(ITestOutputHelper output)
{
    private const int Vocabulary = 6;
    private const int End = 5;
    private const int Dimension = 4;

    private static readonly CpuBackend Backend = CpuBackend.Default;

    private static EmbeddingMatrix Images()
    {
        var m = new EmbeddingMatrix(4, Dimension);
        for (var i = 0; i < 4; i++)
        {
            m.Row(i)[i] = 1f;
        }

        return m;
    }

    private static EmbeddingMatrix Embed(IReadOnlyList<int[]> captions)
    {
        var m = new EmbeddingMatrix(captions.Count, Dimension);
        for (var i = 0; i < captions.Count; i++)
        {
            foreach (var t in captions[i])
            {
                if (t < Dimension)
                {
                    m.Row(i)[t] += 1f;
                }
            }
        }

        return m;
    }

    private static (PrefixLanguageModel Generator, Discriminator Discriminator) Models(float dropout = 0f)
    {
        var decoder = new Gpt2Decoder(Backend, new Gpt2DecoderOptions { VocabularySize = Vocabulary, Context = 8, Width = 16, Layers = 2, Heads = 2, Dropout = dropout });
        var generator = new PrefixLanguageModel(new LinearMapper(Backend, Dimension, 16), decoder);
        generator.ResetParameters(11);
        var discriminator = new Discriminator(Backend, new DiscriminatorOptions { VocabularySize = Vocabulary, Context = 8, Width = 16, Layers = 1, Heads = 2, Dropout = dropout });
        discriminator.ResetParameters(12);
        return (generator, discriminator);
    }

    private static float GreedyReward(PrefixLanguageModel generator, ClipCosineReward reward)
    {
        var images = Images();
        var greedy = CaptionGenerator.Generate(generator, images, End, new DecodingOptions { MaxTokens = 4 });
        var r = new float[4];
        reward.Compute(r, new RewardBatch(greedy, [0, 1, 2, 3], textEmbeddings: Embed(greedy)));
        return r.Average();
    }

    private static AdversarialCaptionTrainerOptions Options(int steps) => new()
    {
        Steps = steps,
        ImagesPerStep = 4,
        SamplesPerImage = 5,
        MaxTokens = 4,
        GeneratorLearningRate = 3e-3f,
        DiscriminatorLearningRate = 1e-3f,
        Schedule = new RewardSchedule { WarmupSteps = 0, RampSteps = 0, Final = 0.9f },
        Seed = 7,
    };

    private static readonly int[][] Corpus = [[0], [1], [2], [3], [0, 4], [1, 4], [2, 4], [3, 4]];

    [Theory]
    [InlineData(PolicyBaseline.Greedy)]
    [InlineData(PolicyBaseline.LeaveOneOut)]
    public void Reward_of_the_greedy_captions_goes_up(PolicyBaseline baseline)
    {
        var (generator, discriminator) = Models();
        var reward = new ClipCosineReward(Images());
        var before = GreedyReward(generator, reward);
        var options = Options(150);
        options.Baseline = baseline;
        var trainer = new AdversarialCaptionTrainer(generator, discriminator, reward, Embed, End, options);
        var steps = trainer.Train(Images(), Corpus);
        var after = GreedyReward(generator, reward);
        output.WriteLine($"{baseline}: greedy CLIP-cos reward {before:F1} → {after:F1}; sample reward {steps.Take(10).Average(s => s.MeanReward):F1} (first 10 steps) → {steps.TakeLast(10).Average(s => s.MeanReward):F1} (last 10)");
        Assert.Equal(150, trainer.StepsDone);
        Assert.All(steps, s => Assert.True(float.IsFinite(s.PolicyLoss) && float.IsFinite(s.DiscriminatorLoss)));
        Assert.True(after >= before + 20f, $"the greedy captions' reward should rise by at least 20 (of 100): {before:F1} → {after:F1}");
        Assert.True(steps.TakeLast(10).Average(s => s.MeanReward) > steps.Take(10).Average(s => s.MeanReward), "the samples' reward should rise");
    }

    [Fact]
    public void Same_seed_gives_the_same_run()
    {
        float[] Run()
        {
            var (generator, discriminator) = Models();
            var trainer = new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), Embed, End, Options(3));
            return trainer.Train(Images(), Corpus).Select(s => s.PolicyLoss + s.DiscriminatorLoss).ToArray();
        }

        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void A_resumed_run_ends_with_the_parameters_of_an_uninterrupted_one()
    {
        // Both networks have dropout, so the masks' counters must survive the checkpoint too.
        var (g1, d1) = Models(0.1f);
        new AdversarialCaptionTrainer(g1, d1, new ClipCosineReward(Images()), Embed, End, Options(6)).Train(Images(), Corpus);

        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"adversarial-{Guid.NewGuid():N}.safetensors");
        try
        {
            var (g4, d4) = Models(0.1f);
            var first = new AdversarialCaptionTrainer(g4, d4, new ClipCosineReward(Images()), Embed, End, Options(3));
            first.Train(Images(), Corpus);
            first.SaveCheckpoint(path);
            var (g5, d5) = Models(0.1f);
            var second = new AdversarialCaptionTrainer(g5, d5, new ClipCosineReward(Images()), Embed, End, Options(6));
            var error = Assert.Throws<System.IO.InvalidDataException>(() => second.LoadCheckpoint(Corrupt(path)));
            Assert.Contains("discriminator.fc2.bias", error.Message, StringComparison.Ordinal);
            second.LoadCheckpoint(path);
            Assert.Equal(3, second.StepsDone);
            Assert.Equal(3, second.Train(Images(), Corpus).Count);
            foreach (var ((name, expected), (_, actual)) in g1.NamedParameters().Zip(g5.NamedParameters()))
            {
                Assert.True(expected.Value.ToArray().SequenceEqual(actual.Value.ToArray()), $"generator {name} differs after resuming");
            }

            foreach (var ((name, expected), (_, actual)) in d1.NamedParameters().Zip(d5.NamedParameters()))
            {
                Assert.True(expected.Value.ToArray().SequenceEqual(actual.Value.ToArray()), $"discriminator {name} differs after resuming");
            }
        }
        finally
        {
            System.IO.File.Delete(path);
            System.IO.File.Delete(path + ".bad");
        }
    }

    private static string Corrupt(string path)
    {
        var content = CrossModal.Tensors.IO.SafeTensorsFile.Read(path);
        var tensors = content.Tensors.Where(t => t.Key != "discriminator.fc2.bias").ToDictionary(t => t.Key, t => t.Value);
        CrossModal.Tensors.IO.SafeTensorsFile.Write(path + ".bad", tensors, content.Metadata);
        return path + ".bad";
    }

    [Fact]
    public void Cancellation_stops_before_the_next_step()
    {
        var (generator, discriminator) = Models();
        var trainer = new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), Embed, End, Options(5));
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(_ => cts.Cancel());
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(Images(), Corpus, progress, cts.Token));
        Assert.Equal(1, trainer.StepsDone);
    }

    [Fact]
    public void Options_and_arguments_are_validated_by_name()
    {
        Assert.Equal("SamplesPerImage", Assert.Throws<ArgumentOutOfRangeException>(() => new AdversarialCaptionTrainerOptions { SamplesPerImage = 1, Baseline = PolicyBaseline.LeaveOneOut }.Validate()).ParamName);
        Assert.Equal("GradientClip", Assert.Throws<ArgumentOutOfRangeException>(() => new AdversarialCaptionTrainerOptions { GradientClip = 0f }.Validate()).ParamName);
        var defaults = new AdversarialCaptionTrainerOptions();
        Assert.Equal((5, 1f, 20, 1e-5f, 1e-5f, 0.05f, 1f), (defaults.SamplesPerImage, defaults.Temperature, defaults.MaxTokens, defaults.GeneratorLearningRate, defaults.DiscriminatorLearningRate, defaults.DiscriminatorWeightDecay, defaults.GradientClip));
        var (generator, discriminator) = Models();
        var tooLong = Options(1);
        tooLong.MaxTokens = 20;
        Assert.Throws<ArgumentOutOfRangeException>(() => new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), Embed, End, tooLong));
        var trainer = new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), Embed, End, Options(1));
        Assert.Throws<ArgumentException>(() => trainer.Train(Images(), []));
    }

    private sealed class SyncProgress(Action<AdversarialStep> report) : IProgress<AdversarialStep>
    {
        public void Report(AdversarialStep value) => report(value);
    }
}
