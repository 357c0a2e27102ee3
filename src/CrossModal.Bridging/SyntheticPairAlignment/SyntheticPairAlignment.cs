using System;
using System.Numerics.Tensors;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Bridging;

/// <summary>
/// SynTIC's feature alignment (Liu et al., "Improving Cross-Modal Alignment with Synthetic Pairs for Text-Only
/// Image Captioning", AAAI 2024, §3): pseudo-image features of synthetic
/// images are moved toward their captions by gradient descent on the symmetric InfoNCE loss of the batch.
/// </summary>
/// <remarks>
/// For a batch with unit rows V (b, D) and T (b, D), S = V·Tᵀ/τ, P = row-softmax(S), Q = column-softmax(S) and
/// L = Σ_i ½(−log P_ii − log Q_ii) (summed, so the step size does not depend on b). Then
/// ∂L/∂S = ½(P − I) + ½(Q − I) and ∂L/∂V = (1/τ)·(∂L/∂S)·T. Each step is V ← n(V − η·∂L/∂V): gradient descent
/// projected back onto the unit sphere where CLIP features live.
/// </remarks>
public static class SyntheticPairAlignment
{
    /// <summary>Runs the alignment on consecutive batches of pairs.</summary>
    /// <param name="pseudoImages">(n, D) pseudo-image features, L2-normalised.</param>
    /// <param name="texts">(n, D) their texts' embeddings, L2-normalised; row i pairs with row i.</param>
    /// <param name="count">n.</param>
    /// <param name="dimension">D.</param>
    /// <param name="options">Steps, step size, temperature and batch size.</param>
    /// <param name="destination">(n, D) aligned, L2-normalised features.</param>
    /// <returns>The loss summed over all batches before the first step (index 0) and after each step.</returns>
    public static double[] Align(
        ReadOnlySpan<float> pseudoImages, ReadOnlySpan<float> texts, int count, int dimension,
        SyntheticPairAlignmentOptions options, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        var total = (long)count * dimension;
        if (pseudoImages.Length < total || texts.Length < total || destination.Length < total)
        {
            throw new ArgumentException($"pseudoImages, texts and destination must each hold {count} × {dimension} values.");
        }

        pseudoImages[..(int)total].CopyTo(destination);
        var losses = new double[options.Steps + 1];
        var b = Math.Min(options.BatchSize, Math.Max(count, 1));
        var logits = new float[b * b];   // (b, b) S, then ∂L/∂S
        var columns = new float[b * b];  // (b, b) column softmax Q
        var gradient = new float[b * dimension]; // (b, D) ∂L/∂V
        var tau = (float)options.Temperature;
        for (var start = 0; start < count; start += b)
        {
            var rows = Math.Min(b, count - start);
            var v = destination.Slice(start * dimension, rows * dimension);
            var t = texts.Slice(start * dimension, rows * dimension);
            for (var step = 0; step <= options.Steps; step++)
            {
                losses[step] += LossAndGradient(v, t, rows, dimension, tau, logits, columns, gradient);
                if (step == options.Steps)
                {
                    break;
                }

                TensorPrimitives.MultiplyAdd(gradient.AsSpan(0, rows * dimension), (float)-options.StepSize, v, v);
                for (var r = 0; r < rows; r++)
                {
                    var row = v.Slice(r * dimension, dimension);
                    var norm = TensorPrimitives.Norm(row);
                    if (norm > 0f)
                    {
                        TensorPrimitives.Multiply(row, 1f / norm, row);
                    }
                }
            }
        }

        return losses;
    }

    /// <summary>The symmetric InfoNCE loss of one batch and its gradient with respect to V.</summary>
    /// <param name="v">(b, D) features.</param>
    /// <param name="t">(b, D) texts.</param>
    /// <param name="b">Batch size.</param>
    /// <param name="d">D.</param>
    /// <param name="tau">Temperature τ.</param>
    /// <param name="logits">Scratch of at least b·b.</param>
    /// <param name="columns">Scratch of at least b·b.</param>
    /// <param name="gradient">(b, D) ∂L/∂V.</param>
    /// <returns>L = Σ_i ½(−log P_ii − log Q_ii).</returns>
    internal static double LossAndGradient(
        ReadOnlySpan<float> v, ReadOnlySpan<float> t, int b, int d, float tau,
        Span<float> logits, Span<float> columns, Span<float> gradient)
    {
        var s = logits[..(b * b)];
        var q = columns[..(b * b)];
        Gemm.Multiply(false, true, b, b, d, 1f / tau, v, d, t, d, 0f, s, b);

        // Column softmax Q first (it needs the raw logits), written row-major like S.
        var loss = 0.0;
        for (var j = 0; j < b; j++)
        {
            var max = float.NegativeInfinity;
            for (var i = 0; i < b; i++)
            {
                max = MathF.Max(max, s[i * b + j]);
            }

            var sum = 0.0;
            for (var i = 0; i < b; i++)
            {
                var e = MathF.Exp(s[i * b + j] - max);
                q[i * b + j] = e;
                sum += e;
            }

            loss -= 0.5 * (s[j * b + j] - max - Math.Log(sum));
            var inv = (float)(1.0 / sum);
            for (var i = 0; i < b; i++)
            {
                q[i * b + j] *= inv;
            }
        }

        // Row softmax P in place of S, then ∂L/∂S = ½(P − I) + ½(Q − I).
        for (var i = 0; i < b; i++)
        {
            var row = s.Slice(i * b, b);
            var max = TensorPrimitives.Max(row);
            var logSum = max + MathF.Log(SumExp(row, max));
            loss -= 0.5 * (row[i] - logSum);
            TensorPrimitives.SoftMax(row, row);
            TensorPrimitives.Add(row, q.Slice(i * b, b), row);
            TensorPrimitives.Multiply(row, 0.5f, row);
            row[i] -= 1f;
        }

        // ∂L/∂V (b, D) = (1/τ)·∂L/∂S (b, b) · T (b, D)
        Gemm.Multiply(false, false, b, d, b, 1f / tau, s, b, t, d, 0f, gradient, d);
        return loss;
    }

    private static float SumExp(ReadOnlySpan<float> row, float max)
    {
        var sum = 0f;
        foreach (var x in row)
        {
            sum += MathF.Exp(x - max);
        }

        return sum;
    }
}
