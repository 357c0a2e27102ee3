using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.Tensors.Cpu;
using CrossModal.Text;
using CrossModal.Training.Captioning;
using Xunit;
using Xunit.Abstractions;

namespace CrossModal.Training.Tests.Captioning;

public sealed class CaptionTrainerTests(ITestOutputHelper output)
{
    [Fact]
    public void TeacherForcingScoresRealTokensEqualToPaddingAndIgnoresTheRest()
    {
        // GPT-2 pads with its end token; a caption may contain the padding id itself. Here the padding id is 0 and the
        // caption is [5, 0, 7]: all three tokens and the end token (2) are scored; prefix positions and padding are not.
        var tokens = new int[5];
        Array.Fill(tokens, 0);
        var targets = new int[3 + 5];
        Array.Fill(targets, -100);
        var scored = CaptionTrainer.WriteTeacherForcing([5, 0, 7], 3, 5, 2, tokens, targets);
        Assert.Equal(4, scored);
        Assert.Equal([5, 0, 7, 0, 0], tokens);
        Assert.Equal([-100, -100, 5, 0, 7, 2, -100, -100], targets);

        // A caption longer than the slots is truncated and gets no end token.
        Array.Fill(targets, -100);
        Assert.Equal(2, CaptionTrainer.WriteTeacherForcing([4, 4, 4], 1, 2, 2, tokens.AsSpan(0, 2), targets.AsSpan(0, 3)));
        Assert.Equal([4, 4, -100], targets[..3]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ResumingFromACancelledRunReproducesTheUninterruptedLosses(bool groupByLength)
    {
        var captions = CaptionTrainingTestData.Flickr8k(40, 10);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 16, 7);
        var directory = Directory.CreateTempSubdirectory("crossmodal-resume-");
        try
        {
            var full = NewTrainer(captions, embeddings, Path.Combine(directory.FullName, "full.safetensors"), Options(Path.Combine(directory.FullName, "full.safetensors"), groupByLength));
            var uninterrupted = full.Train(captions, embeddings);
            Assert.Equal(15, uninterrupted.StepLosses.Count);
            Assert.Equal(3, uninterrupted.ValidationLosses.Count);

            var checkpoint = Path.Combine(directory.FullName, "interrupted.safetensors");
            var first = NewTrainer(captions, embeddings, checkpoint, Options(checkpoint, groupByLength));
            using var cancellation = new CancellationTokenSource();
            var stopAfter = 7;
            var partial = first.Train(captions, embeddings, new Synchronous(p =>
            {
                if (p.Step == stopAfter)
                {
                    cancellation.Cancel();
                }
            }), cancellation.Token);
            Assert.True(partial.Cancelled);
            Assert.Equal(stopAfter, partial.StepLosses.Count);

            // The checkpoint left by the cancelled run is complete and says where the run stopped.
            var saved = CaptionerCheckpoint.Load(checkpoint, CpuBackend.Default);
            Assert.Equal(stopAfter, saved.State.Step);
            Assert.Equal((1, 2), (saved.State.Epoch, saved.State.BatchInEpoch));
            Assert.False(saved.State.Completed);

            var resumed = CaptionTrainer.Resume(saved, Options(checkpoint, groupByLength)).Train(captions, embeddings);
            var combined = partial.StepLosses.Concat(resumed.StepLosses).ToArray();
            Assert.Equal(uninterrupted.StepLosses.ToArray(), combined);
            Assert.Equal(uninterrupted.ValidationLosses.Skip(1).ToArray(), resumed.ValidationLosses.ToArray());
            Assert.Equal(15, resumed.Steps);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void BestCheckpointCaptionsLikeTheTrainedModel()
    {
        var captions = CaptionTrainingTestData.Flickr8k(24, 8);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 16, 3);
        var directory = Directory.CreateTempSubdirectory("crossmodal-best-");
        try
        {
            var best = Path.Combine(directory.FullName, "best.safetensors");
            var options = Options(null);
            options.ValidationFraction = 0;
            options.BestModelPath = best;
            var trainer = NewTrainer(captions, embeddings, null, options);
            trainer.Train(captions, embeddings);
            var loaded = CaptionerCheckpoint.Load(best, CpuBackend.Default);
            Assert.IsType<WordTokenizer>(loaded.Tokenizer);
            Assert.Equal(((WordTokenizer)trainer.Tokenizer).Tokens, ((WordTokenizer)loaded.Tokenizer).Tokens);
            Assert.Equal(trainer.Bridge!.Name, loaded.Bridge!.Name);
            var images = CaptionTrainingTestData.RandomUnitEmbeddings(5, 16, 99);
            var expected = new PrefixCaptioner(trainer.Model, trainer.Tokenizer, trainer.Bridge).Caption(images);
            Assert.Equal(expected, loaded.ToCaptioner().Caption(images));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void MismatchedInputsAreRejected()
    {
        var captions = CaptionTrainingTestData.Flickr8k(10, 10);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 16, 1);
        var trainer = NewTrainer(captions, embeddings, null);
        var error = Assert.Throws<ArgumentException>(() => trainer.Train(captions[..5], embeddings));
        Assert.Equal("embeddings", error.ParamName);
        var wrongDimension = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 8, 1);
        Assert.Throws<ArgumentException>(() => trainer.Train(captions, wrongDimension));
    }

    [Fact]
    public void TrainingThroughATextEncoderEqualsTrainingOnItsPrecomputedEmbeddings()
    {
        var captions = CaptionTrainingTestData.Flickr8k(24, 10);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 16, 11);
        var precomputed = NewTrainer(captions, embeddings, null).Train(captions, embeddings);
        var encoder = new TableEncoder(captions, embeddings);
        var encoded = NewTrainer(captions, embeddings, null).Train(captions, encoder);
        Assert.Equal(captions, encoder.Seen);
        Assert.Equal(precomputed.StepLosses.ToArray(), encoded.StepLosses.ToArray());
        Assert.NotEmpty(encoded.StepLosses);
    }

    /// <summary>
    /// Evidence that text-only training really fits captions: a small decoder trained from scratch on 300 real captions, each conditioned on a fixed
    /// random unit vector standing in for its text embedding, reproduces at least 90 % of them exactly by greedy
    /// decoding from their own embeddings, in well under a minute on the 2-core development machine.
    /// </summary>
    [Fact]
    public void SmallDecoderMemorisesThreeHundredCaptions()
    {
        var captions = CaptionTrainingTestData.Flickr8k(300, 12);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 64, 2024);
        var tokenizer = WordTokenizer.Build(captions);
        var spec = new PrefixLanguageModelOptions
        {
            Mapper = PrefixMapperKind.Mlp,
            EmbeddingDimension = 64,
            PrefixLength = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = tokenizer.VocabularySize, Context = 2 + 13, Width = EvidenceWidth, Layers = 2, Heads = 4 },
        };
        var model = new PrefixLanguageModel(CpuBackend.Default, spec);
        model.ResetParameters(1);
        var options = new CaptionTrainerOptions
        {
            Epochs = EvidenceEpochs,
            BatchSize = 30,
            LearningRate = EvidenceLearningRate,
            WarmupSteps = 20,
            ValidationFraction = 0,
            Seed = 5,
        };
        var stopwatch = Stopwatch.StartNew();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var result = new CaptionTrainer(model, tokenizer, null, options).Train(captions, embeddings);
        var training = stopwatch.Elapsed;
        var trainingCpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
        var generated = new PrefixCaptioner(model, tokenizer, null, new DecodingOptions { MaxTokens = 13 }).Caption(embeddings);
        var exact = captions.Zip(generated).Count(pair => CaptionTrainingTestData.Normalize(pair.First) == pair.Second);
        var fraction = exact / (double)captions.Length;
        output.WriteLine($"{exact}/{captions.Length} exact ({fraction:P1}); {result.Steps} steps in {training.TotalSeconds:F1} s wall, {trainingCpu.TotalSeconds:F1} s CPU, {result.TokensPerSecond:F0} tokens/s, final loss {result.StepLosses[^1]:F4}");
        Assert.True(fraction >= 0.9, $"only {exact}/{captions.Length} captions reproduced exactly");
        // The time budget (under a minute) is measured and reported above, never asserted: speed belongs in benchmarks.
    }

    private const int EvidenceWidth = 128;
    private const int EvidenceEpochs = 40;
    private const float EvidenceLearningRate = 3e-3f;

    [Fact]
    public void APaddedBatchAndOneTrimmedToItsLongestCaptionHaveTheSameLoss()
    {
        // What GroupByLength relies on: positions past a caption's end token are never scored and, the decoder being
        // causal, never seen by scored positions, so a batch run at its longest caption's length scores as at Tc.
        var model = new PrefixLanguageModel(CpuBackend.Default, new PrefixLanguageModelOptions
        {
            EmbeddingDimension = 8,
            PrefixLength = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = 20, Context = 14, Width = 16, Layers = 2, Heads = 2 },
        });
        model.ResetParameters(4);
        int[][] captions = [[5, 6, 7], [8, 9, 10, 11, 12], [13, 14]];
        var embeddings = CpuBackend.Default.Allocate(3, 8);
        embeddings.CopyFrom(CaptionTrainingTestData.RandomUnitEmbeddings(3, 8, 9).Span);
        float Loss(int tc)
        {
            var tokens = new int[3 * tc];
            var targets = new int[3 * (2 + tc)];
            Array.Fill(targets, -100);
            for (var i = 0; i < 3; i++)
            {
                CaptionTrainer.WriteTeacherForcing(captions[i], 2, tc, 1, tokens.AsSpan(i * tc, tc), targets.AsSpan(i * (2 + tc), 2 + tc));
            }

            return model.ForwardLoss(embeddings, tokens, targets, 3, tc);
        }

        var padded = Loss(12);
        Assert.Equal(padded, Loss(5), 5);
        Assert.Equal(padded, Loss(8), 5);
        Assert.NotEqual(padded, Loss(4), 3); // shorter than the longest caption: that one loses its end token
    }

    [Fact]
    public void GroupingByLengthIsDeterministicAndChangesTheBatches()
    {
        var captions = CaptionTrainingTestData.Flickr8k(40, 10);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(captions.Length, 16, 7);
        var grouped = NewTrainer(captions, embeddings, null, Options(null, true)).Train(captions, embeddings);
        var again = NewTrainer(captions, embeddings, null, Options(null, true)).Train(captions, embeddings);
        var plain = NewTrainer(captions, embeddings, null, Options(null, false)).Train(captions, embeddings);
        Assert.Equal(grouped.StepLosses.ToArray(), again.StepLosses.ToArray());
        Assert.Equal(plain.StepLosses.Count, grouped.StepLosses.Count);
        Assert.NotEqual(plain.StepLosses.ToArray(), grouped.StepLosses.ToArray());
        Assert.All(grouped.StepLosses, l => Assert.True(float.IsFinite(l)));
    }

    private static CaptionTrainerOptions Options(string? checkpoint, bool groupByLength = false) => new()
    {
        GroupByLength = groupByLength,
        Epochs = 3,
        BatchSize = 8,
        LearningRate = 3e-3f,
        WarmupSteps = 3,
        ValidationFraction = 0.1,
        EarlyStoppingPatience = 0,
        LabelSmoothing = 0.05f,
        Seed = 17,
        CheckpointPath = checkpoint,
    };

    private static CaptionTrainer NewTrainer(string[] captions, EmbeddingMatrix embeddings, string? checkpoint, CaptionTrainerOptions? options = null)
    {
        var tokenizer = WordTokenizer.Build(captions);
        var spec = new PrefixLanguageModelOptions
        {
            EmbeddingDimension = embeddings.Dimension,
            PrefixLength = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = tokenizer.VocabularySize, Context = 16, Width = 32, Layers = 1, Heads = 2 },
        };
        var model = new PrefixLanguageModel(CpuBackend.Default, spec);
        model.ResetParameters(3);
        var bridge = BridgePresets.Create(BridgePreset.C3);
        bridge.Fit(new BridgeFitData { UnpairedTexts = embeddings, UnpairedImages = CaptionTrainingTestData.RandomUnitEmbeddings(20, embeddings.Dimension, 123) });
        return new CaptionTrainer(model, tokenizer, bridge, options ?? Options(checkpoint));
    }

    /// <summary>A text encoder that looks captions up in a table (stands in for CLIP).</summary>
    private sealed class TableEncoder(string[] captions, EmbeddingMatrix embeddings) : ITextEncoder
    {
        public IReadOnlyList<string>? Seen { get; private set; }

        public int Dimension => embeddings.Dimension;

        public EmbeddingMatrix EncodeTexts(IReadOnlyList<string> texts)
        {
            Seen = texts.ToArray();
            var result = new EmbeddingMatrix(texts.Count, embeddings.Dimension);
            for (var i = 0; i < texts.Count; i++)
            {
                embeddings.Row(Array.IndexOf(captions, texts[i])).CopyTo(result.Row(i));
            }

            return result;
        }
    }

    private sealed class Synchronous(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
