using System;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Captioning;
using CrossModal.Tensors.Cpu;
using CrossModal.Training.Adversarial;
using Xunit;

namespace CrossModal.Training.Tests.Adversarial;

/// <summary>
/// The adversarial trainer's steady state allocates nothing, and its sampling with dropout runs the very network the
/// policy-gradient pass scores: the same masks, so the same log-probabilities.
/// </summary>
public class AdversarialAllocationTests
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
            m.Row(i)[(i + 1) % 4] = 0.5f;
        }

        return m;
    }

    private static readonly int[][] Corpus = [[0], [1], [2], [3], [0, 4], [1, 4], [2, 4], [3, 4, 1, 2, 0]];

    /// <summary>Bag-of-words "CLIP" embedding written into the trainer's matrix (no allocation).</summary>
    private sealed class BagEmbedder : ICaptionEmbedder
    {
        public int Dimension => AdversarialAllocationTests.Dimension;

        public void Embed(RewardBatch captions, EmbeddingMatrix destination)
        {
            destination.Span.Clear();
            for (var i = 0; i < captions.Count; i++)
            {
                foreach (var t in captions.Caption(i))
                {
                    if (t < Dimension)
                    {
                        destination.Row(i)[t] += 1f;
                    }
                }
            }
        }
    }

    private static (PrefixLanguageModel Generator, Discriminator Discriminator) Models(float dropout)
    {
        var decoder = new Gpt2Decoder(Backend, new Gpt2DecoderOptions { VocabularySize = Vocabulary, Context = 10, Width = 16, Layers = 2, Heads = 2, Dropout = dropout });
        var generator = new PrefixLanguageModel(new LinearMapper(Backend, Dimension, 16), decoder);
        generator.ResetParameters(11);
        var discriminator = new Discriminator(Backend, new DiscriminatorOptions { VocabularySize = Vocabulary, Context = 8, Width = 16, Layers = 1, Heads = 2, Dropout = dropout });
        discriminator.ResetParameters(12);
        return (generator, discriminator);
    }

    private static AdversarialCaptionTrainerOptions Options(int steps, PolicyBaseline baseline = PolicyBaseline.Greedy, bool sampleWithDropout = true) => new()
    {
        Steps = steps,
        ImagesPerStep = 3,
        SamplesPerImage = 4,
        MaxTokens = 5,
        Baseline = baseline,
        SampleWithDropout = sampleWithDropout,
        GeneratorLearningRate = 3e-3f,
        DiscriminatorLearningRate = 1e-3f,
        Schedule = new RewardSchedule { WarmupSteps = 0, RampSteps = 0, Final = 0.7f },
        Seed = 5,
    };

    [Theory]
    [InlineData(PolicyBaseline.Greedy, true)]
    [InlineData(PolicyBaseline.LeaveOneOut, false)]
    public void Steady_state_steps_allocate_nothing(PolicyBaseline baseline, bool sampleWithDropout)
    {
        var (generator, discriminator) = Models(0.1f);
        var trainer = new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), new BagEmbedder(), End, Options(1000, baseline, sampleWithDropout));
        var images = Images();
        for (var i = 0; i < 6; i++)
        {
            trainer.Step(images, Corpus);
        }

        // The least of three trials of four steps: a JIT tier-up or a runtime timer may allocate once on this thread.
        var least = long.MaxValue;
        for (var trial = 0; trial < 3; trial++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 4; i++)
            {
                trainer.Step(images, Corpus);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
        Assert.Equal(18, trainer.StepsDone);
    }

    [Fact]
    public void The_span_embedder_and_the_array_embedder_give_the_same_run()
    {
        float[] Run(bool span)
        {
            var (generator, discriminator) = Models(0.1f);
            var bag = new BagEmbedder();
            EmbeddingMatrix Embed(System.Collections.Generic.IReadOnlyList<int[]> captions)
            {
                var m = new EmbeddingMatrix(captions.Count, Dimension);
                bag.Embed(new RewardBatch(captions, new int[captions.Count]), m);
                return m;
            }

            var trainer = span
                ? new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), bag, End, Options(4))
                : new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), Embed, End, Options(4));
            return trainer.Train(Images(), Corpus).SelectMany(s => new[] { s.MeanReward, s.PolicyLoss, s.DiscriminatorLoss }).ToArray();
        }

        Assert.Equal(Run(span: false), Run(span: true));
    }

    [Fact]
    public void With_dropout_zero_sampling_with_dropout_is_sampling_without()
    {
        (float[] History, float[] Parameters) Run(bool sampleWithDropout)
        {
            var (generator, discriminator) = Models(0f);
            var trainer = new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), new BagEmbedder(), End, Options(4, sampleWithDropout: sampleWithDropout));
            var history = trainer.Train(Images(), Corpus).SelectMany(s => new[] { s.MeanReward, s.PolicyLoss, s.DiscriminatorLoss }).ToArray();
            return (history, generator.Parameters().SelectMany(p => p.Value.ToArray()).ToArray());
        }

        var on = Run(true);
        var off = Run(false);
        Assert.Equal(off.History, on.History);
        Assert.Equal(off.Parameters, on.Parameters);
    }

    [Fact]
    public void Sampling_with_dropout_is_deterministic_and_differs_from_sampling_without()
    {
        float[] Run(bool sampleWithDropout)
        {
            var (generator, discriminator) = Models(0.3f);
            var trainer = new AdversarialCaptionTrainer(generator, discriminator, new ClipCosineReward(Images()), new BagEmbedder(), End, Options(6, sampleWithDropout: sampleWithDropout));
            return trainer.Train(Images(), Corpus).SelectMany(s => new[] { s.MeanReward, s.PolicyLoss, s.DiscriminatorLoss }).ToArray();
        }

        var first = Run(true);
        Assert.Equal(first, Run(true));
        Assert.NotEqual(first, Run(false));
    }

    [Fact]
    public void A_steps_random_stream_is_a_fixed_function_of_seed_and_step()
    {
        // Values of SplitMix64 from Hash((seed << 32) | step), computed outside .NET: the same in every process (a
        // HashCode-mixed seed differs between processes, so a run resumed in a new process would draw other samples).
        var rng = new StepRandom();
        rng.Reseed(7, 3);
        Assert.Equal([907, 869, 425, 223, 735], Enumerable.Range(0, 5).Select(_ => rng.Next(1000)).ToArray());
        rng.Reseed(7, 3);
        Assert.Equal(0.9073387454018456, rng.NextDouble());
    }

    [Fact]
    public void Cached_decoding_with_dropout_gives_the_log_probabilities_of_the_teacher_forced_training_pass()
    {
        var (generator, _) = Models(0.3f);
        const int batch = 3;
        const int tc = 5;
        var k = generator.PrefixLength;
        var images = Images();
        var embeddings = Backend.Allocate(batch, Dimension);
        embeddings.CopyFrom(images.Span[..(batch * Dimension)]);
        int[] tokens = [0, 1, 2, 3, 4, 4, 3, 2, 1, 0, 1, 1, 4, 2, 3];

        float[] CachedMeanLogProbabilities(bool dropout)
        {
            var cache = generator.Decoder.CreateCache(batch, k + tc);
            cache.SetDropout(k + tc, dropout ? batch : 0);
            generator.Eval();
            generator.BeginDecoding(embeddings, cache);
            var sums = new double[batch];
            var logits = new float[batch * Vocabulary];
            var next = new int[batch];
            for (var t = 0; t < tc; t++)
            {
                cache.Logits.CopyTo(logits);
                for (var b = 0; b < batch; b++)
                {
                    var row = logits.AsSpan(b * Vocabulary, Vocabulary);
                    var max = row.ToArray().Max();
                    var lse = max + Math.Log(row.ToArray().Sum(v => Math.Exp(v - max)));
                    sums[b] += row[tokens[(b * tc) + t]] - lse;
                    next[b] = tokens[(b * tc) + t];
                }

                if (t < tc - 1)
                {
                    generator.Decoder.Step(cache, next);
                }
            }

            return sums.Select(v => (float)(v / tc)).ToArray();
        }

        var withDropout = CachedMeanLogProbabilities(dropout: true);
        var evaluation = CachedMeanLogProbabilities(dropout: false);

        // The training-mode pass draws its masks now, from the counters the cached steps read without advancing.
        generator.Train();
        var loss = new PolicyGradientLoss(generator);
        loss.Forward(embeddings, tokens, [tc, tc, tc], [1f, 1f, 1f], tc);
        var trained = loss.MeanLogProbabilities.ToArray();
        for (var b = 0; b < batch; b++)
        {
            Assert.Equal(trained[b], withDropout[b], 4);
        }

        Assert.True(trained.Zip(evaluation).Any(p => Math.Abs(p.First - p.Second) > 1e-3), "dropout 0.3 should change some log-probability");
    }
}
