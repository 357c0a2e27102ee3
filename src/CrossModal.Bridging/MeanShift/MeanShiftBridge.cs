using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;

namespace CrossModal.Bridging;

/// <summary>
/// Mean shift: training x = n(n(t) + s·(μ_v − μ_t)); inference only normalises (CapDec's offset variant,
/// CLOSE Table 5 "mean shift"). Fits the two means from unpaired (or paired) data.
/// </summary>
internal sealed class MeanShiftBridge : BridgeBase<MeanShiftOptions>
{
    public const string StrategyName = "mean_shift";

    private float[] _shift = System.Array.Empty<float>(); // (D): s·(μ_v − μ_t)

    public MeanShiftBridge(MeanShiftOptions options)
        : base(options)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "MeanShift";

    protected override void FitCore(BridgeFitData data)
    {
        var texts = Require(data.UnpairedTexts ?? data.PairedTexts, "UnpairedTexts (or PairedTexts)", "to estimate the text mean μ_t");
        var images = Require(data.UnpairedImages ?? data.PairedImages, "UnpairedImages (or PairedImages)", "to estimate the image mean μ_v", texts.Dimension);
        var textMean = EmbeddingOps.NormalizedMean(texts);
        var imageMean = EmbeddingOps.NormalizedMean(images);
        var shift = new float[texts.Dimension];
        TensorPrimitives.Subtract(imageMean, textMean, shift);
        TensorPrimitives.Multiply(shift, (float)Options.Scale, shift);
        _shift = shift;
        Dimension = texts.Dimension;
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng)
    {
        var result = EmbeddingOps.Normalized(texts);
        for (var i = 0; i < result.Rows; i++)
        {
            var row = result.Row(i);
            TensorPrimitives.Add(row, _shift, row);
        }

        EmbeddingOps.NormalizeInPlace(result);
        return result;
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => EmbeddingOps.Normalized(images);

    protected override void ExportCore(BridgeState state) => state.Tensors["shift"] = ([Dimension], (float[])_shift.Clone());

    protected override void ImportCore(BridgeState state, int dimension) => _shift = ReadTensor(state, "shift", dimension);
}
