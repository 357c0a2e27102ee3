using System;

namespace CrossModal.Models.Captioning;

/// <summary>Shape of a <see cref="Gpt2Decoder"/> (the fields of a Hugging Face GPT-2 <c>config.json</c>).</summary>
public sealed class Gpt2DecoderOptions
{
    /// <summary>Vocabulary size V (<c>vocab_size</c>).</summary>
    public int VocabularySize { get; set; }

    /// <summary>Maximum sequence length, prefix included (<c>n_positions</c>).</summary>
    /// <value>64.</value>
    public int Context { get; set; } = 64;

    /// <summary>Width C (<c>n_embd</c>).</summary>
    /// <value>128.</value>
    public int Width { get; set; } = 128;

    /// <summary>Number of blocks L (<c>n_layer</c>).</summary>
    /// <value>2.</value>
    public int Layers { get; set; } = 2;

    /// <summary>Attention heads NH (<c>n_head</c>).</summary>
    /// <value>4.</value>
    public int Heads { get; set; } = 4;

    /// <summary>LayerNorm ε (<c>layer_norm_epsilon</c>).</summary>
    /// <value>1e-5.</value>
    public float LayerNormEpsilon { get; set; } = 1e-5f;

    /// <summary>Residual dropout during training (<c>resid_pdrop</c>).</summary>
    /// <value>0.</value>
    public float Dropout { get; set; }

    /// <summary>GPT-2 small's shape (124M parameters), as <c>gpt2</c> on the Hugging Face hub.</summary>
    public static Gpt2DecoderOptions Gpt2Small => new() { VocabularySize = 50257, Context = 1024, Width = 768, Layers = 12, Heads = 12 };

    /// <summary>A copy.</summary>
    public Gpt2DecoderOptions Clone() => (Gpt2DecoderOptions)MemberwiseClone();

    /// <summary>Whether <paramref name="other"/> builds a decoder with the same parameters (dropout aside).</summary>
    /// <param name="other">The other shape.</param>
    public bool SameShape(Gpt2DecoderOptions other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return (VocabularySize, Context, Width, Layers, Heads, LayerNormEpsilon) ==
               (other.VocabularySize, other.Context, other.Width, other.Layers, other.Heads, other.LayerNormEpsilon);
    }

    /// <summary>Throws naming the first invalid field.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size is not positive, or the width is not divisible by the heads.</exception>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VocabularySize, nameof(VocabularySize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Context, nameof(Context));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Width, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Layers, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Heads, nameof(Heads));
        if (Width % Heads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"The width {Width} must be divisible by the head count.");
        }

        if (!(Dropout >= 0f && Dropout < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Expected a probability in [0, 1).");
        }
    }
}
