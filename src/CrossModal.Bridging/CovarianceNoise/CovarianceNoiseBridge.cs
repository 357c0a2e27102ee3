using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;

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

    public CovarianceNoiseBridge(CovarianceNoiseOptions options, IComputeBackend? backend = null)
        : base(options, backend)
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
        using var scope = new TensorScope(Backend);
        var deltaTensor = scope.UploadNormalized(images);
        Backend.Axpy(deltaTensor, -1f, scope.UploadNormalized(texts)); // Δ = n(v) − n(t)
        var delta = scope.DownloadArray(deltaTensor);

        // μ_Δ accumulated in double on the host, then the differences centred.
        var mean = new float[d];
        var sum = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = delta.AsSpan(i * d, d);
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
            var row = delta.AsSpan(i * d, d);
            TensorPrimitives.Subtract(row, mean, row);
        }

        // Σ_Δ (d, d) = CᵀC / (n − 1) with C the centred differences (n, d); the factorisation is small host math.
        Backend.Upload(deltaTensor, delta);
        var covarianceTensor = scope.Allocate(d, d);
        Backend.MatMul(covarianceTensor, deltaTensor, true, deltaTensor, false, alpha: 1f / (n - 1));
        var covariance = scope.DownloadArray(covarianceTensor);
        var a = new double[d * d];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = covariance[i];
        }

        var factor = new double[d * d];
        AppliedJitter = HostCholesky.FactorWithJitter(a, d, Options.RelativeJitter, factor);
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
        using var scope = new TensorScope(Backend);
        var result = scope.UploadNormalized(texts);

        // z = s·L·g for each row, i.e. Z (rows, d) = s·G·Lᵀ, accumulated straight into the result; all g before all ε.
        var g = new float[rows * d];
        Gaussian.Fill(rng, g);
        var noise = scope.Upload(g, rows, d);
        Backend.MatMul(result, noise, false, scope.Upload(_factor, d, d), true, alpha: (float)Options.Scale, beta: 1f);

        if (Options.IsotropicSigma > 0)
        {
            Gaussian.Fill(rng, g);
            Backend.Upload(noise, g);
            Backend.Axpy(result, (float)Options.IsotropicSigma, noise);
        }

        if (Options.AddMean)
        {
            // result += 1·μ_Δ for every row: a rank-1 product, exact since each term is 1·μ_j.
            var ones = scope.Allocate(rows, 1);
            Backend.Fill(ones, 1f);
            Backend.MatMul(result, ones, false, scope.Upload(_meanDelta, 1, d), false, alpha: 1f, beta: 1f);
        }

        scope.NormalizeRows(result);
        return scope.Download(result);
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => NormalizedOnBackend(images);

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
