using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;

namespace CrossModal.Bridging;

/// <summary>
/// SynTIC: fit aligns the pseudo-image features to their texts (<see cref="SyntheticPairAlignment.Align(Tensor, Tensor, Tensor, SyntheticPairAlignmentOptions)"/>) and
/// projects them onto the text support set; those projected features are what the decoder trains on. Training
/// therefore maps a text that is one of the fitted pseudo pairs' texts to its pair's projected feature, and any
/// other text to its own projection; inference projects the image embedding.
/// </summary>
internal sealed class SyntheticPairAlignmentBridge : BridgeBase<SyntheticPairAlignmentOptions>
{
    public const string StrategyName = "synthetic_pair_alignment";

    private EmbeddingMatrix? _support;       // (N, D) normalised support texts
    private EmbeddingMatrix? _pairTexts;     // (P, D) normalised texts of the pseudo pairs
    private EmbeddingMatrix? _trainFeatures; // (P, D) aligned, projected pseudo-image features
    private Tensor? _supportTensor;          // the support rows on the backend, uploaded on first use
    private Dictionary<int, List<int>> _lookup = new();

    public SyntheticPairAlignmentBridge(SyntheticPairAlignmentOptions options, IComputeBackend? backend = null)
        : base(options, backend)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "SyntheticPairAlignment";

    /// <summary>The loss history of the last fit (see <see cref="SyntheticPairAlignment.Align(Tensor, Tensor, Tensor, SyntheticPairAlignmentOptions)"/>).</summary>
    public IReadOnlyList<double> AlignmentLosses { get; private set; } = System.Array.Empty<double>();

    protected override void FitCore(BridgeFitData data)
    {
        var pseudo = Require(data.PseudoImages, "PseudoImages", "(features of synthetic images) to align");
        var texts = Require(data.PseudoImageTexts, "PseudoImageTexts", "(the texts the synthetic images were made from)", pseudo.Dimension);
        RequirePaired(pseudo, "PseudoImages", texts, "PseudoImageTexts");
        var support = data.SupportTexts is null
            ? texts
            : Require(data.SupportTexts, "SupportTexts", "(the text support set)", pseudo.Dimension);

        var d = pseudo.Dimension;
        using var scope = new TensorScope(Backend);
        var v = scope.UploadNormalized(pseudo);
        var t = scope.UploadNormalized(texts);
        var aligned = scope.Allocate(pseudo.Rows, d);
        AlignmentLosses = SyntheticPairAlignment.Align(aligned, v, t, Options);

        var supportTensor = data.SupportTexts is null ? t : scope.UploadNormalized(support);
        var projected = scope.Allocate(pseudo.Rows, d);
        SupportSetProjection.Project(projected, aligned, supportTensor, (float)Options.ProjectionTemperature, Options.ProjectionTopK);
        _support = scope.Download(supportTensor);
        _pairTexts = scope.Download(t);
        _trainFeatures = scope.Download(projected);
        ReleaseSupportTensor();
        Dimension = d;
        BuildLookup();
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng)
    {
        EmbeddingMatrix normalized, result;
        using (var scope = new TensorScope(Backend))
        {
            var rows = scope.UploadNormalized(texts);
            normalized = scope.Download(rows);
            result = Project(scope, rows);
        }

        for (var i = 0; i < texts.Rows; i++)
        {
            var pair = FindPair(normalized.Row(i));
            if (pair >= 0)
            {
                _trainFeatures!.Row(pair).CopyTo(result.Row(i));
            }
        }

        return result;
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images)
    {
        using var scope = new TensorScope(Backend);
        return Project(scope, scope.UploadNormalized(images));
    }

    /// <summary>Projects normalised rows already on the backend onto the support set.</summary>
    private EmbeddingMatrix Project(TensorScope scope, Tensor normalized)
    {
        if (_supportTensor is null)
        {
            _supportTensor = Backend.Allocate(_support!.Rows, Dimension);
            Backend.Upload(_supportTensor, _support.Span);
        }

        var result = scope.Allocate(normalized.Dim(0), Dimension);
        SupportSetProjection.Project(result, normalized, _supportTensor, (float)Options.ProjectionTemperature, Options.ProjectionTopK);
        return scope.Download(result);
    }

    private void ReleaseSupportTensor()
    {
        _supportTensor?.Storage.Dispose();
        _supportTensor = null;
    }

    private void BuildLookup()
    {
        _lookup = new Dictionary<int, List<int>>();
        for (var i = 0; i < _pairTexts!.Rows; i++)
        {
            var key = Hash(_pairTexts.Row(i));
            if (!_lookup.TryGetValue(key, out var list))
            {
                _lookup[key] = list = new List<int>(1);
            }

            list.Add(i);
        }
    }

    /// <summary>The pseudo pair whose (normalised) text equals <paramref name="text"/> exactly, or −1.</summary>
    private int FindPair(ReadOnlySpan<float> text)
    {
        if (_lookup.TryGetValue(Hash(text), out var candidates))
        {
            foreach (var index in candidates)
            {
                if (text.SequenceEqual(_pairTexts!.Row(index)))
                {
                    return index;
                }
            }
        }

        return -1;
    }

    private static int Hash(ReadOnlySpan<float> row)
    {
        var hash = new HashCode();
        hash.AddBytes(MemoryMarshal.AsBytes(row));
        return hash.ToHashCode();
    }

    protected override void ExportCore(BridgeState state)
    {
        state.Tensors["support"] = ([_support!.Rows, Dimension], (float[])_support.Array.Clone());
        state.Tensors["pair_texts"] = ([_pairTexts!.Rows, Dimension], (float[])_pairTexts.Array.Clone());
        state.Tensors["train_features"] = ([_trainFeatures!.Rows, Dimension], (float[])_trainFeatures.Array.Clone());
    }

    protected override void ImportCore(BridgeState state, int dimension)
    {
        _support = ReadMatrix(state, "support", dimension);
        _pairTexts = ReadMatrix(state, "pair_texts", dimension);
        _trainFeatures = ReadMatrix(state, "train_features", dimension);
        ReleaseSupportTensor();
        if (_pairTexts.Rows != _trainFeatures.Rows)
        {
            throw new ArgumentException("The bridge state's 'pair_texts' and 'train_features' differ in rows.", nameof(state));
        }

        BuildLookup();
    }

    private static EmbeddingMatrix ReadMatrix(BridgeState state, string name, int dimension)
    {
        if (!state.Tensors.TryGetValue(name, out var tensor) || tensor.Shape.Length != 2 || tensor.Shape[1] != dimension)
        {
            throw new ArgumentException($"The bridge state needs a tensor '{name}' of shape (N, {dimension}).", nameof(state));
        }

        return new EmbeddingMatrix(ReadTensor(state, name, (long)tensor.Shape[0] * dimension), tensor.Shape[0], dimension);
    }
}
