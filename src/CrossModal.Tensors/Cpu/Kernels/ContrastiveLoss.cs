using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Symmetric InfoNCE loss of CLIP (Radford et al., 2021, Figure 3): with the logit scale <c>s = min(exp(τ), 100)</c>
/// of a learnable log temperature τ and <c>L = s·I·Tᵀ</c> for matched rows of image and text embeddings (usually
/// L2-normalised), effectively computes <c>loss = ½·(CE(L, arange) + CE(Lᵀ, arange))</c> with mean reduction.
/// </summary>
public static class ContrastiveLoss
{
    /// <summary>The clamp CLIP puts on the logit scale.</summary>
    public const float MaxLogitScale = 100f;

    /// <summary>Forward pass; returns the loss and keeps the logits and both log-sum-exps for the backward pass.</summary>
    /// <param name="logits">(N, N) written: <c>s·I·Tᵀ</c> (image rows, text columns).</param>
    /// <param name="rowLogSumExp">(N) written: log Σ_j exp(L[i, j]).</param>
    /// <param name="columnLogSumExp">(N) written: log Σ_i exp(L[i, j]).</param>
    /// <param name="image">(N, D) image embeddings I.</param>
    /// <param name="text">(N, D) text embeddings T; row i is image i's pair.</param>
    /// <param name="logTemperature">τ; the logit scale is min(exp(τ), 100).</param>
    /// <param name="n">Pairs N.</param>
    /// <param name="d">Width D.</param>
    public static float Forward(
        Span<float> logits, Span<float> rowLogSumExp, Span<float> columnLogSumExp,
        ReadOnlySpan<float> image, ReadOnlySpan<float> text, float logTemperature, int n, int d)
        => Forward(logits, rowLogSumExp, columnLogSumExp, image, text, logTemperature, n, d, Gemm.DefaultThreads);

    /// <summary>Forward pass with its GEMM on at most <paramref name="maxThreads"/> threads (a backend's thread count).</summary>
    /// <param name="logits">(N, N) written: <c>s·I·Tᵀ</c> (image rows, text columns).</param>
    /// <param name="rowLogSumExp">(N) written: log Σ_j exp(L[i, j]).</param>
    /// <param name="columnLogSumExp">(N) written: log Σ_i exp(L[i, j]).</param>
    /// <param name="image">(N, D) image embeddings I.</param>
    /// <param name="text">(N, D) text embeddings T; row i is image i's pair.</param>
    /// <param name="logTemperature">τ; the logit scale is min(exp(τ), 100).</param>
    /// <param name="n">Pairs N.</param>
    /// <param name="d">Width D.</param>
    /// <param name="maxThreads">Most threads the GEMM may use; at least 1.</param>
    /// <returns>The loss.</returns>
    public static float Forward(
        Span<float> logits, Span<float> rowLogSumExp, Span<float> columnLogSumExp,
        ReadOnlySpan<float> image, ReadOnlySpan<float> text, float logTemperature, int n, int d, int maxThreads)
    {
        KernelChecks.Length(logits, (long)n * n, nameof(logits));
        KernelChecks.Length(rowLogSumExp, n, nameof(rowLogSumExp));
        KernelChecks.Length(columnLogSumExp, n, nameof(columnLogSumExp));
        KernelChecks.Length(image, (long)n * d, nameof(image));
        KernelChecks.Length(text, (long)n * d, nameof(text));
        KernelChecks.Positive(n, nameof(n));
        var scale = MathF.Min(MathF.Exp(logTemperature), MaxLogitScale);
        Gemm.Multiply(false, true, n, n, d, scale, image, d, text, d, 0f, logits, n, maxThreads);

        double rowLoss = 0, columnLoss = 0;
        for (var i = 0; i < n; i++)
        {
            var row = logits.Slice(i * n, n);
            var max = TensorPrimitives.Max(row);
            var sum = 0f;
            for (var j = 0; j < n; j++)
            {
                sum += MathF.Exp(row[j] - max);
            }

            rowLogSumExp[i] = max + MathF.Log(sum);
            rowLoss += rowLogSumExp[i] - row[i];
        }

        for (var j = 0; j < n; j++)
        {
            var max = float.NegativeInfinity;
            for (var i = 0; i < n; i++)
            {
                max = MathF.Max(max, logits[i * n + j]);
            }

            var sum = 0f;
            for (var i = 0; i < n; i++)
            {
                sum += MathF.Exp(logits[i * n + j] - max);
            }

            columnLogSumExp[j] = max + MathF.Log(sum);
            columnLoss += columnLogSumExp[j] - logits[j * n + j];
        }

        return (float)(0.5 * (rowLoss + columnLoss) / n);
    }

    /// <summary>
    /// Backward pass: <c>dL = dloss·(softmax_rows(L) + softmax_cols(L) − 2·Id)/(2N)</c>, <c>dI = s·dL·T</c>,
    /// <c>dT = s·dLᵀ·I</c> (overwritten); returns dloss/dτ = <c>Σ dL ⊙ L</c> while exp(τ) ≤ 100, else 0 (the clamp's
    /// gradient, as <c>torch.clamp</c>).
    /// </summary>
    /// <param name="dimage">(N, D) overwritten.</param>
    /// <param name="dtext">(N, D) overwritten.</param>
    /// <param name="dlogits">(N, N) scratch, overwritten with dL.</param>
    /// <param name="logits">(N, N) from the forward pass.</param>
    /// <param name="rowLogSumExp">(N) from the forward pass.</param>
    /// <param name="columnLogSumExp">(N) from the forward pass.</param>
    /// <param name="image">(N, D) as given to the forward pass.</param>
    /// <param name="text">(N, D) as given to the forward pass.</param>
    /// <param name="logTemperature">τ as given to the forward pass.</param>
    /// <param name="dloss">Gradient of the loss.</param>
    /// <param name="n">Pairs N.</param>
    /// <param name="d">Width D.</param>
    public static float Backward(
        Span<float> dimage, Span<float> dtext, Span<float> dlogits,
        ReadOnlySpan<float> logits, ReadOnlySpan<float> rowLogSumExp, ReadOnlySpan<float> columnLogSumExp,
        ReadOnlySpan<float> image, ReadOnlySpan<float> text, float logTemperature, float dloss, int n, int d)
        => Backward(dimage, dtext, dlogits, logits, rowLogSumExp, columnLogSumExp, image, text, logTemperature, dloss, n, d, Gemm.DefaultThreads);

    /// <summary>Backward pass with its GEMMs on at most <paramref name="maxThreads"/> threads (a backend's thread count).</summary>
    /// <param name="dimage">(N, D) overwritten.</param>
    /// <param name="dtext">(N, D) overwritten.</param>
    /// <param name="dlogits">(N, N) scratch, overwritten.</param>
    /// <param name="logits">(N, N) from the forward pass.</param>
    /// <param name="rowLogSumExp">(N) from the forward pass.</param>
    /// <param name="columnLogSumExp">(N) from the forward pass.</param>
    /// <param name="image">(N, D) as given to the forward pass.</param>
    /// <param name="text">(N, D) as given to the forward pass.</param>
    /// <param name="logTemperature">τ as given to the forward pass.</param>
    /// <param name="dloss">Gradient of the loss.</param>
    /// <param name="n">Pairs N.</param>
    /// <param name="d">Width D.</param>
    /// <param name="maxThreads">Most threads the GEMMs may use; at least 1.</param>
    /// <returns>The gradient with respect to τ.</returns>
    public static float Backward(
        Span<float> dimage, Span<float> dtext, Span<float> dlogits,
        ReadOnlySpan<float> logits, ReadOnlySpan<float> rowLogSumExp, ReadOnlySpan<float> columnLogSumExp,
        ReadOnlySpan<float> image, ReadOnlySpan<float> text, float logTemperature, float dloss, int n, int d, int maxThreads)
    {
        KernelChecks.Length(dimage, (long)n * d, nameof(dimage));
        KernelChecks.Length(dtext, (long)n * d, nameof(dtext));
        KernelChecks.Length(dlogits, (long)n * n, nameof(dlogits));
        KernelChecks.Length(logits, (long)n * n, nameof(logits));
        KernelChecks.Length(rowLogSumExp, n, nameof(rowLogSumExp));
        KernelChecks.Length(columnLogSumExp, n, nameof(columnLogSumExp));
        KernelChecks.Length(image, (long)n * d, nameof(image));
        KernelChecks.Length(text, (long)n * d, nameof(text));
        KernelChecks.Positive(n, nameof(n));
        var exp = MathF.Exp(logTemperature);
        var scale = MathF.Min(exp, MaxLogitScale);
        var factor = dloss * 0.5f / n;
        double dscale = 0;
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                var l = logits[i * n + j];
                var g = MathF.Exp(l - rowLogSumExp[i]) + MathF.Exp(l - columnLogSumExp[j]);
                if (i == j)
                {
                    g -= 2f;
                }

                g *= factor;
                dlogits[i * n + j] = g;
                dscale += (double)g * l;
            }
        }

        Gemm.Multiply(false, false, n, d, n, scale, dlogits, n, text, d, 0f, dimage, d, maxThreads);
        Gemm.Multiply(true, false, n, d, n, scale, dlogits, n, image, d, 0f, dtext, d, maxThreads);

        // dL/ds = Σ dL ⊙ (I·Tᵀ) = Σ dL ⊙ L / s; ds/dτ = exp(τ) = s inside the clamp.
        return exp <= MaxLogitScale ? (float)dscale : 0f;
    }
}
