using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Row-wise L2 normalisation, as <c>torch.nn.functional.normalize(x, dim=-1, eps)</c>: effectively computes
/// <c>out[n, :] = x[n, :] / max(‖x[n, :]‖₂, ε)</c>.
/// </summary>
public static class L2Normalize
{
    /// <summary>PyTorch's default ε.</summary>
    public const float DefaultEpsilon = 1e-12f;

    /// <summary>Forward pass; keeps each row's norm for the backward pass.</summary>
    /// <param name="output">(N, D) written; may be <paramref name="input"/> itself.</param>
    /// <param name="norms">(N) written: ‖x[n, :]‖₂.</param>
    /// <param name="input">(N, D).</param>
    /// <param name="n">Rows N.</param>
    /// <param name="d">Width D.</param>
    /// <param name="epsilon">Lower bound of the divisor.</param>
    public static void Forward(Span<float> output, Span<float> norms, ReadOnlySpan<float> input, int n, int d, float epsilon = DefaultEpsilon)
    {
        KernelChecks.Length(output, (long)n * d, nameof(output));
        KernelChecks.Length(norms, n, nameof(norms));
        KernelChecks.Length(input, (long)n * d, nameof(input));
        for (var i = 0; i < n; i++)
        {
            var x = input.Slice(i * d, d);
            var norm = MathF.Sqrt(TensorPrimitives.SumOfSquares(x));
            norms[i] = norm;
            TensorPrimitives.Multiply(x, 1f / MathF.Max(norm, epsilon), output.Slice(i * d, d));
        }
    }

    /// <summary>
    /// Backward pass from the output y: <c>dinp = (dout − y·⟨y, dout⟩)/‖x‖</c>, or <c>dout/ε</c> for rows whose norm
    /// was below ε (overwritten).
    /// </summary>
    /// <param name="dinput">(N, D) overwritten; may be <paramref name="doutput"/> itself.</param>
    /// <param name="doutput">(N, D).</param>
    /// <param name="output">(N, D) from the forward pass.</param>
    /// <param name="norms">(N) from the forward pass.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="d">Width D.</param>
    /// <param name="epsilon">As given to the forward pass.</param>
    public static void Backward(
        Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> output, ReadOnlySpan<float> norms,
        int n, int d, float epsilon = DefaultEpsilon)
    {
        KernelChecks.Length(dinput, (long)n * d, nameof(dinput));
        KernelChecks.Length(doutput, (long)n * d, nameof(doutput));
        KernelChecks.Length(output, (long)n * d, nameof(output));
        KernelChecks.Length(norms, n, nameof(norms));
        for (var i = 0; i < n; i++)
        {
            var y = output.Slice(i * d, d);
            var dy = doutput.Slice(i * d, d);
            var dx = dinput.Slice(i * d, d);
            var norm = norms[i];
            if (norm >= epsilon)
            {
                var dot = TensorPrimitives.Dot(y, dy);
                TensorPrimitives.MultiplyAdd(y, -dot, dy, dx);
                TensorPrimitives.Multiply(dx, 1f / norm, dx);
            }
            else
            {
                TensorPrimitives.Multiply(dy, 1f / epsilon, dx);
            }
        }
    }
}
