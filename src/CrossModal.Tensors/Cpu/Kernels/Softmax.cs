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
}
