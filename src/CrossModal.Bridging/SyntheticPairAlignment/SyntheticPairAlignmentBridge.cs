using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;

namespace CrossModal.Bridging;

/// <summary>
/// SynTIC: fit aligns the pseudo-image features to their texts (<see cref="SyntheticPairAlignment.Align"/>) and
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
    private Dictionary<int, List<int>> _lookup = new();

    public SyntheticPairAlignmentBridge(SyntheticPairAlignmentOptions options)
        : base(options)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "SyntheticPairAlignment";

    /// <summary>The loss history of the last fit (see <see cref="SyntheticPairAlignment.Align"/>).</summary>
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
        var v = EmbeddingOps.Normalized(pseudo);
        var t = EmbeddingOps.Normalized(texts);
        var aligned = new EmbeddingMatrix(v.Rows, d);
        AlignmentLosses = SyntheticPairAlignment.Align(v.Span, t.Span, v.Rows, d, Options, aligned.Span);

        _support = EmbeddingOps.Normalized(support);
        _pairTexts = t;
        _trainFeatures = new EmbeddingMatrix(v.Rows, d);
        SupportSetProjection.Project(
            aligned.Span, aligned.Rows, _support.Span, _support.Rows, d, (float)Options.ProjectionTemperature, Options.ProjectionTopK,
            _trainFeatures.Span);
        Dimension = d;
        BuildLookup();
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng)
    {
        var normalized = EmbeddingOps.Normalized(texts);
        var result = Project(normalized);
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

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => Project(EmbeddingOps.Normalized(images));

    private EmbeddingMatrix Project(EmbeddingMatrix normalized)
    {
        var result = new EmbeddingMatrix(normalized.Rows, Dimension);
        SupportSetProjection.Project(
            normalized.Span, normalized.Rows, _support!.Span, _support.Rows, Dimension, (float)Options.ProjectionTemperature,
            Options.ProjectionTopK, result.Span);
        return result;
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
