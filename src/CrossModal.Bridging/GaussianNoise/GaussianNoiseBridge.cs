using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;

namespace CrossModal.Bridging;

/// <summary>
/// Noise injection at training time: x = n(n(t) + σ·ε) (CapDec §3, CLOSE §3.1, C3 "corrupt"); inference only
/// normalises. Needs no fitting and accepts any dimension.
/// </summary>
internal sealed class GaussianNoiseBridge : BridgeBase<GaussianNoiseOptions>
{
    public const string StrategyName = "gaussian_noise";

    public GaussianNoiseBridge(GaussianNoiseOptions options)
        : base(options)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "GaussianNoise";

    public override bool IsFitted => true;

    protected override void FitCore(BridgeFitData data)
    {
        // Nothing to estimate: the noise level is an option.
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng)
    {
        var result = EmbeddingOps.Normalized(texts);
        var noise = new float[result.Span.Length];
        Gaussian.Fill(rng, noise);

        // x + σ·ε in one fused pass.
        TensorPrimitives.MultiplyAdd(noise, (float)Options.Sigma, result.Span, result.Span);
        if (Options.Renormalize)
        {
            EmbeddingOps.NormalizeInPlace(result);
        }

        return result;
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => EmbeddingOps.Normalized(images);

    protected override void ExportCore(BridgeState state)
    {
    }

    protected override void ImportCore(BridgeState state, int dimension)
    {
    }
}
