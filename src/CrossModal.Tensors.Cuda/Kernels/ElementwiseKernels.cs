using ILGPU;
using ILGPU.Algorithms;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>Element-wise kernels, one thread per element (auto-grouped launches).</summary>
internal static class ElementwiseKernels
{
    /// <summary>GELU's cubic coefficient (tanh approximation, as <c>Cpu.Kernels.Gelu</c>).</summary>
    private const float GeluCoefficient = 0.044715f;

    /// <summary>√(2/π).</summary>
    private const float SqrtTwoOverPi = 0.7978845608028654f;

    /// <summary>QuickGELU's slope (OpenAI CLIP).</summary>
    private const float QuickGeluSlope = 1.702f;

    /// <summary>tensor[i] = value.</summary>
    /// <param name="tensor">(N).</param>
    public static void Fill(Index1D i, ArrayView<float> tensor, float value) => tensor[i] = value;

    /// <summary>destination[i] = source[i].</summary>
    /// <param name="destination">(N).</param>
    /// <param name="source">(N).</param>
    public static void Copy(Index1D i, ArrayView<float> destination, ArrayView<float> source) => destination[i] = source[i];

    /// <summary>destination[i] = x[i] + y[i].</summary>
    /// <param name="destination">(N).</param>
    /// <param name="x">(N).</param>
    /// <param name="y">(N).</param>
    public static void Add(Index1D i, ArrayView<float> destination, ArrayView<float> x, ArrayView<float> y) => destination[i] = x[i] + y[i];

    /// <summary>destination[i] = x[i]·y[i] (dropout's mask, both directions).</summary>
    /// <param name="destination">(N).</param>
    /// <param name="x">(N).</param>
    /// <param name="y">(N).</param>
    public static void Multiply(Index1D i, ArrayView<float> destination, ArrayView<float> x, ArrayView<float> y) => destination[i] = x[i] * y[i];

    /// <summary>y[i] += α·x[i].</summary>
    /// <param name="y">(N).</param>
    /// <param name="x">(N).</param>
    public static void Axpy(Index1D i, ArrayView<float> y, ArrayView<float> x, float alpha) => y[i] = alpha * x[i] + y[i];

    /// <summary>tensor[i] *= α.</summary>
    /// <param name="tensor">(N).</param>
    public static void Scale(Index1D i, ArrayView<float> tensor, float alpha) => tensor[i] *= alpha;

    /// <summary>output[n, o] += bias[o] (linear layer).</summary>
    /// <param name="output">(N, OC).</param>
    /// <param name="bias">(OC).</param>
    public static void AddBias(Index1D i, ArrayView<float> output, ArrayView<float> bias, int oc) => output[i] += bias[i % oc];

    /// <summary>dBias[o] += Σ_n dOutput[n, o], rows in order (the CPU kernel's order).</summary>
    /// <param name="dBias">(OC).</param>
    /// <param name="dOutput">(N, OC).</param>
    public static void BiasBackward(Index1D o, ArrayView<float> dBias, ArrayView<float> dOutput, int n, int oc)
    {
        var sum = dBias[o];
        for (var row = 0; row < n; row++)
        {
            sum += dOutput[row * oc + o];
        }

        dBias[o] = sum;
    }

    /// <summary>Activation forward; <paramref name="kind"/> is an <see cref="Activation"/> value.</summary>
    /// <param name="output">(N).</param>
    /// <param name="input">(N).</param>
    public static void ActivationForward(Index1D i, ArrayView<float> output, ArrayView<float> input, int kind)
    {
        var x = input[i];
        if (kind == (int)Activation.Gelu)
        {
            output[i] = 0.5f * x * (1f + XMath.Tanh(SqrtTwoOverPi * (x + GeluCoefficient * x * x * x)));
        }
        else if (kind == (int)Activation.QuickGelu)
        {
            output[i] = x / (1f + XMath.Exp(-QuickGeluSlope * x));
        }
        else
        {
            output[i] = XMath.Tanh(x);
        }
    }

    /// <summary>Activation backward (overwrites dInput); tanh uses the forward output.</summary>
    /// <param name="dInput">(N).</param>
    /// <param name="dOutput">(N).</param>
    /// <param name="input">(N).</param>
    /// <param name="output">(N).</param>
    public static void ActivationBackward(Index1D i, ArrayView<float> dInput, ArrayView<float> dOutput, ArrayView<float> input, ArrayView<float> output, int kind)
    {
        var x = input[i];
        float local;
        if (kind == (int)Activation.Gelu)
        {
            var th = XMath.Tanh(SqrtTwoOverPi * (x + GeluCoefficient * x * x * x));
            local = 0.5f * (1f + th) + 0.5f * x * (1f - th * th) * SqrtTwoOverPi * (1f + 3f * GeluCoefficient * x * x);
        }
        else if (kind == (int)Activation.QuickGelu)
        {
            var s = 1f / (1f + XMath.Exp(-QuickGeluSlope * x));
            local = s + QuickGeluSlope * x * s * (1f - s);
        }
        else
        {
            var y = output[i];
            local = 1f - y * y;
        }

        dInput[i] = dOutput[i] * local;
    }

    /// <summary>
    /// Inverted dropout with the CPU backend's counter-based mask: element i is dropped when the top 24 bits of
    /// SplitMix64.Hash(key + i) fall below the threshold (the CPU kernel's own public hash), so both backends draw the
    /// same mask from the same seed.
    /// </summary>
    /// <param name="output">(N).</param>
    /// <param name="mask">(N) written: 0 or <paramref name="keep"/>.</param>
    /// <param name="input">(N).</param>
    public static void DropoutForward(Index1D i, ArrayView<float> output, ArrayView<float> mask, ArrayView<float> input, ulong key, uint threshold, float keep)
    {
        var r = (uint)(SplitMix64.Hash(key + (ulong)i.X) >> 40);
        var m = r < threshold ? 0f : keep;
        mask[i] = m;
        output[i] = input[i] * m;
    }
}
