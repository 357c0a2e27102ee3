using System;

namespace CrossModal.Models.Adversarial;

/// <summary>Shape of a <see cref="Discriminator"/>: a small bidirectional transformer encoder over caption tokens.</summary>
public sealed class DiscriminatorOptions
{
    /// <summary>Token vocabulary size V (the captioner's tokenizer).</summary>
    public int VocabularySize { get; set; }

    /// <summary>Longest input T, start token included (rows of the learned position table).</summary>
    /// <value>32: a start token, CgT-GAN's 20 sampled tokens and room for longer corpus sentences.</value>
    public int Context { get; set; } = 32;

    /// <summary>Model width C.</summary>
    /// <value>128.</value>
    public int Width { get; set; } = 128;

    /// <summary>Transformer blocks.</summary>
    /// <value>2.</value>
    public int Layers { get; set; } = 2;

    /// <summary>Attention heads, dividing <see cref="Width"/>.</summary>
    /// <value>4.</value>
    public int Heads { get; set; } = 4;

    /// <summary>LayerNorm ε.</summary>
    /// <value>1e-5.</value>
    public float LayerNormEpsilon { get; set; } = 1e-5f;

    /// <summary>Dropout on the residual branches of the blocks while training.</summary>
    /// <value>0.1, as RoBERTa.</value>
    public float Dropout { get; set; } = 0.1f;

    /// <summary>Seed of the dropout masks.</summary>
    /// <value>0.</value>
    public ulong DropoutSeed { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VocabularySize, nameof(VocabularySize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Context, nameof(Context));
        ArgumentOutOfRangeException.ThrowIfLessThan(Width, 2, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Layers, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Heads, nameof(Heads));
        if (Width % Heads != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Heads), Heads, $"The width {Width} must be divisible by the head count.");
        }

        if (!(LayerNormEpsilon > 0f) || !float.IsFinite(LayerNormEpsilon))
        {
            throw new ArgumentOutOfRangeException(nameof(LayerNormEpsilon), LayerNormEpsilon, "Expected a positive, finite ε.");
        }

        if (!(Dropout >= 0f && Dropout < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(Dropout), Dropout, "Expected a probability in [0, 1).");
        }
    }
}
