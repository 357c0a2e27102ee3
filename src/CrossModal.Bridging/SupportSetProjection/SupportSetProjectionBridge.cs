using System;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;

namespace CrossModal.Bridging;

/// <summary>
/// DeCap-style projection: inference x = n(Σ_j softmax_j(cos(v, t_j)/τ)·t_j) over the normalised support texts;
/// training texts are normalised (or projected when <see cref="SupportSetProjectionOptions.ProjectTrainingTexts"/>).
/// </summary>
internal sealed class SupportSetProjectionBridge : BridgeBase<SupportSetProjectionOptions>
{
    public const string StrategyName = "support_set_projection";

    private EmbeddingMatrix? _support; // (N, D) normalised support texts
    private Tensor? _supportTensor;    // the same rows on the backend, uploaded once

    public SupportSetProjectionBridge(SupportSetProjectionOptions options, IComputeBackend? backend = null)
        : base(options, backend)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "SupportSetProjection";

    protected override void FitCore(BridgeFitData data)
    {
        var support = Require(data.SupportTexts, "SupportTexts", "(the text support set to project onto)");
        var tensor = Backend.Allocate(support.Rows, support.Dimension);
        Backend.Upload(tensor, support.Span);
        using (var scope = new TensorScope(Backend))
        {
            scope.NormalizeRows(tensor);
            _support = scope.Download(tensor);
        }

        ReleaseSupportTensor();
        _supportTensor = tensor;
        Dimension = support.Dimension;
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng)
    {
        if (Options.ProjectTrainingTexts)
        {
            return Project(texts);
        }

        using var scope = new TensorScope(Backend);
        return scope.Download(scope.UploadNormalized(texts));
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => Project(images);

    private EmbeddingMatrix Project(EmbeddingMatrix queries)
    {
        if (_supportTensor is null)
        {
            _supportTensor = Backend.Allocate(_support!.Rows, Dimension);
            Backend.Upload(_supportTensor, _support.Span);
        }

        using var scope = new TensorScope(Backend);
        var normalized = scope.UploadNormalized(queries);
        var result = scope.Allocate(queries.Rows, Dimension);
        SupportSetProjection.Project(result, normalized, _supportTensor, (float)Options.Temperature, Options.TopK);
        return scope.Download(result);
    }

    private void ReleaseSupportTensor()
    {
        _supportTensor?.Storage.Dispose();
        _supportTensor = null;
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
        ReleaseSupportTensor();
    }
}
