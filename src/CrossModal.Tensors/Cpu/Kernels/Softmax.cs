using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>Row-wise softmax: effectively computes <c>out[n, j] = exp(x[n, j] − max_n) / Σ_k exp(x[n, k] − max_n)</c>.</summary>
public static class Softmax
{
    /// <summary>Forward pass.</summary>
    /// <param name="output">(N, C) written; may be <paramref name="input"/> itself.</param>
    /// <param name="input">(N, C).</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Row length C.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, int n, int c)
    {
        KernelChecks.Length(output, (long)n * c, nameof(output));
        KernelChecks.Length(input, (long)n * c, nameof(input));
        if (c == 0)
        {
            return;
        }

        for (var i = 0; i < n; i++)
        {
            TensorPrimitives.SoftMax(input.Slice(i * c, c), output.Slice(i * c, c));
        }
    }

    /// <summary>Backward pass from the output y: <c>dinp = y ⊙ (dout − ⟨dout, y⟩)</c> per row (overwritten).</summary>
    /// <param name="dinput">(N, C) overwritten; may be <paramref name="doutput"/> itself.</param>
    /// <param name="doutput">(N, C).</param>
    /// <param name="output">(N, C) from the forward pass.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Row length C.</param>
    public static void Backward(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> output, int n, int c)
    {
        KernelChecks.Length(dinput, (long)n * c, nameof(dinput));
        KernelChecks.Length(doutput, (long)n * c, nameof(doutput));
        KernelChecks.Length(output, (long)n * c, nameof(output));
        for (var i = 0; i < n; i++)
        {
            var y = output.Slice(i * c, c);
            var dy = doutput.Slice(i * c, c);
            var dx = dinput.Slice(i * c, c);
            var dot = TensorPrimitives.Dot(dy, y);
            TensorPrimitives.Subtract(dy, dot, dx);
            TensorPrimitives.Multiply(dx, y, dx);
        }
    }

    /// <summary>
    /// One block of a streaming (online) softmax-weighted sum (Milakov &amp; Gimelshein 2018, the rescaling
    /// FlashAttention uses): per row, <c>m_new = max(m_old, max_j x_j)</c>, <c>weights_j = exp(x_j − m_new)</c> and the
    /// row of <paramref name="accumulator"/> shrinks by <c>exp(m_old − m_new)</c> (to 0 while m_old = −∞), so that
    /// adding <c>weights·values</c> next keeps it proportional to the softmax-weighted sum over all blocks so far.
    /// </summary>
    /// <param name="weights">(N, C) written: the block's unnormalised weights; may be <paramref name="logits"/> itself.</param>
    /// <param name="runningMax">(N) updated: the running maximum m, −∞ before the first block.</param>
    /// <param name="accumulator">(N, D) rescaled in place.</param>
    /// <param name="logits">(N, C) this block's logits.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Block width C.</param>
    /// <param name="d">Accumulator width D.</param>
    public static void OnlineStep(Span<float> weights, Span<float> runningMax, Span<float> accumulator, ReadOnlySpan<float> logits, int n, int c, int d)
    {
        KernelChecks.Length(weights, (long)n * c, nameof(weights));
        KernelChecks.Length(runningMax, n, nameof(runningMax));
        KernelChecks.Length(accumulator, (long)n * d, nameof(accumulator));
        KernelChecks.Length(logits, (long)n * c, nameof(logits));
        if (c == 0)
        {
            return;
        }

        for (var i = 0; i < n; i++)
        {
            var x = logits.Slice(i * c, c);
            var w = weights.Slice(i * c, c);
            var max = runningMax[i];
            var newMax = MathF.Max(max, TensorPrimitives.Max(x));
            var scale = float.IsNegativeInfinity(max) ? 0f : MathF.Exp(max - newMax);
            runningMax[i] = newMax;
            TensorPrimitives.Subtract(x, newMax, w);
            TensorPrimitives.Exp(w, w);
            if (scale != 1f)
            {
                var row = accumulator.Slice(i * d, d);
                TensorPrimitives.Multiply(row, scale, row);
            }
        }
    }
}
