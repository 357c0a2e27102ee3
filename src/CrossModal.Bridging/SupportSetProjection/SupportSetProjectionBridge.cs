using System;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;

namespace CrossModal.Bridging;

/// <summary>
/// DeCap-style projection: inference x = n(Σ_j softmax_j(cos(v, t_j)/τ)·t_j) over the normalised support texts;
/// training texts are normalised (or projected when <see cref="SupportSetProjectionOptions.ProjectTrainingTexts"/>).
/// </summary>
internal sealed class SupportSetProjectionBridge : BridgeBase<SupportSetProjectionOptions>
{
    public const string StrategyName = "support_set_projection";

    private EmbeddingMatrix? _support; // (N, D) normalised support texts

    public SupportSetProjectionBridge(SupportSetProjectionOptions options)
        : base(options)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "SupportSetProjection";

    protected override void FitCore(BridgeFitData data)
    {
        var support = Require(data.SupportTexts, "SupportTexts", "(the text support set to project onto)");
        _support = EmbeddingOps.Normalized(support);
        Dimension = support.Dimension;
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng) =>
        Options.ProjectTrainingTexts ? Project(texts) : EmbeddingOps.Normalized(texts);

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => Project(images);

    private EmbeddingMatrix Project(EmbeddingMatrix queries)
    {
        var normalized = EmbeddingOps.Normalized(queries);
        var result = new EmbeddingMatrix(queries.Rows, Dimension);
        SupportSetProjection.Project(
            normalized.Span, queries.Rows, _support!.Span, _support.Rows, Dimension, (float)Options.Temperature, Options.TopK, result.Span);
        return result;
    }

    protected override void ExportCore(BridgeState state) =>
        state.Tensors["support"] = ([_support!.Rows, Dimension], (float[])_support.Array.Clone());

    protected override void ImportCore(BridgeState state, int dimension)
    {
        if (!state.Tensors.TryGetValue("support", out var tensor) || tensor.Shape.Length != 2 || tensor.Shape[1] != dimension)
        {
            throw new ArgumentException($"The bridge state needs a tensor 'support' of shape (N, {dimension}).", nameof(state));
        }

        _support = new EmbeddingMatrix(ReadTensor(state, "support", (long)tensor.Shape[0] * dimension), tensor.Shape[0], dimension);
    }
}
