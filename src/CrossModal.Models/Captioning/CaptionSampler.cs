using System;
using System.Numerics.Tensors;
using CrossModal.Models.Language;
using Tensor = CrossModal.Tensors.Tensor;

namespace CrossModal.Models.Captioning;

/// <summary>
/// KV-cached decoding of a <see cref="PrefixLanguageModel"/> into buffers it owns and reuses: the decoder cache, the
/// logits, the tokens and lengths of every row. Decoding batch after batch of one size allocates nothing, which a
/// training loop that samples captions every step needs. Leading rows sample (multinomial with temperature, top-k,
/// top-p), the others decode greedily; optionally the sampled rows run with the decoder's dropout, using the masks of
/// the model's next teacher-forced training pass (<see cref="DecoderCache.SetDropout"/>).
/// <see cref="CaptionGenerator"/>'s greedy and sampling strategies run through this class.
/// </summary>
public sealed class CaptionSampler
{
    private readonly PrefixLanguageModel _model;
    private DecoderCache? _cache;
    private Tensor? _embeddings;
    private float[] _logits = [];
    private int[] _tokens = [];
    private int[] _lengths = [];
    private bool[] _finished = [];
    private int[] _next = [];
    private readonly float[] _scratch;
    private readonly int[] _order;

    /// <summary>Creates a sampler for a model.</summary>
    /// <param name="model">The captioner.</param>
    public CaptionSampler(PrefixLanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        _model = model;
        var vocabulary = model.Decoder.Options.VocabularySize;
        _scratch = new float[vocabulary];
        _order = new int[vocabulary];
    }

    /// <summary>Rows decoded by the last <see cref="Decode"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The longest caption of the last <see cref="Decode"/> allows (its <see cref="DecodingOptions.MaxTokens"/>).</summary>
    public int MaxTokens { get; private set; }

    /// <summary>Row <paramref name="row"/>'s caption from the last <see cref="Decode"/>, without the end token; valid until the next call.</summary>
    /// <param name="row">In [0, <see cref="Count"/>).</param>
    public ReadOnlySpan<int> Caption(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, Count);
        return _tokens.AsSpan(row * MaxTokens, _lengths[row]);
    }

    /// <summary>
    /// Decodes one caption per embedding row in one KV-cached batch (the model in evaluation mode; its mode is restored).
    /// </summary>
    /// <param name="embeddings">(B·D) conditioning embeddings, row-major (already bridged).</param>
    /// <param name="rows">B.</param>
    /// <param name="endOfTextId">The token that ends a caption.</param>
    /// <param name="options">Limits and sampling knobs (<see cref="DecodingOptions.Strategy"/> and <see cref="DecodingOptions.Seed"/> are
    /// not read: <paramref name="rng"/> and <paramref name="sampledRows"/> say what samples).</param>
    /// <param name="rng">The random source of the sampled rows; null decodes every row greedily.</param>
    /// <param name="sampledRows">Rows <c>[0, sampledRows)</c> sample (the draws go to them in row order), the rest decode greedily.</param>
    /// <param name="dropout">Run the sampled rows with the decoder's dropout, using the masks the model's next
    /// training-mode teacher-forced pass draws for rows <c>[0, sampledRows)</c> with k + <see cref="DecodingOptions.MaxTokens"/>
    /// positions; a policy-gradient loss computed by that pass then scores the samples under the very network they were drawn from.</param>
    public void Decode(ReadOnlySpan<float> embeddings, int rows, int endOfTextId, DecodingOptions options, Random? rng, int sampledRows, bool dropout = false)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var model = _model;
        var d = model.EmbeddingDimension;
        var vocabulary = model.Decoder.Options.VocabularySize;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        if (embeddings.Length != (long)rows * d)
        {
            throw new ArgumentException($"Expected {rows}×{d} embedding values but got {embeddings.Length}.", nameof(embeddings));
        }

        foreach (var value in embeddings)
        {
            if (!float.IsFinite(value))
            {
                throw new ArgumentException("The embeddings hold a NaN or infinite value.", nameof(embeddings));
            }
        }

        if ((uint)endOfTextId >= (uint)vocabulary)
        {
            throw new ArgumentOutOfRangeException(nameof(endOfTextId), endOfTextId, $"The end token must be in [0, {vocabulary}).");
        }

        if (options.MaxTokens > model.MaxCaptionTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, $"MaxTokens exceeds the {model.MaxCaptionTokens} caption tokens the decoder's context allows.");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(sampledRows);
        sampledRows = rng is null ? 0 : Math.Min(sampledRows, rows);
        var maxTokens = options.MaxTokens;
        var time = model.PrefixLength + maxTokens;
        if (_cache is null || _cache.Batch != rows || _cache.MaxTime != time)
        {
            _cache = model.Decoder.CreateCache(rows, time);
        }

        if (_embeddings is null || _embeddings.Length != (long)rows * d)
        {
            _embeddings = model.Backend.Allocate(rows, d);
        }

        if (_tokens.Length < rows * maxTokens)
        {
            _tokens = new int[rows * maxTokens];
        }

        if (_lengths.Length < rows)
        {
            _lengths = new int[rows];
            _finished = new bool[rows];
            _next = new int[rows];
        }

        if (_logits.Length < rows * vocabulary)
        {
            _logits = new float[rows * vocabulary];
        }

        Count = rows;
        MaxTokens = maxTokens;
        var cache = _cache;
        var wasTraining = model.IsTraining;
        model.Eval();
        try
        {
            model.Backend.Upload(_embeddings, embeddings);
            cache.SetDropout(time, dropout ? sampledRows : 0);
            model.BeginDecoding(_embeddings, cache);
            var logits = _logits.AsSpan(0, rows * vocabulary);
            var finished = _finished.AsSpan(0, rows);
            var lengths = _lengths.AsSpan(0, rows);
            var next = _next.AsSpan(0, rows);
            finished.Clear();
            lengths.Clear();
            for (var t = 0; t < maxTokens; t++)
            {
                cache.Logits.CopyTo(logits);
                var active = 0;
                for (var b = 0; b < rows; b++)
                {
                    if (finished[b])
                    {
                        next[b] = endOfTextId;
                        continue;
                    }

                    var row = logits.Slice(b * vocabulary, vocabulary);
                    var token = b >= sampledRows ? TensorPrimitives.IndexOfMax(row) : CaptionGenerator.Sample(row, options, rng!, _scratch, _order);
                    next[b] = token;
                    if (token == endOfTextId || (options.StopTokenId is { } stop && token == stop))
                    {
                        finished[b] = true;
                    }
                    else
                    {
                        _tokens[(b * maxTokens) + lengths[b]++] = token;
                        active++;
                    }
                }

                if (active == 0 || t == maxTokens - 1)
                {
                    break;
                }

                model.Decoder.Step(cache, next);
            }
        }
        finally
        {
            cache.SetDropout(0, 0);
            model.Train(wasTraining);
        }
    }
}
