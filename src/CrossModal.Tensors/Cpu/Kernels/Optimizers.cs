using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>Parameter-update kernels of the optimisers, element-wise over one parameter tensor.</summary>
public static class Optimizers
{
    /// <summary>
    /// One AdamW step (Loshchilov and Hutter, 2019; the update of <c>torch.optim.AdamW</c>):
    /// <c>p ← p − lr·λ·p</c>; <c>m ← β₁m + (1 − β₁)g</c>; <c>v ← β₂v + (1 − β₂)g²</c>;
    /// <c>p ← p − lr·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε)</c>.
    /// </summary>
    /// <param name="parameter">(P) updated in place.</param>
    /// <param name="gradient">(P).</param>
    /// <param name="firstMoment">(P) m, updated in place.</param>
    /// <param name="secondMoment">(P) v, updated in place.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="beta1">β₁.</param>
    /// <param name="beta2">β₂.</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="weightDecay">λ (decoupled; 0 for excluded parameters).</param>
    /// <param name="step">t, counting from 1.</param>
    public static void AdamW(
        Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> firstMoment, Span<float> secondMoment,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        KernelChecks.Length(gradient, parameter.Length, nameof(gradient));
        KernelChecks.Length(firstMoment, parameter.Length, nameof(firstMoment));
        KernelChecks.Length(secondMoment, parameter.Length, nameof(secondMoment));
        KernelChecks.Positive(step, nameof(step));
        var parts = WorkerPool.Kernels.PartsFor(12L * parameter.Length, parameter.Length / 1024);
        if (parts == 1)
        {
            AdamWCore(parameter, gradient, firstMoment, secondMoment, learningRate, beta1, beta2, epsilon, weightDecay, step);
            return;
        }

        unsafe
        {
            fixed (float* p = parameter, m = firstMoment, v = secondMoment)
            fixed (float* g = gradient)
            {
                var job = t_adamw ??= new AdamWJob();
                job.Parameter = p;
                job.Gradient = g;
                job.M = m;
                job.V = v;
                job.Length = parameter.Length;
                (job.LearningRate, job.Beta1, job.Beta2, job.Epsilon, job.WeightDecay, job.Step) = (learningRate, beta1, beta2, epsilon, weightDecay, step);
                WorkerPool.Kernels.Run(job, parts);
            }
        }
    }

    private static void AdamWCore(
        Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> firstMoment, Span<float> secondMoment,
        float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        // PyTorch's order: decay, moments, then p −= (lr/bc1)·m / (√v/√bc2 + ε).
        var decay = 1f - learningRate * weightDecay;
        var stepSize = learningRate / (1f - MathF.Pow(beta1, step));
        var bc2Sqrt = MathF.Sqrt(1f - MathF.Pow(beta2, step));
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vb1 = new Vector<float>(beta1);
            var vb1c = new Vector<float>(1f - beta1);
            var vb2 = new Vector<float>(beta2);
            var vb2c = new Vector<float>(1f - beta2);
            var vdecay = new Vector<float>(decay);
            var vstep = new Vector<float>(stepSize);
            var vbc2 = new Vector<float>(1f / bc2Sqrt);
            var veps = new Vector<float>(epsilon);
            for (; i <= parameter.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var g = new Vector<float>(gradient[i..]);
                var m = vb1 * new Vector<float>(firstMoment[i..]) + vb1c * g;
                var v = vb2 * new Vector<float>(secondMoment[i..]) + vb2c * g * g;
                var p = new Vector<float>(parameter[i..]) * vdecay;
                p -= vstep * m / (Vector.SquareRoot(v) * vbc2 + veps);
                m.CopyTo(firstMoment[i..]);
                v.CopyTo(secondMoment[i..]);
                p.CopyTo(parameter[i..]);
            }
        }

        for (; i < parameter.Length; i++)
        {
            var g = gradient[i];
            var m = beta1 * firstMoment[i] + (1f - beta1) * g;
            var v = beta2 * secondMoment[i] + (1f - beta2) * g * g;
            firstMoment[i] = m;
            secondMoment[i] = v;
            parameter[i] = parameter[i] * decay - stepSize * m / (MathF.Sqrt(v) / bc2Sqrt + epsilon);
        }
    }

    [ThreadStatic]
    private static AdamWJob? t_adamw;

    /// <summary>
    /// One SGD step with momentum, as <c>torch.optim.SGD</c> (dampening 0, not Nesterov): <c>g ← g + λp</c>;
    /// <c>buf ← μ·buf + g</c> (buf = g on the first step); <c>p ← p − lr·buf</c>.
    /// </summary>
    /// <param name="parameter">(P) updated in place.</param>
    /// <param name="gradient">(P).</param>
    /// <param name="velocity">(P) the momentum buffer, updated in place.</param>
    /// <param name="learningRate">lr.</param>
    /// <param name="momentum">μ (0 for plain SGD).</param>
    /// <param name="weightDecay">λ (coupled, L2).</param>
    /// <param name="firstStep">True on the first step, when the buffer starts as the gradient.</param>
    public static void SgdMomentum(
        Span<float> parameter, ReadOnlySpan<float> gradient, Span<float> velocity,
        float learningRate, float momentum, float weightDecay, bool firstStep)
    {
        KernelChecks.Length(gradient, parameter.Length, nameof(gradient));
        KernelChecks.Length(velocity, parameter.Length, nameof(velocity));
        for (var i = 0; i < parameter.Length; i++)
        {
            var g = gradient[i] + weightDecay * parameter[i];
            var b = firstStep ? g : momentum * velocity[i] + g;
            velocity[i] = b;
            parameter[i] -= learningRate * b;
        }
    }

    /// <summary>Sum of squares, accumulated in double for the global gradient norm.</summary>
    /// <param name="values">(P).</param>
    public static double SumOfSquares(ReadOnlySpan<float> values)
    {
        // TensorPrimitives sums in float; chunking keeps the float partial sums short.
        const int Chunk = 4096;
        double total = 0;
        for (var i = 0; i < values.Length; i += Chunk)
        {
            total += TensorPrimitives.SumOfSquares(values.Slice(i, Math.Min(Chunk, values.Length - i)));
        }

        return total;
    }

    private sealed unsafe class AdamWJob : IParallelWork
    {
        public float* Parameter;
        public float* Gradient;
        public float* M;
        public float* V;
        public int Length;
        public float LearningRate;
        public float Beta1;
        public float Beta2;
        public float Epsilon;
        public float WeightDecay;
        public int Step;

        public void Execute(int part, int parts)
        {
            var (start, end) = WorkerPool.Range(Length / 16, part, parts);
            start *= 16;
            end = part == parts - 1 ? Length : end * 16;
            var n = end - start;
            AdamWCore(
                new Span<float>(Parameter + start, n), new ReadOnlySpan<float>(Gradient + start, n),
                new Span<float>(M + start, n), new Span<float>(V + start, n),
                LearningRate, Beta1, Beta2, Epsilon, WeightDecay, Step);
        }
    }
}
