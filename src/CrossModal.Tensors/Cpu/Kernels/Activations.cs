using System;
using System.Numerics;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// GELU, tanh approximation (Hendrycks and Gimpel, 2016; GPT-2's <c>gelu_new</c>, PyTorch's
/// <c>gelu(approximate='tanh')</c>): effectively computes <c>0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))</c>.
/// </summary>
public static class Gelu
{
    private const float Coefficient = 0.044715f;
    private static readonly float SqrtTwoOverPi = MathF.Sqrt(2f / MathF.PI);

    /// <summary>Forward pass.</summary>
    /// <param name="output">(N) written; must not overlap <paramref name="input"/>.</param>
    /// <param name="input">(N).</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input)
    {
        KernelChecks.Length(output, input.Length, nameof(output));
        ActivationJob.Run(ActivationJob.Op.GeluForward, output, default, input);
    }

    // The passes below each sweep their span once; over a span larger than the L1 cache every pass would stream it from
    // memory again. Blocks of this many elements (a multiple of every vector width, 16 KB) keep all passes in L1; every
    // element still goes through the same operations.
    internal const int Block = 4096;

    internal static void ForwardCore(Span<float> output, ReadOnlySpan<float> input)
    {
        for (var start = 0; start < input.Length; start += Block)
        {
            var count = Math.Min(Block, input.Length - start);
            ForwardBlock(output.Slice(start, count), input.Slice(start, count));
        }
    }

    private static void ForwardBlock(Span<float> output, ReadOnlySpan<float> input)
    {
        TensorPrimitives.Multiply(input, input, output);
        TensorPrimitives.Multiply(output, input, output);
        TensorPrimitives.MultiplyAdd(output, Coefficient, input, output);
        TensorPrimitives.Multiply(output, SqrtTwoOverPi, output);
        TensorPrimitives.Tanh(output, output);
        TensorPrimitives.Add(output, 1f, output);
        TensorPrimitives.Multiply(output, input, output);
        TensorPrimitives.Multiply(output, 0.5f, output);
    }

    /// <summary>
    /// Backward pass: <c>dinp = dout·(0.5·(1 + th) + 0.5·x·(1 − th²)·√(2/π)·(1 + 3·0.044715·x²))</c>, th the tanh
    /// of the forward pass (overwritten).
    /// </summary>
    /// <param name="dinput">(N) overwritten; must not overlap the inputs.</param>
    /// <param name="doutput">(N).</param>
    /// <param name="input">(N) as given to the forward pass.</param>
    public static void Backward(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input)
    {
        KernelChecks.Length(dinput, input.Length, nameof(dinput));
        KernelChecks.Length(doutput, input.Length, nameof(doutput));
        ActivationJob.Run(ActivationJob.Op.GeluBackward, dinput, doutput, input);
    }

    internal static void BackwardCore(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input)
    {
        for (var start = 0; start < input.Length; start += Block)
        {
            var count = Math.Min(Block, input.Length - start);
            BackwardBlock(dinput.Slice(start, count), doutput.Slice(start, count), input.Slice(start, count));
        }
    }

    private static void BackwardBlock(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input)
    {
        TensorPrimitives.Multiply(input, input, dinput);
        TensorPrimitives.Multiply(dinput, input, dinput);
        TensorPrimitives.MultiplyAdd(dinput, Coefficient, input, dinput);
        TensorPrimitives.Multiply(dinput, SqrtTwoOverPi, dinput);
        TensorPrimitives.Tanh(dinput, dinput);

        var k = SqrtTwoOverPi;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vk = new Vector<float>(k);
            var v3c = new Vector<float>(3f * Coefficient);
            var half = new Vector<float>(0.5f);
            for (; i <= input.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var th = new Vector<float>(dinput[i..]);
                var x = new Vector<float>(input[i..]);
                var dy = new Vector<float>(doutput[i..]);
                var local = half * (Vector<float>.One + th) + half * x * (Vector<float>.One - th * th) * vk * (Vector<float>.One + v3c * x * x);
                (dy * local).CopyTo(dinput[i..]);
            }
        }

        for (; i < input.Length; i++)
        {
            float th = dinput[i], x = input[i];
            var local = 0.5f * (1f + th) + 0.5f * x * (1f - th * th) * k * (1f + 3f * Coefficient * x * x);
            dinput[i] = doutput[i] * local;
        }
    }
}

/// <summary>QuickGELU of OpenAI CLIP: effectively computes <c>x·σ(1.702·x)</c>.</summary>
public static class QuickGelu
{
    private const float Slope = 1.702f;

    /// <summary>Forward pass.</summary>
    /// <param name="output">(N) written; must not overlap <paramref name="input"/>.</param>
    /// <param name="input">(N).</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input)
    {
        KernelChecks.Length(output, input.Length, nameof(output));
        ActivationJob.Run(ActivationJob.Op.QuickGeluForward, output, default, input);
    }

    internal static void ForwardCore(Span<float> output, ReadOnlySpan<float> input)
    {
        TensorPrimitives.Multiply(input, Slope, output);
        TensorPrimitives.Sigmoid(output, output);
        TensorPrimitives.Multiply(output, input, output);
    }

    /// <summary>Backward pass: <c>dinp = dout·(s + 1.702·x·s·(1 − s))</c>, s = σ(1.702·x) (overwritten).</summary>
    /// <param name="dinput">(N) overwritten; must not overlap the inputs.</param>
    /// <param name="doutput">(N).</param>
    /// <param name="input">(N) as given to the forward pass.</param>
    public static void Backward(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input)
    {
        KernelChecks.Length(dinput, input.Length, nameof(dinput));
        KernelChecks.Length(doutput, input.Length, nameof(doutput));
        ActivationJob.Run(ActivationJob.Op.QuickGeluBackward, dinput, doutput, input);
    }

    internal static void BackwardCore(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input)
    {
        TensorPrimitives.Multiply(input, Slope, dinput);
        TensorPrimitives.Sigmoid(dinput, dinput);
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var slope = new Vector<float>(Slope);
            for (; i <= input.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var s = new Vector<float>(dinput[i..]);
                var x = new Vector<float>(input[i..]);
                var dy = new Vector<float>(doutput[i..]);
                (dy * (s + slope * x * s * (Vector<float>.One - s))).CopyTo(dinput[i..]);
            }
        }

        for (; i < input.Length; i++)
        {
            float s = dinput[i], x = input[i];
            dinput[i] = doutput[i] * (s + Slope * x * s * (1f - s));
        }
    }
}

/// <summary>Hyperbolic tangent: effectively computes <c>tanh(x)</c>.</summary>
public static class Tanh
{
    /// <summary>Forward pass.</summary>
    /// <param name="output">(N) written; may be <paramref name="input"/> itself.</param>
    /// <param name="input">(N).</param>
    public static void Forward(Span<float> output, ReadOnlySpan<float> input)
    {
        KernelChecks.Length(output, input.Length, nameof(output));
        TensorPrimitives.Tanh(input, output);
    }

    /// <summary>Backward pass from the forward output y: <c>dinp = dout·(1 − y²)</c> (overwritten).</summary>
    /// <param name="dinput">(N) overwritten; may be <paramref name="doutput"/> itself.</param>
    /// <param name="doutput">(N).</param>
    /// <param name="output">(N) the forward pass's output.</param>
    public static void Backward(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> output)
    {
        KernelChecks.Length(dinput, output.Length, nameof(dinput));
        KernelChecks.Length(doutput, output.Length, nameof(doutput));
        for (var i = 0; i < output.Length; i++)
        {
            var y = output[i];
            dinput[i] = doutput[i] * (1f - y * y);
        }
    }
}

/// <summary>Splits the GELU and QuickGELU passes over the <see cref="WorkerPool"/> in cache-line-aligned chunks.</summary>
internal sealed unsafe class ActivationJob : IParallelWork
{
    [ThreadStatic]
    private static ActivationJob? t_job;

    private float* _destination;
    private float* _upstream;
    private float* _input;
    private int _length;
    private Op _op;

    internal enum Op
    {
        GeluForward,
        GeluBackward,
        QuickGeluForward,
        QuickGeluBackward,
    }

    public static void Run(Op op, Span<float> destination, ReadOnlySpan<float> upstream, ReadOnlySpan<float> input)
    {
        // ~20 operations per element (tanh or sigmoid plus the polynomial).
        var parts = WorkerPool.Kernels.PartsFor(20L * input.Length, input.Length / 1024);
        if (parts == 1)
        {
            Execute(op, destination, upstream, input);
            return;
        }

        fixed (float* d = destination)
        fixed (float* u = upstream, x = input)
        {
            var job = t_job ??= new ActivationJob();
            job._destination = d;
            job._upstream = u;
            job._input = x;
            job._length = input.Length;
            job._op = op;
            WorkerPool.Kernels.Run(job, parts);
        }
    }

    public void Execute(int part, int parts)
    {
        var (start, end) = WorkerPool.Range(_length / 16, part, parts);
        start *= 16;
        end = part == parts - 1 ? _length : end * 16;
        var count = end - start;
        Execute(
            _op,
            new Span<float>(_destination + start, count),
            _upstream == null ? default : new ReadOnlySpan<float>(_upstream + start, count),
            new ReadOnlySpan<float>(_input + start, count));
    }

    private static void Execute(Op op, Span<float> destination, ReadOnlySpan<float> upstream, ReadOnlySpan<float> input)
    {
        switch (op)
        {
            case Op.GeluForward: Gelu.ForwardCore(destination, input); break;
            case Op.GeluBackward: Gelu.BackwardCore(destination, upstream, input); break;
            case Op.QuickGeluForward: QuickGelu.ForwardCore(destination, input); break;
            default: QuickGelu.BackwardCore(destination, upstream, input); break;
        }
    }
}
