using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Fully connected layer, as <c>torch.nn.Linear</c>: effectively computes <c>out[n, o] = Σ_c inp[n, c]·W[o, c] + b[o]</c>.
/// N is the number of rows (B·T), C the input width, OC the output width.
/// </summary>
public static class Linear
{
    /// <summary>Forward pass through one GEMM with Wᵀ, then the bias added row by row.</summary>
    /// <param name="output">(N, OC) written.</param>
    /// <param name="input">(N, C).</param>
    /// <param name="weight">(OC, C), the layout of <c>nn.Linear.weight</c>.</param>
    /// <param name="bias">(OC), or empty for a layer without bias.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Input width C.</param>
    /// <param name="oc">Output width OC.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int n, int c, int oc)
        => Forward(output, input, weight, bias, n, c, oc, Gemm.DefaultThreads);

    /// <summary>Forward pass on at most <paramref name="maxThreads"/> threads (a backend's thread count: one for a
    /// backend that trains beside others, so that its GEMMs never take the shared pool's threads).</summary>
    /// <param name="output">(N, OC) written.</param>
    /// <param name="input">(N, C).</param>
    /// <param name="weight">(OC, C), the layout of <c>nn.Linear.weight</c>.</param>
    /// <param name="bias">(OC), or empty for a layer without bias.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Input width C.</param>
    /// <param name="oc">Output width OC.</param>
    /// <param name="maxThreads">Most threads the GEMM may use; at least 1.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, int n, int c, int oc, int maxThreads)
    {
        KernelChecks.Length(output, (long)n * oc, nameof(output));
        KernelChecks.Length(input, (long)n * c, nameof(input));
        KernelChecks.Length(weight, (long)oc * c, nameof(weight));
        KernelChecks.OptionalLength(bias, oc, nameof(bias));
        if (n == 0 || oc == 0)
        {
            return;
        }

        Gemm.Multiply(false, true, n, oc, c, 1f, input, c, weight, c, 0f, output, oc, maxThreads);
        if (!bias.IsEmpty)
        {
            for (var i = 0; i < n; i++)
            {
                var row = output.Slice(i * oc, oc);
                TensorPrimitives.Add(row, bias, row);
            }
        }
    }

    /// <summary>
    /// Backward pass: <c>dinp = dout·W</c> (overwritten), <c>dW += doutᵀ·inp</c>, <c>db += Σ_n dout[n, :]</c> (accumulated).
    /// </summary>
    /// <param name="dinput">(N, C) overwritten, or empty when the input needs no gradient.</param>
    /// <param name="dweight">(OC, C) accumulated.</param>
    /// <param name="dbias">(OC) accumulated, or empty for a layer without bias.</param>
    /// <param name="doutput">(N, OC).</param>
    /// <param name="input">(N, C) as given to the forward pass.</param>
    /// <param name="weight">(OC, C).</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Input width C.</param>
    /// <param name="oc">Output width OC.</param>
    public static void Backward(
        Span<float> dinput, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int n, int c, int oc)
        => Backward(dinput, dweight, dbias, doutput, input, weight, n, c, oc, Gemm.DefaultThreads);

    /// <summary>Backward pass on at most <paramref name="maxThreads"/> threads; see the forward overload.</summary>
    /// <param name="dinput">(N, C) overwritten, or empty when the input needs no gradient.</param>
    /// <param name="dweight">(OC, C) accumulated.</param>
    /// <param name="dbias">(OC) accumulated, or empty for a layer without bias.</param>
    /// <param name="doutput">(N, OC).</param>
    /// <param name="input">(N, C) as given to the forward pass.</param>
    /// <param name="weight">(OC, C).</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Input width C.</param>
    /// <param name="oc">Output width OC.</param>
    /// <param name="maxThreads">Most threads the GEMMs may use; at least 1.</param>
    public static void Backward(
        Span<float> dinput, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, int n, int c, int oc, int maxThreads)
    {
        KernelChecks.OptionalLength(dinput, (long)n * c, nameof(dinput));
        KernelChecks.Length(dweight, (long)oc * c, nameof(dweight));
        KernelChecks.OptionalLength(dbias, oc, nameof(dbias));
        KernelChecks.Length(doutput, (long)n * oc, nameof(doutput));
        KernelChecks.Length(input, (long)n * c, nameof(input));
        KernelChecks.Length(weight, (long)oc * c, nameof(weight));
        if (n == 0)
        {
            return;
        }

        if (!dinput.IsEmpty)
        {
            Gemm.Multiply(false, false, n, c, oc, 1f, doutput, oc, weight, c, 0f, dinput, c, maxThreads);
        }

        Gemm.Multiply(true, false, oc, c, n, 1f, doutput, oc, input, c, 1f, dweight, c, maxThreads);
        if (!dbias.IsEmpty)
        {
            for (var i = 0; i < n; i++)
            {
                TensorPrimitives.Add(dbias, doutput.Slice(i * oc, oc), dbias);
            }
        }
    }
}
