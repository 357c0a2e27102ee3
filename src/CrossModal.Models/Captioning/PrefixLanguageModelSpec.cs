using System;
using CrossModal.Tensors;

namespace CrossModal.Models.Captioning;

/// <summary>
/// Everything needed to rebuild a <see cref="PrefixLanguageModel"/> before loading its weights: the mapper's kind and
/// sizes and the decoder's shape. Saved as JSON inside captioner checkpoints.
/// </summary>
public sealed class PrefixLanguageModelSpec
{
    /// <summary>Mapper kind: <c>mlp</c>, <c>transformer</c> or <c>linear</c>.</summary>
    /// <value><c>mlp</c> (ClipCap's fine-tuned variant, C3).</value>
    public string Mapper { get; set; } = MlpMapper.KindName;

    /// <summary>Embedding dimension D.</summary>
    public int EmbeddingDimension { get; set; }

    /// <summary>Prefix vectors k (forced to 1 for the linear mapper).</summary>
    /// <value>4 (ClipCap uses 10 with GPT-2; small decoders need fewer).</value>
    public int PrefixLength { get; set; } = 4;

    /// <summary>k' of the transformer mapper.</summary>
    /// <value>10.</value>
    public int MapperClipLength { get; set; } = 10;

    /// <summary>Blocks of the transformer mapper.</summary>
    /// <value>8.</value>
    public int MapperLayers { get; set; } = 8;

    /// <summary>Heads of the transformer mapper.</summary>
    /// <value>8.</value>
    public int MapperHeads { get; set; } = 8;

    /// <summary>The decoder's shape.</summary>
    public Gpt2DecoderOptions Decoder { get; set; } = new();

    /// <summary>Whether only the mapper is trained.</summary>
    /// <value>False.</value>
    public bool FreezeDecoder { get; set; }

    /// <summary>Builds the model with uninitialised (zero) parameters.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <exception cref="ArgumentException">An unknown mapper kind or an invalid size.</exception>
    public PrefixLanguageModel Build(IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(Decoder, nameof(Decoder));
        var decoder = new Gpt2Decoder(backend, Decoder);
        return Build(backend, decoder);
    }

    /// <summary>Builds the model around an existing (e.g. pretrained) decoder.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="decoder">The decoder; <see cref="Decoder"/> is replaced by its options.</param>
    public PrefixLanguageModel Build(IComputeBackend backend, Gpt2Decoder decoder)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(decoder);
        Decoder = decoder.Options;
        PrefixMapper mapper = Mapper switch
        {
            MlpMapper.KindName => new MlpMapper(backend, EmbeddingDimension, PrefixLength, decoder.Width),
            TransformerMapper.KindName => new TransformerMapper(backend, EmbeddingDimension, PrefixLength, decoder.Width, MapperClipLength, MapperLayers, MapperHeads),
            LinearMapper.KindName => new LinearMapper(backend, EmbeddingDimension, decoder.Width),
            _ => throw new ArgumentException($"Unknown mapper '{Mapper}'; expected mlp, transformer or linear.", nameof(Mapper)),
        };
        return new PrefixLanguageModel(mapper, decoder, FreezeDecoder);
    }
}
