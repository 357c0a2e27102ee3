using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Captioning;

/// <summary>
/// DeCap's mapper (Li et al., ICLR 2023): one linear layer D → d giving a single prefix vector. Child: <c>proj</c>.
/// </summary>
public sealed class LinearMapper : PrefixMapper
{
    private readonly Linear _projection;

    /// <summary>Creates the mapper.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="embeddingDimension">D.</param>
    /// <param name="width">d.</param>
    public LinearMapper(IComputeBackend backend, int embeddingDimension, int width)
        : base(backend, embeddingDimension, 1, width)
    {
        _projection = AddModule("proj", new Linear(backend, embeddingDimension, width));
    }

    /// <inheritdoc />
    public override PrefixMapperKind Kind => PrefixMapperKind.Linear;

    /// <inheritdoc />
    public override Tensor Forward(Tensor embeddings)
    {
        BatchOf(embeddings);
        return _projection.Forward(embeddings);
    }

    /// <inheritdoc />
    public override void Backward(Tensor dPrefix) => _projection.Backward(dPrefix);
}
