using System;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors.Cpu;

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

    public LinearAdapterBridge(LinearAdapterOptions options)
        : base(options)
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
        var x = new float[n * p];
        var normalizedTexts = EmbeddingOps.Normalized(texts);
        for (var i = 0; i < n; i++)
        {
            normalizedTexts.Row(i).CopyTo(x.AsSpan(i * p, d));
            if (Options.FitBias)
            {
                x[i * p + d] = 1f;
            }
        }

        var y = EmbeddingOps.Normalized(images);

        // Gram (p, p) = XᵀX and rhs (p, d) = XᵀY through the GEMM; the solve is done in double.
        var gram = new float[p * p];
        var rhs = new float[p * d];
        Gemm.Multiply(true, false, p, p, n, 1f, x, p, x, p, 0f, gram, p);
        Gemm.Multiply(true, false, p, d, n, 1f, x, p, y.Span, d, 0f, rhs, d);

        var a = new double[p * p];
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = gram[i];
        }

        for (var i = 0; i < d; i++)
        {
            a[i * p + i] += Options.Lambda; // the bias row/column (index d) is not penalised
        }

        if (!Cholesky.TryFactor(a, p))
        {
            throw new InvalidOperationException(
                $"LinearAdapter's normal equations are singular ({n} pairs, dimension {d}, λ = {Options.Lambda}); use Lambda > 0.");
        }

        var theta = new double[p * d];
        for (var i = 0; i < theta.Length; i++)
        {
            theta[i] = rhs[i];
        }

        Cholesky.Solve(a, p, theta, d);

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
        var normalized = EmbeddingOps.Normalized(texts);
        var result = new EmbeddingMatrix(texts.Rows, d);
        for (var i = 0; i < texts.Rows; i++)
        {
            _bias.CopyTo(result.Row(i));
        }

        // (rows, d) = (rows, d)·(d, d) + bias
        Gemm.Multiply(false, false, texts.Rows, d, d, 1f, normalized.Span, d, _weight, d, 1f, result.Span, d);
        EmbeddingOps.NormalizeInPlace(result);
        return result;
    }

    protected override EmbeddingMatrix InferenceCore(EmbeddingMatrix images) => EmbeddingOps.Normalized(images);

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
