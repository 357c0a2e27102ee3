using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;

namespace CrossModal.Bridging;

/// <summary>
/// C3's collapse: training x = n(n(t) − μ_t), inference x = n(n(v) − μ_v), with μ the mean of each modality's
/// L2-normalised embeddings (Zhang et al., "Connect, Collapse, Corrupt", ICLR 2024, §4.2).
/// </summary>
internal sealed class CollapseBridge : BridgeBase<CollapseOptions>
{
    public const string StrategyName = "collapse";

    private float[] _textMean = System.Array.Empty<float>();   // (D)
    private float[] _imageMean = System.Array.Empty<float>();  // (D)

    public CollapseBridge(CollapseOptions options)
        : base(options)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "Collapse";

    protected override void FitCore(BridgeFitData data)
    {
        var texts = Require(data.UnpairedTexts ?? data.PairedTexts, "UnpairedTexts (or PairedTexts)", "to estimate the text mean μ_t");
        var images = Require(data.UnpairedImages ?? data.PairedImages, "UnpairedImages (or PairedImages)", "to estimate the image mean μ_v", texts.Dimension);
        _textMean = EmbeddingOps.NormalizedMean(texts);
        _imageMean = EmbeddingOps.NormalizedMean(images);
        Dimension = texts.Dimension;
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng) => Center(texts, _textMean);

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => Center(images, _imageMean);

    protected override void ExportCore(BridgeState state)
    {
        state.Tensors["text_mean"] = ([Dimension], (float[])_textMean.Clone());
        state.Tensors["image_mean"] = ([Dimension], (float[])_imageMean.Clone());
    }

    protected override void ImportCore(BridgeState state, int dimension)
    {
        _textMean = ReadTensor(state, "text_mean", dimension);
        _imageMean = ReadTensor(state, "image_mean", dimension);
    }

    /// <summary>n(n(x_i) − μ) for every row.</summary>
    private static EmbeddingMatrix Center(EmbeddingMatrix x, float[] mean)
    {
        var result = EmbeddingOps.Normalized(x);
        for (var i = 0; i < result.Rows; i++)
        {
            var row = result.Row(i);
            TensorPrimitives.Subtract(row, mean, row);
        }

        EmbeddingOps.NormalizeInPlace(result);
        return result;
    }
}
