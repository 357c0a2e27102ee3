using System;

using ILGPU;
using ILGPU.Algorithms;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>The per-step constants of AdamW, computed on the host as the CPU kernel computes them.</summary>
internal readonly struct AdamWConstants
{
    public AdamWConstants(float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        Decay = 1f - learningRate * weightDecay;
        StepSize = learningRate / (1f - MathF.Pow(beta1, step));
        InverseBiasCorrection2Sqrt = 1f / MathF.Sqrt(1f - MathF.Pow(beta2, step));
    }

    public float Beta1 { get; }

    public float Beta2 { get; }

    public float Epsilon { get; }

    public float Decay { get; }

    public float StepSize { get; }

    public float InverseBiasCorrection2Sqrt { get; }
}

/// <summary>Optimiser updates, one thread per parameter element.</summary>
internal static class OptimizerKernels
{
    /// <summary>One AdamW step (decoupled decay, bias-corrected moments; PyTorch's order).</summary>
    /// <param name="parameter">(P).</param>
    /// <param name="gradient">(P).</param>
    /// <param name="firstMoment">(P).</param>
    /// <param name="secondMoment">(P).</param>
    public static void AdamW(Index1D i, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> firstMoment, ArrayView<float> secondMoment, AdamWConstants k)
    {
        var g = gradient[i];
        var m = k.Beta1 * firstMoment[i] + (1f - k.Beta1) * g;
        var v = k.Beta2 * secondMoment[i] + (1f - k.Beta2) * g * g;
        firstMoment[i] = m;
        secondMoment[i] = v;
        parameter[i] = parameter[i] * k.Decay - k.StepSize * m / (XMath.Sqrt(v) * k.InverseBiasCorrection2Sqrt + k.Epsilon);
    }

    /// <summary>One SGD step with momentum (torch.optim.SGD, dampening 0).</summary>
    /// <param name="parameter">(P).</param>
    /// <param name="gradient">(P).</param>
    /// <param name="velocity">(P).</param>
    public static void Sgd(Index1D i, ArrayView<float> parameter, ArrayView<float> gradient, ArrayView<float> velocity, float learningRate, float momentum, float weightDecay, int firstStep)
    {
        var g = gradient[i] + weightDecay * parameter[i];
        var b = firstStep != 0 ? g : momentum * velocity[i] + g;
        velocity[i] = b;
        parameter[i] -= learningRate * b;
    }
}
