using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>Residual connection: effectively computes <c>out = x + y</c>; its backward passes dout to both inputs.</summary>
public static class Residual
{
    /// <summary>Forward pass.</summary>
    /// <param name="output">(N) written; may be either input.</param>
    /// <param name="x">(N).</param>
    /// <param name="y">(N).</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> x, ReadOnlySpan<float> y)
    {
        KernelChecks.Length(output, x.Length, nameof(output));
        KernelChecks.Length(y, x.Length, nameof(y));
        TensorPrimitives.Add(x, y, output);
    }

    /// <summary>Backward pass: accumulates <c>dx += dout</c> (call once per input).</summary>
    /// <param name="dx">(N) accumulated.</param>
    /// <param name="doutput">(N).</param>
    public static void Backward(Span<float> dx, ReadOnlySpan<float> doutput)
    {
        KernelChecks.Length(doutput, dx.Length, nameof(doutput));
        TensorPrimitives.Add(dx, doutput, dx);
    }
}
