using System;
using System.Buffers;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Softmax cross-entropy with one weight per row, summed: <c>loss = Σ_i w_i·(logsumexp(z_i) − z_i[y_i])</c>, rows whose
/// target is the ignore index contributing nothing. With <c>w_i = (r − b)/(L·n)</c> for the rows of a sampled caption
/// of L scored tokens it is the self-critical policy-gradient loss (Rennie et al. 2017) with length normalisation, so
/// the decoder's forward pass and this kernel give REINFORCE gradients without a separate log-probability path.
/// </summary>
public static class WeightedCrossEntropy
{
    private const int StackLimit = 8192;

    /// <summary>Per-row losses and their weighted sum.</summary>
    /// <param name="losses">(N) per-row unweighted losses; 0 on ignored rows.</param>
    /// <param name="logSumExp">(N) kept for backward.</param>
    /// <param name="logits">(N, V).</param>
    /// <param name="targets">(N) class indices, or the ignore index.</param>
    /// <param name="weights">(N) row weights (any sign).</param>
    /// <param name="n">N.</param>
    /// <param name="v">V.</param>
    /// <param name="ignoreIndex">Targets to skip.</param>
    /// <returns>Σ_i w_i·loss_i over scored rows.</returns>
    public static float Forward(
        Span<float> losses, Span<float> logSumExp, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights,
        int n, int v, int ignoreIndex)
    {
        KernelChecks.Length(losses, n, nameof(losses));
        KernelChecks.Length(logSumExp, n, nameof(logSumExp));
        KernelChecks.Length(logits, (long)n * v, nameof(logits));
        KernelChecks.Count(targets, n, nameof(targets));
        KernelChecks.Length(weights, n, nameof(weights));
        double total = 0;
        float[]? rented = null;
        var row = v <= StackLimit ? stackalloc float[v] : (rented = ArrayPool<float>.Shared.Rent(v)).AsSpan(0, v);
        for (var i = 0; i < n; i++)
        {
            var y = targets[i];
            if (y == ignoreIndex)
            {
                losses[i] = 0f;
                logSumExp[i] = 0f;
                continue;
            }

            if ((uint)y >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"targets[{i}] = {y} is outside [0, {v}) and is not the ignore index {ignoreIndex}.");
            }

            var z = logits.Slice(i * v, v);
            var lse = CrossEntropy.RowLogSumExp(z, row);
            losses[i] = lse - z[y];
            logSumExp[i] = lse;
            total += (double)weights[i] * losses[i];
        }

        if (rented is not null)
        {
            ArrayPool<float>.Shared.Return(rented);
        }

        return (float)total;
    }

    /// <summary>Gradient of <c>dLoss·Σ_i w_i·loss_i</c>: <c>dLogits_i = dLoss·w_i·(softmax(z_i) − onehot(y_i))</c>.</summary>
    /// <param name="dLogits">(N, V) overwritten (zero on ignored rows); may be <paramref name="logits"/>.</param>
    /// <param name="logits">(N, V) from the forward pass.</param>
    /// <param name="logSumExp">(N) from the forward pass.</param>
    /// <param name="targets">(N) as given to the forward pass.</param>
    /// <param name="weights">(N) as given to the forward pass.</param>
    /// <param name="n">N.</param>
    /// <param name="v">V.</param>
    /// <param name="ignoreIndex">As given to the forward pass.</param>
    /// <param name="dLoss">Gradient of the weighted sum.</param>
    public static void Backward(
        Span<float> dLogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights,
        int n, int v, int ignoreIndex, float dLoss)
    {
        KernelChecks.Length(dLogits, (long)n * v, nameof(dLogits));
        KernelChecks.Length(logits, (long)n * v, nameof(logits));
        KernelChecks.Length(logSumExp, n, nameof(logSumExp));
        KernelChecks.Count(targets, n, nameof(targets));
        KernelChecks.Length(weights, n, nameof(weights));
        for (var i = 0; i < n; i++)
        {
            var d = dLogits.Slice(i * v, v);
            var y = targets[i];
            if (y == ignoreIndex)
            {
                d.Clear();
                continue;
            }

            if ((uint)y >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"targets[{i}] = {y} is outside [0, {v}) and is not the ignore index {ignoreIndex}.");
            }

            var scale = dLoss * weights[i];
            TensorPrimitives.Subtract(logits.Slice(i * v, v), logSumExp[i], d);
            TensorPrimitives.Exp(d, d);
            TensorPrimitives.Multiply(d, scale, d);
            d[y] -= scale;
        }
    }
}
