using System;
using System.Collections.Generic;
using System.Numerics.Tensors;
using CrossModal.Abstractions;
using Tensor = CrossModal.Tensors.Tensor;

namespace CrossModal.Models.Captioning;

/// <summary>
/// Generates token sequences from a <see cref="PrefixLanguageModel"/>: greedy, beam search or sampling, all rows of a
/// batch together, with the decoder's key/value cache so that T tokens cost T decoder steps.
/// </summary>
public static class CaptionGenerator
{
    /// <summary>Generates one token sequence per embedding row (without the end token).</summary>
    /// <param name="model">The model.</param>
    /// <param name="embeddings">(B, D) conditioning embeddings (already bridged).</param>
    /// <param name="endOfTextId">The token that ends a caption.</param>
    /// <param name="options">Strategy and limits.</param>
    public static int[][] Generate(PrefixLanguageModel model, EmbeddingMatrix embeddings, int endOfTextId, DecodingOptions options) =>
        Generate(model, embeddings, endOfTextId, options, int.MaxValue);

    private static int[][] Generate(PrefixLanguageModel model, EmbeddingMatrix embeddings, int endOfTextId, DecodingOptions options, int sampledRows)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        embeddings.EnsureDimension(model.EmbeddingDimension, nameof(embeddings));
        embeddings.EnsureFinite(nameof(embeddings));
        var vocabulary = model.Decoder.Options.VocabularySize;
        if ((uint)endOfTextId >= (uint)vocabulary)
        {
            throw new ArgumentOutOfRangeException(nameof(endOfTextId), endOfTextId, $"The end token must be in [0, {vocabulary}).");
        }

        if (options.MaxTokens > model.MaxCaptionTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, $"MaxTokens exceeds the {model.MaxCaptionTokens} caption tokens the decoder's context allows.");
        }

        if (embeddings.Rows == 0)
        {
            return [];
        }

        var wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            return options.Strategy switch
            {
                DecodingStrategy.Greedy => Stepwise(model, embeddings, endOfTextId, options, null, 0),
                DecodingStrategy.Sample => Stepwise(model, embeddings, endOfTextId, options, new Random(options.Seed), sampledRows),
                DecodingStrategy.Beam => Beam(model, embeddings, endOfTextId, options),
                _ => throw new ArgumentOutOfRangeException(nameof(options), options.Strategy, "Unknown decoding strategy."),
            };
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>
    /// Samples captions for <paramref name="sampleEmbeddings"/> and decodes greedy captions for
    /// <paramref name="greedyEmbeddings"/> in one KV-cached batch (evaluation mode): the self-critical step's samples
    /// and baseline. The samples are those <see cref="Generate(PrefixLanguageModel, EmbeddingMatrix, int, DecodingOptions)"/> with <see cref="DecodingStrategy.Sample"/> and the
    /// same seed would draw (the random draws go to the sampled rows, in row order); one batch instead of two keeps a
    /// small greedy batch from paying a whole decoder pass of weight traffic per token for a few rows.
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="sampleEmbeddings">(S, D) embeddings to sample for.</param>
    /// <param name="greedyEmbeddings">(B, D) embeddings to decode greedily.</param>
    /// <param name="endOfTextId">The token that ends a caption.</param>
    /// <param name="options">Sampling options (<see cref="DecodingOptions.Strategy"/> is ignored; top-k, top-p,
    /// temperature and seed apply to the sampled rows).</param>
    /// <returns>S sampled and B greedy token sequences (without the end token).</returns>
    public static (int[][] Samples, int[][] Greedy) SampleWithGreedy(PrefixLanguageModel model, EmbeddingMatrix sampleEmbeddings, EmbeddingMatrix greedyEmbeddings,
                                                                     int endOfTextId, DecodingOptions options)
    {
        ArgumentNullException.ThrowIfNull(sampleEmbeddings);
        ArgumentNullException.ThrowIfNull(greedyEmbeddings);
        ArgumentNullException.ThrowIfNull(options);
        greedyEmbeddings.EnsureDimension(sampleEmbeddings.Dimension, nameof(greedyEmbeddings));
        var all = new EmbeddingMatrix(sampleEmbeddings.Rows + greedyEmbeddings.Rows, sampleEmbeddings.Dimension);
        sampleEmbeddings.Span.CopyTo(all.Span);
        greedyEmbeddings.Span.CopyTo(all.Span[sampleEmbeddings.Span.Length..]);
        var sampling = new DecodingOptions
        {
            Strategy = DecodingStrategy.Sample, MaxTokens = options.MaxTokens, Temperature = options.Temperature, TopK = options.TopK,
            TopP = options.TopP, Seed = options.Seed, StopTokenId = options.StopTokenId,
        };
        var rows = Generate(model, all, endOfTextId, sampling, sampleEmbeddings.Rows);
        return (rows[..sampleEmbeddings.Rows], rows[sampleEmbeddings.Rows..]);
    }

    private static bool Ends(int token, int endOfTextId, DecodingOptions options) =>
        token == endOfTextId || (options.StopTokenId is { } stop && token == stop);

    private static Tensor Upload(PrefixLanguageModel model, EmbeddingMatrix embeddings, int repeat)
    {
        var d = embeddings.Dimension;
        var tensor = model.Backend.Allocate(embeddings.Rows * repeat, d);
        var host = new float[embeddings.Rows * repeat * d];
        for (var r = 0; r < embeddings.Rows; r++)
        {
            for (var w = 0; w < repeat; w++)
            {
                embeddings.Row(r).CopyTo(host.AsSpan(((r * repeat) + w) * d, d));
            }
        }

        tensor.CopyFrom(host);
        return tensor;
    }

    /// <remarks>Rows below <paramref name="sampledRows"/> sample (with <paramref name="rng"/>), the rest decode greedily.</remarks>
    private static int[][] Stepwise(PrefixLanguageModel model, EmbeddingMatrix embeddings, int eos, DecodingOptions options, Random? rng, int sampledRows)
    {
        var sampler = new CaptionSampler(model);
        sampler.Decode(embeddings.Span, embeddings.Rows, eos, options, rng, sampledRows);
        var result = new int[embeddings.Rows][];
        for (var b = 0; b < result.Length; b++)
        {
            result[b] = sampler.Caption(b).ToArray();
        }

        return result;
    }

    /// <summary>Samples from softmax(logits / T) restricted to the top-k tokens and to the top-p nucleus.</summary>
    internal static int Sample(ReadOnlySpan<float> logits, DecodingOptions options, Random rng, float[] scratch, int[] order)
    {
        var v = logits.Length;
        var probabilities = scratch.AsSpan(0, v);
        if (options.Temperature == 1f)
        {
            TensorPrimitives.SoftMax(logits, probabilities);
        }
        else
        {
            TensorPrimitives.Divide(logits, options.Temperature, probabilities);
            TensorPrimitives.SoftMax(probabilities, probabilities);
        }
        if ((options.TopK <= 0 || options.TopK >= v) && options.TopP >= 1f)
        {
            // Plain multinomial: every token is a candidate, so the draw needs no ranking (a sort of the vocabulary
            // per row and step would cost more than the decoder step itself); candidates in id order.
            double all = 0;
            var last = 0;
            for (var i = 0; i < v; i++)
            {
                all += probabilities[i];
                last = probabilities[i] > 0f ? i : last;
            }

            var target = rng.NextDouble() * all;
            double sum = 0;
            for (var i = 0; i < v; i++)
            {
                sum += probabilities[i];
                if (target < sum)
                {
                    return i;
                }
            }

            return last;
        }

        SortByProbability(order, scratch, v);
        var keep = options.TopK > 0 ? Math.Min(options.TopK, v) : v;
        if (options.TopP < 1f)
        {
            double cumulative = 0;
            for (var i = 0; i < keep; i++)
            {
                cumulative += probabilities[order[i]];
                if (cumulative >= options.TopP)
                {
                    keep = i + 1;
                    break;
                }
            }
        }

        double total = 0;
        for (var i = 0; i < keep; i++)
        {
            total += probabilities[order[i]];
        }

        var u = rng.NextDouble() * total;
        double running = 0;
        for (var i = 0; i < keep; i++)
        {
            running += probabilities[order[i]];
            if (u < running)
            {
                return order[i];
            }
        }

        return order[keep - 1];
    }

    // Most likely first; ties by id, so the candidate order (and thus the draw) is deterministic. A method of its own:
    // the comparer's closure would otherwise be allocated on every call of Sample, plain multinomial draws included.
    private static void SortByProbability(int[] order, float[] keys, int v)
    {
        for (var i = 0; i < v; i++)
        {
            order[i] = i;
        }

        Array.Sort(order, 0, v, Comparer<int>.Create((a, b) =>
        {
            var c = keys[b].CompareTo(keys[a]);
            return c != 0 ? c : a.CompareTo(b);
        }));
    }

    private static int[][] Beam(PrefixLanguageModel model, EmbeddingMatrix embeddings, int eos, DecodingOptions options)
    {
        var images = embeddings.Rows;
        var width = options.BeamWidth;
        var rows = images * width;
        var vocabulary = model.Decoder.Options.VocabularySize;
        var cache = model.BeginDecoding(Upload(model, embeddings, width), options.MaxTokens);
        var logits = new float[rows * vocabulary];
        var scores = new double[rows];
        var sequences = new List<int>[rows];
        var best = new (double Score, int[] Tokens)?[images];
        var sources = new int[rows];
        var next = new int[rows];
        var candidateScores = new double[width];
        var candidateBeams = new int[width];
        var candidateTokens = new int[width];
        for (var r = 0; r < rows; r++)
        {
            // All beams of an image start identical: only the first expands at step 0, so no hypothesis is repeated.
            scores[r] = r % width == 0 ? 0 : double.NegativeInfinity;
            sequences[r] = [];
        }

        for (var t = 0; t < options.MaxTokens; t++)
        {
            cache.Logits.CopyTo(logits);
            var anyActive = false;
            var newSequences = new List<int>[rows];
            for (var image = 0; image < images; image++)
            {
                var found = 0;
                for (var w = 0; w < width; w++)
                {
                    var r = (image * width) + w;
                    if (double.IsNegativeInfinity(scores[r]))
                    {
                        continue;
                    }

                    var row = logits.AsSpan(r * vocabulary, vocabulary);
                    var logZ = LogSumExp(row);
                    for (var v = 0; v < vocabulary; v++)
                    {
                        var total = scores[r] + (row[v] - logZ);
                        if (Ends(v, eos, options))
                        {
                            Offer(ref best[image], total, t + 1, options, sequences[r], null);
                            continue;
                        }

                        if (t == options.MaxTokens - 1)
                        {
                            // No room left: the hypothesis ends here, truncated.
                            Offer(ref best[image], total, t + 1, options, sequences[r], v);
                            continue;
                        }

                        Insert(candidateScores, candidateBeams, candidateTokens, ref found, total, r, v);
                    }
                }

                for (var w = 0; w < width; w++)
                {
                    var r = (image * width) + w;
                    if (w < found)
                    {
                        sources[r] = candidateBeams[w];
                        next[r] = candidateTokens[w];
                        scores[r] = candidateScores[w];
                        newSequences[r] = [.. sequences[candidateBeams[w]], candidateTokens[w]];
                        anyActive = true;
                    }
                    else
                    {
                        sources[r] = r;
                        next[r] = eos;
                        scores[r] = double.NegativeInfinity;
                        newSequences[r] = [];
                    }
                }
            }

            if (!anyActive)
            {
                break;
            }

            sequences = newSequences;
            cache.Reorder(sources);
            model.Decoder.Step(cache, next);
        }

        var result = new int[images][];
        for (var image = 0; image < images; image++)
        {
            result[image] = best[image]?.Tokens ?? [];
        }

        return result;
    }

    private static void Offer(ref (double Score, int[] Tokens)? best, double total, int length, DecodingOptions options, List<int> prefix, int? last)
    {
        var score = options.LengthNormalize ? total / length : total;
        if (best is null || score > best.Value.Score)
        {
            var tokens = new int[prefix.Count + (last is null ? 0 : 1)];
            prefix.CopyTo(tokens);
            if (last is { } token)
            {
                tokens[^1] = token;
            }

            best = (score, tokens);
        }
    }

    // Keeps the `width` highest totals in descending order (ties: the earlier candidate stays first).
    private static void Insert(double[] scores, int[] beams, int[] tokens, ref int count, double total, int beam, int token)
    {
        var width = scores.Length;
        if (count == width && total <= scores[width - 1])
        {
            return;
        }

        var i = count < width ? count++ : width - 1;
        while (i > 0 && scores[i - 1] < total)
        {
            scores[i] = scores[i - 1];
            beams[i] = beams[i - 1];
            tokens[i] = tokens[i - 1];
            i--;
        }

        scores[i] = total;
        beams[i] = beam;
        tokens[i] = token;
    }

    private static double LogSumExp(ReadOnlySpan<float> row)
    {
        var max = TensorPrimitives.Max(row);
        double sum = 0;
        foreach (var x in row)
        {
            sum += Math.Exp(x - max);
        }

        return max + Math.Log(sum);
    }
}
