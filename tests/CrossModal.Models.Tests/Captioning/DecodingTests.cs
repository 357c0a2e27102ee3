using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Captioning;
using Xunit;

namespace CrossModal.Models.Tests.Captioning;

/// <summary>Key/value-cached decoding, greedy, beam search (against brute force) and sampling.</summary>
public sealed class DecodingTests
{
    private const int Eos = 3;

    [Theory]
    [InlineData("mlp")]
    [InlineData("transformer")]
    [InlineData("linear")]
    public void CachedStepsEqualFullRecomputation(string mapper)
    {
        var model = CaptioningTestModels.Create(mapper, vocabulary: 7, seed: 3);
        model.Eval();
        const int batch = 3;
        const int steps = 6;
        var embeddings = CaptioningTestModels.RandomEmbeddings(batch, 6, 5);
        var input = CaptioningTestModels.Upload(embeddings, batch, 6);
        var rng = new Random(9);
        var tokens = new int[batch, steps];
        for (var b = 0; b < batch; b++)
        {
            for (var t = 0; t < steps; t++)
            {
                tokens[b, t] = rng.Next(7);
            }
        }

        var cache = model.BeginDecoding(input, steps);
        var k = model.PrefixLength;
        for (var t = 0; t <= steps; t++)
        {
            var cached = cache.Logits.ToArray();
            var ids = new int[batch * t];
            for (var b = 0; b < batch; b++)
            {
                for (var j = 0; j < t; j++)
                {
                    ids[(b * t) + j] = tokens[b, j];
                }
            }

            var full = model.Forward(input, ids, batch, t).ToArray();
            for (var b = 0; b < batch; b++)
            {
                var position = (b * (k + t)) + k - 1 + t;
                CaptioningTestModels.AssertClose(full.AsSpan(position * 7, 7), cached.AsSpan(b * 7, 7), 1e-4f, 1e-4f, $"step {t} row {b}");
            }

            if (t < steps)
            {
                var next = new int[batch];
                for (var b = 0; b < batch; b++)
                {
                    next[b] = tokens[b, t];
                }

                model.Decoder.Step(cache, next);
            }
        }
    }

    [Fact]
    public void GreedyFollowsTheArgmaxOfFullRecomputation()
    {
        var model = CaptioningTestModels.Create("mlp", seed: 11);
        var embeddings = new EmbeddingMatrix(CaptioningTestModels.RandomEmbeddings(4, 6, 2), 4, 6);
        var options = new DecodingOptions { MaxTokens = 6 };
        var generated = CaptionGenerator.Generate(model, embeddings, Eos, options);
        for (var r = 0; r < 4; r++)
        {
            var reference = new List<int>();
            for (var t = 0; t < options.MaxTokens; t++)
            {
                var logProbabilities = NextLogProbabilities(model, embeddings.Row(r).ToArray(), reference);
                var best = Array.IndexOf(logProbabilities, logProbabilities.Max());
                if (best == Eos)
                {
                    break;
                }

                reference.Add(best);
            }

            Assert.Equal(reference, generated[r]);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void WideBeamSearchFindsTheBruteForceOptimum(bool lengthNormalize)
    {
        // V = 5 with the end token 3 and at most 3 tokens: 4 + 16 + 64 + 64 sequences. A beam of 64 keeps every live
        // hypothesis, so beam search must return exactly the best-scoring sequence.
        var model = CaptioningTestModels.Create("mlp", vocabulary: 5, seed: 21, scale: 0.6f);
        var embeddings = new EmbeddingMatrix(CaptioningTestModels.RandomEmbeddings(2, 6, 8), 2, 6);
        var options = new DecodingOptions { Strategy = DecodingStrategy.Beam, BeamWidth = 64, MaxTokens = 3, LengthNormalize = lengthNormalize };
        var generated = CaptionGenerator.Generate(model, embeddings, Eos, options);
        for (var r = 0; r < 2; r++)
        {
            var (best, _) = BruteForce(model, embeddings.Row(r).ToArray(), 5, 3, lengthNormalize);
            Assert.Equal(best, generated[r]);
        }
    }

    [Fact]
    public void BeamSearchNeverScoresBelowGreedy()
    {
        var model = CaptioningTestModels.Create("mlp", vocabulary: 5, seed: 4, scale: 0.6f);
        var embeddings = new EmbeddingMatrix(CaptioningTestModels.RandomEmbeddings(5, 6, 1), 5, 6);
        var greedy = CaptionGenerator.Generate(model, embeddings, Eos, new DecodingOptions { MaxTokens = 4, });
        var beam = CaptionGenerator.Generate(model, embeddings, Eos, new DecodingOptions { Strategy = DecodingStrategy.Beam, BeamWidth = 3, MaxTokens = 4 });
        for (var r = 0; r < 5; r++)
        {
            var e = embeddings.Row(r).ToArray();
            Assert.True(Score(model, e, beam[r], 4, true) >= Score(model, e, greedy[r], 4, true) - 1e-5);
        }
    }

    [Fact]
    public void SamplingIsSeededAndTopOneIsGreedy()
    {
        var model = CaptioningTestModels.Create("mlp", vocabulary: 7, seed: 6, scale: 0.3f);
        var embeddings = new EmbeddingMatrix(CaptioningTestModels.RandomEmbeddings(6, 6, 3), 6, 6);
        var sample = new DecodingOptions { Strategy = DecodingStrategy.Sample, MaxTokens = 6, Seed = 42 };
        var a = CaptionGenerator.Generate(model, embeddings, Eos, sample);
        var b = CaptionGenerator.Generate(model, embeddings, Eos, sample);
        Assert.Equal(a, b);
        sample.Seed = 43;
        var c = CaptionGenerator.Generate(model, embeddings, Eos, sample);
        Assert.NotEqual(a, c);
        var topOne = CaptionGenerator.Generate(model, embeddings, Eos, new DecodingOptions { Strategy = DecodingStrategy.Sample, TopK = 1, MaxTokens = 6, Seed = 1 });
        var greedy = CaptionGenerator.Generate(model, embeddings, Eos, new DecodingOptions { MaxTokens = 6 });
        Assert.Equal(greedy, topOne);
    }

    [Fact]
    public void SamplesAndGreedyCaptionsInOneBatchEqualThoseOfSeparateCalls()
    {
        var model = CaptioningTestModels.Create("mlp", vocabulary: 7, seed: 6, scale: 0.3f);
        var samples = new EmbeddingMatrix(CaptioningTestModels.RandomEmbeddings(6, 6, 3), 6, 6);
        var greedyRows = new EmbeddingMatrix(CaptioningTestModels.RandomEmbeddings(2, 6, 4), 2, 6);
        var sample = new DecodingOptions { Strategy = DecodingStrategy.Sample, MaxTokens = 6, Seed = 42 };

        var (sampled, greedy) = CaptionGenerator.SampleWithGreedy(model, samples, greedyRows, Eos, sample);

        Assert.Equal(CaptionGenerator.Generate(model, samples, Eos, sample), sampled);
        Assert.Equal(CaptionGenerator.Generate(model, greedyRows, Eos, new DecodingOptions { MaxTokens = 6 }), greedy);
    }

    [Theory]
    [InlineData(1f, 0, 1f)]
    [InlineData(0.5f, 0, 1f)]
    [InlineData(1f, 2, 1f)]
    [InlineData(1f, 0, 0.7f)]
    public void SampleFrequenciesFollowTheTruncatedSoftmax(float temperature, int topK, float topP)
    {
        float[] logits = [2f, 1f, 0f, -1f];
        var options = new DecodingOptions { Temperature = temperature, TopK = topK, TopP = topP };
        var expected = logits.Select(x => Math.Exp(x / temperature)).ToArray();
        var z = expected.Sum();
        expected = expected.Select(p => p / z).ToArray();
        var keep = topK > 0 ? topK : 4;
        double cumulative = 0;
        for (var i = 0; i < keep; i++)
        {
            cumulative += expected[i];
            if (cumulative >= topP)
            {
                keep = i + 1;
                break;
            }
        }

        var kept = expected.Take(keep).Sum();
        var rng = new Random(5);
        var counts = new int[4];
        const int draws = 20000;
        var scratch = new float[4];
        var order = new int[4];
        for (var i = 0; i < draws; i++)
        {
            counts[CaptionGenerator.Sample(logits, options, rng, scratch, order)]++;
        }

        for (var i = 0; i < 4; i++)
        {
            var p = i < keep ? expected[i] / kept : 0;
            // 4 standard deviations of a binomial proportion at 20,000 draws is at most 0.015.
            Assert.InRange(counts[i] / (double)draws, p - 0.015, p + 0.015);
        }
    }

    [Fact]
    public void CaptionerAppliesTheBridgeForInference()
    {
        var model = CaptioningTestModels.Create("mlp", vocabulary: 5, seed: 2);
        var tokenizer = new FakeTokenizer(5, Eos);
        var embeddings = new EmbeddingMatrix(CaptioningTestModels.RandomEmbeddings(3, 6, 4), 3, 6);
        var shifted = new ShiftBridge();
        var viaBridge = new PrefixCaptioner(model, tokenizer, shifted).Caption(embeddings);
        var moved = embeddings.Clone();
        for (var i = 0; i < moved.Array.Length; i++)
        {
            moved.Array[i] += 1f;
        }

        var direct = new PrefixCaptioner(model, tokenizer).Caption(moved);
        Assert.Equal(direct, viaBridge);
        Assert.Equal(1, shifted.InferenceCalls);
    }

    [Fact]
    public void BadArgumentsAreNamed()
    {
        var model = CaptioningTestModels.Create("mlp");
        var wrong = new EmbeddingMatrix(2, 5);
        var error = Assert.Throws<ArgumentException>(() => CaptionGenerator.Generate(model, wrong, Eos, new DecodingOptions()));
        Assert.Equal("embeddings", error.ParamName);
        var tooLong = Assert.Throws<ArgumentOutOfRangeException>(() => CaptionGenerator.Generate(model, new EmbeddingMatrix(1, 6), Eos, new DecodingOptions { MaxTokens = 50 }));
        Assert.Contains("context", tooLong.Message, StringComparison.Ordinal);
    }

    internal static double[] NextLogProbabilities(PrefixLanguageModel model, float[] embedding, IReadOnlyList<int> tokens)
    {
        var input = CaptioningTestModels.Upload(embedding, 1, embedding.Length);
        var logits = model.Forward(input, tokens.ToArray(), 1, tokens.Count).ToArray();
        var v = model.Decoder.Options.VocabularySize;
        var row = logits.AsSpan((model.PrefixLength - 1 + tokens.Count) * v, v).ToArray();
        var max = row.Max();
        var logZ = max + Math.Log(row.Sum(x => Math.Exp(x - max)));
        return row.Select(x => x - logZ).ToArray();
    }

    private static double Score(PrefixLanguageModel model, float[] embedding, int[] tokens, int maxTokens, bool normalize)
    {
        double total = 0;
        var prefix = new List<int>();
        foreach (var token in tokens)
        {
            total += NextLogProbabilities(model, embedding, prefix)[token];
            prefix.Add(token);
        }

        var length = tokens.Length;
        if (tokens.Length < maxTokens)
        {
            total += NextLogProbabilities(model, embedding, prefix)[Eos];
            length++;
        }

        return normalize ? total / length : total;
    }

    private static (int[] Best, double Score) BruteForce(PrefixLanguageModel model, float[] embedding, int vocabulary, int maxTokens, bool normalize)
    {
        int[] best = [];
        var bestScore = double.NegativeInfinity;
        void Visit(List<int> prefix)
        {
            var score = Score(model, embedding, [.. prefix], maxTokens, normalize);
            if (prefix.Count > 0 || maxTokens > 0)
            {
                if (score > bestScore)
                {
                    bestScore = score;
                    best = [.. prefix];
                }
            }

            if (prefix.Count == maxTokens)
            {
                return;
            }

            for (var v = 0; v < vocabulary; v++)
            {
                if (v == Eos)
                {
                    continue;
                }

                prefix.Add(v);
                Visit(prefix);
                prefix.RemoveAt(prefix.Count - 1);
            }
        }

        Visit([]);
        return (best, bestScore);
    }

    private sealed class FakeTokenizer(int size, int eos) : Text.ITokenizer
    {
        public int VocabularySize => size;

        public int? StartOfTextId => null;

        public int EndOfTextId => eos;

        public int PaddingId => 0;

        public int[] Encode(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();

        public string Decode(ReadOnlySpan<int> ids) => string.Join(' ', ids.ToArray());
    }

    private sealed class ShiftBridge : IModalityBridge
    {
        public int InferenceCalls { get; private set; }

        public string Name => "shift";

        public bool IsFitted => true;

        public void Fit(BridgeFitData data)
        {
        }

        public EmbeddingMatrix TransformForTraining(EmbeddingMatrix texts, Random rng) => texts;

        public EmbeddingMatrix TransformForInference(EmbeddingMatrix images)
        {
            InferenceCalls++;
            var copy = images.Clone();
            for (var i = 0; i < copy.Array.Length; i++)
            {
                copy.Array[i] += 1f;
            }

            return copy;
        }

        public BridgeState ExportState() => new();

        public void ImportState(BridgeState state)
        {
        }
    }
}
