using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Bridging;

/// <summary>
/// CLOSE's structured noise: Δ_i = n(v_i) − n(t_i) over a paired set, μ_Δ its mean and Σ_Δ its covariance
/// (denominator n − 1), factored Σ_Δ + εI = L·Lᵀ. Training x = n(n(t) + μ_Δ + s·L·g + w·ε) with g, ε ~ N(0, I);
/// all g for a call are drawn before all ε. Inference normalises.
/// </summary>
internal sealed class CovarianceNoiseBridge : BridgeBase<CovarianceNoiseOptions>
{
    public const string StrategyName = "covariance_noise";

    private float[] _meanDelta = System.Array.Empty<float>(); // (D)
    private float[] _factor = System.Array.Empty<float>();    // (D, D) lower-triangular L

    public CovarianceNoiseBridge(CovarianceNoiseOptions options)
        : base(options)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "CovarianceNoise";

    /// <summary>The jitter that made Σ_Δ factorable at the last fit (0 when none was needed).</summary>
    public double AppliedJitter { get; private set; }

    protected override void FitCore(BridgeFitData data)
    {
        var texts = Require(data.PairedTexts, "PairedTexts", "(text side of a small paired set) to estimate the gap distribution");
        var images = Require(data.PairedImages, "PairedImages", "(image side of a small paired set) to estimate the gap distribution", texts.Dimension);
        RequirePaired(texts, "PairedTexts", images, "PairedImages");
        if (texts.Rows < 2)
        {
            throw new ArgumentException("CovarianceNoise needs at least 2 pairs to estimate a covariance.", "data");
        }

        var n = texts.Rows;
        var d = texts.Dimension;
        var delta = EmbeddingOps.Normalized(images);
        var t = EmbeddingOps.Normalized(texts);
        TensorPrimitives.Subtract(delta.Span, t.Span, delta.Span);

        var mean = new float[d];
        var sum = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = delta.Row(i);
            for (var j = 0; j < d; j++)
            {
                sum[j] += row[j];
            }
        }

        for (var j = 0; j < d; j++)
        {
            mean[j] = (float)(sum[j] / n);
        }

        for (var i = 0; i < n; i++)
        {
            var row = delta.Row(i);
            TensorPrimitives.Subtract(row, mean, row);
        }

        // Σ_Δ (d, d) = CᵀC / (n − 1) with C the centred differences (n, d).
        var covariance = new float[d * d];
        Gemm.Multiply(true, false, d, d, n, 1f / (n - 1), delta.Span, d, delta.Span, d, 0f, covariance, d);
        var a = new double[d * d];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = covariance[i];
        }

        var factor = new double[d * d];
        AppliedJitter = Cholesky.FactorWithJitter(a, d, Options.RelativeJitter, factor);
        _factor = new float[d * d];
        for (var i = 0; i < factor.Length; i++)
        {
            _factor[i] = (float)factor[i];
        }

        _meanDelta = mean;
        Dimension = d;
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng)
    {
        var rows = texts.Rows;
        var d = Dimension;
        var result = EmbeddingOps.Normalized(texts);

        // z = s·L·g for each row, i.e. Z (rows, d) = s·G·Lᵀ, accumulated straight into the result.
        var g = new float[rows * d];
        Gaussian.Fill(rng, g);
        Gemm.Multiply(false, true, rows, d, d, (float)Options.Scale, g, d, _factor, d, 1f, result.Span, d);

        if (Options.IsotropicSigma > 0)
        {
            Gaussian.Fill(rng, g);
            TensorPrimitives.MultiplyAdd(g, (float)Options.IsotropicSigma, result.Span, result.Span);
        }

        if (Options.AddMean)
        {
            for (var i = 0; i < rows; i++)
            {
                var row = result.Row(i);
                TensorPrimitives.Add(row, _meanDelta, row);
            }
        }

        EmbeddingOps.NormalizeInPlace(result);
        return result;
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => EmbeddingOps.Normalized(images);

    protected override void ExportCore(BridgeState state)
    {
        state.Tensors["mean_delta"] = ([Dimension], (float[])_meanDelta.Clone());
        state.Tensors["covariance_factor"] = ([Dimension, Dimension], (float[])_factor.Clone());
    }

    protected override void ImportCore(BridgeState state, int dimension)
    {
        _meanDelta = ReadTensor(state, "mean_delta", dimension);
        _factor = ReadTensor(state, "covariance_factor", (long)dimension * dimension);
    }
}
