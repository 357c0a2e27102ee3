using System;
using System.Collections.Generic;
using CrossModal.Abstractions;
using CrossModal.Text;

namespace CrossModal.Models.Captioning;

/// <summary>
/// A trained prefix language model ready to caption images given as embeddings: the bridge's
/// <see cref="IModalityBridge.TransformForInference"/> runs first (the decoder was trained on bridged text embeddings, so images must cross the same bridge), then decoding, then the
/// tokenizer turns ids into text.
/// </summary>
public sealed class PrefixCaptioner : ICaptioner
{
    /// <summary>Creates the captioner.</summary>
    /// <param name="model">The trained model.</param>
    /// <param name="tokenizer">The tokenizer it was trained with.</param>
    /// <param name="bridge">The fitted bridge it was trained with, or null for none.</param>
    /// <param name="decoding">Decoding options; when null, greedy with up to 30 tokens (fewer when the context is shorter).</param>
    public PrefixCaptioner(PrefixLanguageModel model, ITokenizer tokenizer, IModalityBridge? bridge = null, DecodingOptions? decoding = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabularySize > model.Decoder.Options.VocabularySize)
        {
            throw new ArgumentException(
                $"The tokenizer has {tokenizer.VocabularySize} ids but the decoder only {model.Decoder.Options.VocabularySize}.", nameof(tokenizer));
        }

        Model = model;
        Tokenizer = tokenizer;
        Bridge = bridge;
        Decoding = decoding ?? new DecodingOptions { MaxTokens = Math.Min(30, model.MaxCaptionTokens) };
    }

    /// <summary>The model.</summary>
    public PrefixLanguageModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The bridge, or null.</summary>
    public IModalityBridge? Bridge { get; }

    /// <summary>The decoding options (mutable).</summary>
    public DecodingOptions Decoding { get; }

    /// <inheritdoc />
    public IReadOnlyList<string> Caption(EmbeddingMatrix images)
    {
        ArgumentNullException.ThrowIfNull(images);
        images.EnsureDimension(Model.EmbeddingDimension, nameof(images));
        images.EnsureFinite(nameof(images));
        var bridged = Bridge is null ? images : Bridge.TransformForInference(images);
        var ids = CaptionGenerator.Generate(Model, bridged, Tokenizer.EndOfTextId, Decoding);
        var captions = new string[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            captions[i] = Tokenizer.Decode(ids[i]);
        }

        return captions;
    }
}
