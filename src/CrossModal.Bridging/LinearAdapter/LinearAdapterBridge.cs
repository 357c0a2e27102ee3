using System;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;

namespace CrossModal.Bridging;

/// <summary>
/// CLOSE's linear adapter in closed form: with X = [n(T), 1] (n, D+1) and Y = n(V) (n, D), solve the ridge normal
/// equations (XᵀX + λ·diag(1,…,1,0))·Θ = XᵀY by Cholesky; Θ = [W; b]. Training x = n(n(t)·W + b); inference normalises.
/// </summary>
internal sealed class LinearAdapterBridge : BridgeBase<LinearAdapterOptions>
{
    public const string StrategyName = "linear_adapter";

    private float[] _weight = System.Array.Empty<float>(); // (D_in, D_out) so that y = x·W + b for a row x
    private float[] _bias = System.Array.Empty<float>();   // (D_out)

    public LinearAdapterBridge(LinearAdapterOptions options, IComputeBackend? backend = null)
        : base(options, backend)
    {
    }

    public override string Name => StrategyName;

    protected override string DisplayName => "LinearAdapter";

    protected override void FitCore(BridgeFitData data)
    {
        var texts = Require(data.PairedTexts, "PairedTexts", "(text side of a small paired set) to fit W and b");
        var images = Require(data.PairedImages, "PairedImages", "(image side of a small paired set) to fit W and b", texts.Dimension);
        RequirePaired(texts, "PairedTexts", images, "PairedImages");

        var n = texts.Rows;
        var d = texts.Dimension;
        var p = Options.FitBias ? d + 1 : d; // unknowns per output column

        // X (n, p): normalised texts with a trailing column of ones; Y (n, d): normalised images.
        using var scope = new TensorScope(Backend);
        var normalizedTexts = scope.Download(scope.UploadNormalized(texts));
        var x = new float[n * p];
        for (var i = 0; i < n; i++)
        {
            normalizedTexts.Row(i).CopyTo(x.AsSpan(i * p, d));
            if (Options.FitBias)
            {
                x[i * p + d] = 1f;
            }
        }

        var xTensor = scope.Upload(x, n, p);
        var y = scope.UploadNormalized(images);

        // Gram (p, p) = XᵀX and rhs (p, d) = XᵀY on the backend; the ridge solve is small host math in double.
        var gramTensor = scope.Allocate(p, p);
        var rhsTensor = scope.Allocate(p, d);
        Backend.MatMul(gramTensor, xTensor, true, xTensor, false);
        Backend.MatMul(rhsTensor, xTensor, true, y, false);
        var gram = scope.DownloadArray(gramTensor);
        var rhs = scope.DownloadArray(rhsTensor);

        var a = new double[p * p];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = gram[i];
        }

        for (var i = 0; i < d; i++)
        {
            a[i * p + i] += Options.Lambda; // the bias row/column (index d) is not penalised
        }

        if (!HostCholesky.TryFactor(a, p))
        {
            throw new InvalidOperationException(
                $"LinearAdapter's normal equations are singular ({n} pairs, dimension {d}, λ = {Options.Lambda}); use Lambda > 0.");
        }

        var theta = new double[p * d];
        for (var i = 0; i < theta.Length; i++)
        {
            theta[i] = rhs[i];
        }

        HostCholesky.Solve(a, p, theta, d);

        _weight = new float[d * d];
        _bias = new float[d];
        for (var i = 0; i < d * d; i++)
        {
            _weight[i] = (float)theta[i];
        }

        if (Options.FitBias)
        {
            for (var j = 0; j < d; j++)
            {
                _bias[j] = (float)theta[d * d + j];
            }
        }

        Dimension = d;
    }

    protected override EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng)
    {
        var d = Dimension;
        using var scope = new TensorScope(Backend);
        var normalized = scope.UploadNormalized(texts);
        var bias = new float[texts.Rows * d];
        for (var i = 0; i < texts.Rows; i++)
        {
            _bias.CopyTo(bias.AsSpan(i * d, d));
        }

        // (rows, d) = (rows, d)·(d, d) + bias
        var result = scope.Upload(bias, texts.Rows, d);
        Backend.MatMul(result, normalized, false, scope.Upload(_weight, d, d), false, alpha: 1f, beta: 1f);
        scope.NormalizeRows(result);
        return scope.Download(result);
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => NormalizedOnBackend(images);

    protected override void ExportCore(BridgeState state)
    {
        state.Tensors["weight"] = ([Dimension, Dimension], (float[])_weight.Clone());
        state.Tensors["bias"] = ([Dimension], (float[])_bias.Clone());
    }

    protected override void ImportCore(BridgeState state, int dimension)
    {
        _weight = ReadTensor(state, "weight", (long)dimension * dimension);
        _bias = ReadTensor(state, "bias", dimension);
    }
}
