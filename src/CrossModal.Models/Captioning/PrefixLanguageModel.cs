using System;
using System.Collections.Generic;
using CrossModal.Models.Language;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Captioning;

/// <summary>
/// A prefix language model (ClipCap, Mokady et al., 2021; used by CapDec and C3): a <see cref="PrefixMapper"/> turns an
/// embedding into k prefix vectors and a <see cref="Gpt2Decoder"/> continues them with the caption. The decoder is
/// either fine-tuned (ClipCap's MLP variant, C3) or frozen (ClipCap's transformer variant), see
/// <see cref="FreezeDecoder"/>. Children: <c>mapper</c>, <c>decoder</c>.
/// </summary>
public sealed class PrefixLanguageModel : Module
{
    private Tensor? _prefixInput;
    private int[] _gather = [];

    /// <summary>Builds the model described by <paramref name="options"/>, with zero parameters: reset or load them next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="options">The mapper and decoder; <see cref="PrefixLanguageModelOptions.Decoder"/> is required.</param>
    /// <exception cref="ArgumentException">The decoder shape is missing, or a size is invalid.</exception>
    public PrefixLanguageModel(IComputeBackend backend, PrefixLanguageModelOptions options)
        : this(options, new Gpt2Decoder(backend, RequireDecoder(options)))
    {
    }

    /// <summary>Builds the model around an existing (e.g. pretrained) decoder; the mapper's parameters are zero.</summary>
    /// <param name="options">The mapper; <see cref="PrefixLanguageModelOptions.Decoder"/> must be null or the decoder's
    /// own shape (it is never overwritten).</param>
    /// <param name="decoder">The decoder.</param>
    /// <exception cref="ArgumentException">The options describe another decoder shape, or a size is invalid.</exception>
    public PrefixLanguageModel(PrefixLanguageModelOptions options, Gpt2Decoder decoder)
        : this(MapperFor(options, decoder), decoder, options.FreezeDecoder)
    {
    }

    /// <summary>Creates the model from its parts.</summary>
    /// <param name="mapper">The mapping network; its width must equal the decoder's.</param>
    /// <param name="decoder">The decoder.</param>
    /// <param name="freezeDecoder">Train only the mapper.</param>
    /// <exception cref="ArgumentException">The widths differ, or the prefix does not fit the context.</exception>
    public PrefixLanguageModel(PrefixMapper mapper, Gpt2Decoder decoder, bool freezeDecoder = false)
        : base((decoder ?? throw new ArgumentNullException(nameof(decoder))).Backend)
    {
        ArgumentNullException.ThrowIfNull(mapper);
        if (mapper.Width != decoder.Width)
        {
            throw new ArgumentException($"The mapper produces vectors of width {mapper.Width} but the decoder's width is {decoder.Width}.", nameof(mapper));
        }

        if (mapper.PrefixLength >= decoder.Options.Context)
        {
            throw new ArgumentException($"A prefix of {mapper.PrefixLength} vectors leaves no room in the decoder's context of {decoder.Options.Context}.", nameof(mapper));
        }

        Mapper = AddModule("mapper", mapper);
        Decoder = AddModule("decoder", decoder);
        FreezeDecoder = freezeDecoder;
    }

    /// <summary>
    /// The options this model is built to: read from its mapper and decoder (a new copy on every call), so they always
    /// describe the model itself and rebuild it exactly.
    /// </summary>
    public PrefixLanguageModelOptions Options
    {
        get
        {
            var options = new PrefixLanguageModelOptions
            {
                Mapper = Mapper.Kind,
                EmbeddingDimension = Mapper.EmbeddingDimension,
                PrefixLength = Mapper.PrefixLength,
                Decoder = Decoder.Options.Clone(),
                FreezeDecoder = FreezeDecoder,
            };
            if (Mapper is TransformerMapper transformer)
            {
                options.MapperClipLength = transformer.ClipLength;
                options.MapperLayers = transformer.Layers;
                options.MapperHeads = transformer.Heads;
            }

            return options;
        }
    }

    /// <summary>The mapping network.</summary>
    public PrefixMapper Mapper { get; }

    /// <summary>The decoder.</summary>
    public Gpt2Decoder Decoder { get; }

    /// <summary>Whether training updates only the mapper (the decoder still passes gradients through).</summary>
    public bool FreezeDecoder { get; set; }

    /// <summary>Number of prefix vectors k.</summary>
    public int PrefixLength => Mapper.PrefixLength;

    /// <summary>Embedding dimension D.</summary>
    public int EmbeddingDimension => Mapper.EmbeddingDimension;

    /// <summary>Longest caption (in tokens, end token included) the context leaves room for.</summary>
    public int MaxCaptionTokens => Decoder.Options.Context - Mapper.PrefixLength;

    /// <summary>The parameters an optimiser should update: the mapper's, plus the decoder's unless frozen.</summary>
    public IReadOnlyList<Parameter> TrainableParameters() => FreezeDecoder ? Mapper.Parameters() : Parameters();

    /// <summary>Forward pass to logits for teacher forcing.</summary>
    /// <param name="embeddings">(B, D).</param>
    /// <param name="tokens">(B·Tc) caption input tokens.</param>
    /// <param name="batch">B.</param>
    /// <param name="tokenTime">Tc.</param>
    /// <returns>(B·(k + Tc), V), owned by the decoder.</returns>
    public Tensor Forward(Tensor embeddings, ReadOnlySpan<int> tokens, int batch, int tokenTime)
    {
        var prefix = MapPrefix(embeddings, batch);
        return Decoder.Forward(prefix, PrefixLength, tokens, batch, tokenTime);
    }

    /// <summary>Forward pass and mean cross-entropy (see <see cref="Gpt2Decoder.ForwardLoss"/>).</summary>
    /// <param name="embeddings">(B, D).</param>
    /// <param name="tokens">(B·Tc) caption input tokens.</param>
    /// <param name="targets">(B·(k + Tc)) targets; <paramref name="ignoreIndex"/> skips a position.</param>
    /// <param name="batch">B.</param>
    /// <param name="tokenTime">Tc.</param>
    /// <param name="ignoreIndex">The target value that is not scored.</param>
    /// <param name="labelSmoothing">ε.</param>
    public float ForwardLoss(Tensor embeddings, ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, int batch, int tokenTime, int ignoreIndex = -100, float labelSmoothing = 0f)
    {
        var prefix = MapPrefix(embeddings, batch);
        return Decoder.ForwardLoss(prefix, PrefixLength, tokens, targets, batch, tokenTime, ignoreIndex, labelSmoothing);
    }

    /// <summary>Backward pass of the last <see cref="ForwardLoss"/> through the decoder into the mapper.</summary>
    public void Backward()
    {
        Decoder.Backward();
        Mapper.Backward(Decoder.PrefixGradient ?? throw new InvalidOperationException("The decoder produced no prefix gradient."));
    }

    /// <summary>
    /// Starts incremental decoding: maps <paramref name="embeddings"/>, runs the k prefix positions through a fresh cache
    /// and returns it; its <see cref="DecoderCache.Logits"/> then score the first caption token.
    /// </summary>
    /// <param name="embeddings">(B, D).</param>
    /// <param name="maxTokens">Caption tokens the cache must hold room for (at most <see cref="MaxCaptionTokens"/>).</param>
    public DecoderCache BeginDecoding(Tensor embeddings, int maxTokens)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (maxTokens <= 0 || maxTokens > MaxCaptionTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, $"Expected 1 to {MaxCaptionTokens} caption tokens (the decoder's context minus the prefix).");
        }

        var batch = embeddings.Rank == 2 ? embeddings.Dim(0) : (int)(embeddings.Length / EmbeddingDimension);
        var cache = Decoder.CreateCache(batch, PrefixLength + maxTokens);
        BeginDecoding(embeddings, cache);
        return cache;
    }

    /// <summary>
    /// Starts incremental decoding in an existing cache (reset first, so a caller decoding batch after batch of one
    /// size allocates nothing): maps <paramref name="embeddings"/> and runs the k prefix positions; the cache's
    /// <see cref="DecoderCache.Logits"/> then score the first caption token.
    /// </summary>
    /// <param name="embeddings">(B, D) with B the cache's batch.</param>
    /// <param name="cache">From <see cref="Gpt2Decoder.CreateCache"/> of this model's decoder, holding more than k positions.</param>
    public void BeginDecoding(Tensor embeddings, DecoderCache cache)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(cache);
        if (!ReferenceEquals(cache.Model, Decoder.Transformer))
        {
            throw new ArgumentException("The cache belongs to another decoder.", nameof(cache));
        }

        if (cache.MaxTime <= PrefixLength)
        {
            throw new ArgumentException($"The cache holds {cache.MaxTime} positions, no room after the {PrefixLength} prefix vectors.", nameof(cache));
        }

        var batch = cache.Batch;
        var prefix = MapPrefix(embeddings, batch);
        cache.Reset();
        _prefixInput = Buffer(_prefixInput, batch, Decoder.Width);
        if (_gather.Length != batch)
        {
            _gather = new int[batch];
        }

        for (var j = 0; j < PrefixLength; j++)
        {
            // Gather prefix vector j of every sequence: rows b·k + j of the (B·k, C) prefix.
            for (var b = 0; b < batch; b++)
            {
                _gather[b] = (b * PrefixLength) + j;
            }

            Backend.EmbeddingForward(_prefixInput, _gather, prefix);

            // Only the last prefix position's prediction (the first caption token) is read.
            Decoder.Transformer.Step(cache, _prefixInput, logits: j == PrefixLength - 1);
        }
    }

    private static Gpt2DecoderOptions RequireDecoder(PrefixLanguageModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Decoder ?? throw new ArgumentException("The options give no decoder shape (Decoder is null); set it, or pass a decoder.", nameof(options));
    }

    private static PrefixMapper MapperFor(PrefixLanguageModelOptions options, Gpt2Decoder decoder)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(decoder);
        if (options.Decoder is { } wanted && !wanted.SameShape(decoder.Options))
        {
            throw new ArgumentException("The options describe another decoder shape than the decoder given; leave Decoder null to use the decoder's.", nameof(options));
        }

        return options.CreateMapper(decoder.Backend, decoder.Width);
    }

    private Tensor MapPrefix(Tensor embeddings, int batch)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Length != (long)batch * EmbeddingDimension)
        {
            throw new ArgumentException($"Expected ({batch}, {EmbeddingDimension}) embeddings but got {embeddings}.", nameof(embeddings));
        }

        return Mapper.Forward(embeddings);
    }
}
