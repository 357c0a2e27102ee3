using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Layer normalisation over the last dimension, as <c>torch.nn.LayerNorm</c> (Ba et al., 2016): effectively computes
/// <c>out = (x − μ)·rstd·w + b</c> with <c>μ = mean(x)</c>, <c>rstd = 1/√(var(x) + ε)</c> and the biased variance.
/// Backward follows llm.c's <c>layernorm_backward</c>.
/// </summary>
public static class LayerNorm
{
    /// <summary>Forward pass; keeps μ and rstd per row for the backward pass.</summary>
    /// <param name="output">(N, C) written.</param>
    /// <param name="mean">(N) written: μ per row.</param>
    /// <param name="rstd">(N) written: 1/√(var + ε) per row.</param>
    /// <param name="input">(N, C).</param>
    /// <param name="weight">(C) gain w.</param>
    /// <param name="bias">(C) shift b.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Width C.</param>
    /// <param name="epsilon">ε added to the variance (PyTorch's default is 1e-5).</param>
    public static void Forward(
        Span<float> output, Span<float> mean, Span<float> rstd,
        ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int n, int c, float epsilon)
    {
        KernelChecks.Length(output, (long)n * c, nameof(output));
        KernelChecks.Length(mean, n, nameof(mean));
        KernelChecks.Length(rstd, n, nameof(rstd));
        KernelChecks.Length(input, (long)n * c, nameof(input));
        KernelChecks.Length(weight, c, nameof(weight));
        KernelChecks.Length(bias, c, nameof(bias));
        for (var i = 0; i < n; i++)
        {
            var x = input.Slice(i * c, c);
            var y = output.Slice(i * c, c);
            var m = TensorPrimitives.Sum(x) / c;
            TensorPrimitives.Subtract(x, m, y);
            var variance = TensorPrimitives.SumOfSquares(y) / c;
            var s = 1f / MathF.Sqrt(variance + epsilon);
            TensorPrimitives.Multiply(y, s, y);
            TensorPrimitives.FusedMultiplyAdd(y, weight, bias, y);
            mean[i] = m;
            rstd[i] = s;
        }
    }

    /// <summary>
    /// Backward pass. With <c>x̂ = (x − μ)·rstd</c> and <c>g = dout·w</c>:
    /// <c>dinp = rstd·(g − mean(g) − x̂·mean(g·x̂))</c> (overwritten), <c>dw += dout·x̂</c>, <c>db += dout</c> (accumulated).
    /// </summary>
    /// <param name="dinput">(N, C) overwritten.</param>
    /// <param name="dweight">(C) accumulated.</param>
    /// <param name="dbias">(C) accumulated.</param>
    /// <param name="doutput">(N, C).</param>
    /// <param name="input">(N, C) as given to the forward pass.</param>
    /// <param name="weight">(C).</param>
    /// <param name="mean">(N) from the forward pass.</param>
    /// <param name="rstd">(N) from the forward pass.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Width C.</param>
    public static void Backward(
        Span<float> dinput, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> rstd, int n, int c)
    {
        KernelChecks.Length(dinput, (long)n * c, nameof(dinput));
        KernelChecks.Length(dweight, c, nameof(dweight));
        KernelChecks.Length(dbias, c, nameof(dbias));
        KernelChecks.Length(doutput, (long)n * c, nameof(doutput));
        KernelChecks.Length(input, (long)n * c, nameof(input));
        KernelChecks.Length(weight, c, nameof(weight));
        KernelChecks.Length(mean, n, nameof(mean));
        KernelChecks.Length(rstd, n, nameof(rstd));
        for (var i = 0; i < n; i++)
        {
            var x = input.Slice(i * c, c);
            var dy = doutput.Slice(i * c, c);
            var dx = dinput.Slice(i * c, c);
            float m = mean[i], s = rstd[i];

            // dx temporarily holds x̂; dbias and dweight accumulate from it.
            TensorPrimitives.Subtract(x, m, dx);
            TensorPrimitives.Multiply(dx, s, dx);
            TensorPrimitives.Add(dbias, dy, dbias);
            TensorPrimitives.FusedMultiplyAdd(dy, dx, dweight, dweight);

            float sumG = 0f, sumGx = 0f;
            for (var j = 0; j < c; j++)
            {
                var g = dy[j] * weight[j];
                sumG += g;
                sumGx += g * dx[j];
            }

            var meanG = sumG / c;
            var meanGx = sumGx / c;
            for (var j = 0; j < c; j++)
            {
                dx[j] = s * (dy[j] * weight[j] - meanG - dx[j] * meanGx);
            }
        }
    }
}
