using System;

namespace CrossModal.Models.Captioning;

/// <summary>How captions are generated from a decoder.</summary>
public enum DecodingStrategy
{
    /// <summary>The most likely token at every step.</summary>
    Greedy,

    /// <summary>Beam search over <see cref="DecodingOptions.BeamWidth"/> hypotheses, as CapDec and CLOSE decode.</summary>
    Beam,

    /// <summary>Seeded sampling with temperature, top-k and top-p (nucleus) truncation (needed by self-critical RL).</summary>
    Sample,
}

/// <summary>Options of <see cref="CaptionGenerator"/>.</summary>
public sealed class DecodingOptions
{
    /// <summary>The strategy.</summary>
    /// <value><see cref="DecodingStrategy.Greedy"/>.</value>
    public DecodingStrategy Strategy { get; set; } = DecodingStrategy.Greedy;

    /// <summary>Most tokens generated per caption (the end token included).</summary>
    /// <value>30.</value>
    public int MaxTokens { get; set; } = 30;

    /// <summary>Hypotheses kept by beam search.</summary>
    /// <value>5 (ClipCap's and CapDec's <c>beam_size</c>).</value>
    public int BeamWidth { get; set; } = 5;

    /// <summary>Whether beam search ranks finished hypotheses by their mean token log-probability (ClipCap's
    /// <c>generate_beam</c> divides by the sequence length) rather than their total.</summary>
    /// <value>True.</value>
    public bool LengthNormalize { get; set; } = true;

    /// <summary>Sampling temperature (logits are divided by it).</summary>
    /// <value>1.</value>
    public float Temperature { get; set; } = 1f;

    /// <summary>Sample only among the k most likely tokens; 0 disables.</summary>
    /// <value>0.</value>
    public int TopK { get; set; }

    /// <summary>Sample only within the smallest set of tokens whose probability reaches p; 1 disables.</summary>
    /// <value>1.</value>
    public float TopP { get; set; } = 1f;

    /// <summary>Seed of sampling.</summary>
    /// <value>0.</value>
    public int Seed { get; set; }

    /// <summary>An extra token that ends a caption like the end-of-text token (e.g. the id of "."), or null.</summary>
    /// <value>Null.</value>
    public int? StopTokenId { get; set; }

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTokens, nameof(MaxTokens));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BeamWidth, nameof(BeamWidth));
        ArgumentOutOfRangeException.ThrowIfNegative(TopK, nameof(TopK));
        if (!(Temperature > 0f) || !float.IsFinite(Temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "Expected a positive, finite temperature.");
        }

        if (!(TopP > 0f && TopP <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "Expected top-p in (0, 1].");
        }
    }
}
