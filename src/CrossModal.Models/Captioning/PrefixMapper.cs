using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Captioning;

/// <summary>
/// A mapping network: turns each embedding (dimension D) into k prefix vectors of the decoder width d, which the
/// decoder reads before the caption (ClipCap, Mokady et al., 2021, §3).
/// </summary>
public abstract class PrefixMapper : Module
{
    /// <summary>Creates the mapper.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="embeddingDimension">D.</param>
    /// <param name="prefixLength">k.</param>
    /// <param name="width">d.</param>
    protected PrefixMapper(IComputeBackend backend, int embeddingDimension, int prefixLength, int width)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(embeddingDimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prefixLength);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        EmbeddingDimension = embeddingDimension;
        PrefixLength = prefixLength;
        Width = width;
    }

    /// <summary>Which mapping network this is (saved in checkpoints by its name, <see cref="PrefixMapperKinds.ToName"/>).</summary>
    public abstract PrefixMapperKind Kind { get; }

    /// <summary>Embedding dimension D.</summary>
    public int EmbeddingDimension { get; }

    /// <summary>Number of prefix vectors k.</summary>
    public int PrefixLength { get; }

    /// <summary>Decoder width d.</summary>
    public int Width { get; }

    /// <summary>Maps embeddings to prefix vectors.</summary>
    /// <param name="embeddings">(B, D).</param>
    /// <returns>(B·k, d), owned by the mapper.</returns>
    public abstract Tensor Forward(Tensor embeddings);

    /// <summary>Backward pass: accumulates the mapper's parameter gradients (the embeddings are inputs, not learned).</summary>
    /// <param name="dPrefix">(B·k, d).</param>
    public abstract void Backward(Tensor dPrefix);

    /// <summary>Checks <paramref name="embeddings"/> and returns B.</summary>
    /// <param name="embeddings">(B, D).</param>
    protected int BatchOf(Tensor embeddings) => RowsOf(embeddings, EmbeddingDimension, nameof(embeddings));
}
