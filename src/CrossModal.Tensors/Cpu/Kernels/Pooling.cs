using System;
using System.Runtime.CompilerServices;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// 2-D max pooling, as <c>torch.nn.MaxPool2d(kernel, stride)</c> without padding or dilation (floor mode): effectively
/// computes <c>out[n, y, x] = max_{i, j &lt; k} inp[n, y·s + i, x·s + j]</c> over N = B·C planes of H×W pixels,
/// OH = ⌊(H − k) / s⌋ + 1 and likewise OW.
/// </summary>
public static class MaxPool2d
{
    /// <summary>Output side for one axis: <c>⌊(size − k) / s⌋ + 1</c>.</summary>
    /// <param name="size">Input side.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    /// <returns>The output side; at least 1.</returns>
    /// <exception cref="ArgumentException">The window does not fit the input, or a size is out of range.</exception>
    public static int OutputSize(int size, int kernel, int stride) => Conv2d.OutputSize(size, kernel, stride, 0);

    /// <summary>Forward pass.</summary>
    /// <param name="output">(N, OH, OW) written.</param>
    /// <param name="input">(N, H, W).</param>
    /// <param name="planes">N = B·C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    public static unsafe void Forward(Span<float> output, ReadOnlySpan<float> input, int planes, int height, int width, int kernel, int stride)
    {
        var (oh, ow) = Check(output, input, planes, height, width, kernel, stride);
        fixed (float* o = output)
        fixed (float* x = input)
        {
            PoolingJob.Run(new PoolShape(planes, height, width, kernel, stride, oh, ow), o, x, null, null, backward: false);
        }
    }

    /// <summary>
    /// Backward pass: each window's gradient goes to the first input (row-major) equal to the window's forward output,
    /// the element PyTorch's index-recording kernel picks; overlapping windows (s &lt; k) add up. Recomputing the
    /// argmax from <paramref name="output"/> saves keeping an index tensor.
    /// </summary>
    /// <param name="dinput">(N, H, W) overwritten.</param>
    /// <param name="doutput">(N, OH, OW).</param>
    /// <param name="input">(N, H, W) as given to the forward pass.</param>
    /// <param name="output">(N, OH, OW) from the forward pass.</param>
    /// <param name="planes">N = B·C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    public static unsafe void Backward(
        Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        int planes, int height, int width, int kernel, int stride)
    {
        var (oh, ow) = Check(output, input, planes, height, width, kernel, stride);
        KernelChecks.Length(dinput, input.Length, nameof(dinput));
        KernelChecks.Length(doutput, output.Length, nameof(doutput));
        fixed (float* o = output, d = dinput)
        fixed (float* x = input, dout = doutput)
        {
            PoolingJob.Run(new PoolShape(planes, height, width, kernel, stride, oh, ow), o, x, d, dout, backward: true);
        }
    }

    /// <summary>The forward pass over planes [start, end).</summary>
    internal static unsafe void ForwardPlanes(float* output, float* input, in PoolShape shape, int start, int end)
    {
        int width = shape.Width, kernel = shape.Kernel, stride = shape.Stride, oh = shape.Oh, ow = shape.Ow;
        if (kernel == 2 && stride == 2)
        {
            ForwardPlanes2x2(output, input, shape, start, end);
            return;
        }

        for (var n = start; n < end; n++)
        {
            var plane = input + ((long)n * shape.Height * width);
            var result = output + ((long)n * oh * ow);
            for (var y = 0; y < oh; y++)
            {
                for (var x = 0; x < ow; x++)
                {
                    var best = float.NegativeInfinity;
                    for (var i = 0; i < kernel; i++)
                    {
                        var row = plane + ((y * stride + i) * width) + (x * stride);
                        for (var j = 0; j < kernel; j++)
                        {
                            // As PyTorch: a NaN wins (it propagates), otherwise the first maximum in row-major order.
                            var v = row[j];
                            if (v > best || float.IsNaN(v))
                            {
                                best = v;
                            }
                        }
                    }

                    result[y * ow + x] = best;
                }
            }
        }
    }

    /// <summary>2×2 windows at stride 2, the common case, without the inner loops: MathF.Max propagates a NaN as
    /// PyTorch does, and otherwise gives the same value (a tie of −0 and +0 may come out as the other zero).</summary>
    private static unsafe void ForwardPlanes2x2(float* output, float* input, in PoolShape shape, int start, int end)
    {
        int width = shape.Width, oh = shape.Oh, ow = shape.Ow, inPlane = shape.Height * width;
        for (var n = start; n < end; n++)
        {
            var plane = input + ((long)n * inPlane);
            var result = output + ((long)n * oh * ow);
            for (var y = 0; y < oh; y++)
            {
                var r0 = plane + (2 * y * width);
                var r1 = r0 + width;
                var o = result + (y * ow);
                for (var x = 0; x < ow; x++)
                {
                    o[x] = MathF.Max(MathF.Max(r0[2 * x], r0[(2 * x) + 1]), MathF.Max(r1[2 * x], r1[(2 * x) + 1]));
                }
            }
        }
    }

    /// <summary>The backward pass over planes [start, end).</summary>
    internal static unsafe void BackwardPlanes(float* dinput, float* doutput, float* input, float* output, in PoolShape shape, int start, int end)
    {
        int width = shape.Width, kernel = shape.Kernel, stride = shape.Stride, oh = shape.Oh, ow = shape.Ow, inPlane = shape.Height * width;
        if (kernel == 2 && stride == 2)
        {
            BackwardPlanes2x2(dinput, doutput, input, output, shape, start, end);
            return;
        }

        for (var n = start; n < end; n++)
        {
            var plane = input + ((long)n * inPlane);
            var dplane = dinput + ((long)n * inPlane);
            new Span<float>(dplane, inPlane).Clear();
            var result = output + ((long)n * oh * ow);
            var dresult = doutput + ((long)n * oh * ow);
            for (var y = 0; y < oh; y++)
            {
                for (var x = 0; x < ow; x++)
                {
                    var best = result[y * ow + x];
                    var at = Find(plane, best, y * stride, x * stride, width, kernel);
                    dplane[at] += dresult[y * ow + x];
                }
            }
        }
    }

    /// <summary>2×2 windows at stride 2: the windows tile the plane, so each is written whole (its gradient on the
    /// first element equal to the forward output, zero elsewhere) without clearing first; a row or column left over
    /// by an odd side gets zero.</summary>
    private static unsafe void BackwardPlanes2x2(float* dinput, float* doutput, float* input, float* output, in PoolShape shape, int start, int end)
    {
        int width = shape.Width, oh = shape.Oh, ow = shape.Ow, inPlane = shape.Height * width;
        var ragged = (shape.Height & 1) != 0 || (width & 1) != 0;
        for (var n = start; n < end; n++)
        {
            var plane = input + ((long)n * inPlane);
            var dplane = dinput + ((long)n * inPlane);
            if (ragged)
            {
                new Span<float>(dplane, inPlane).Clear();
            }

            var result = output + ((long)n * oh * ow);
            var dresult = doutput + ((long)n * oh * ow);
            for (var y = 0; y < oh; y++)
            {
                var r0 = plane + (2 * y * width);
                var r1 = r0 + width;
                var d0 = dplane + (2 * y * width);
                var d1 = d0 + width;
                for (var x = 0; x < ow; x++)
                {
                    var best = result[(y * ow) + x];
                    var g = dresult[(y * ow) + x];
                    var i = 2 * x;

                    // Branch-free: which of the four is the maximum follows the data, so branches would mispredict.
                    int sa = Same(r0[i], best), sb = Same(r0[i + 1], best), sc = Same(r1[i], best), sd = Same(r1[i + 1], best);
                    var first = sa | (1 ^ (sb | sc | sd));
                    var second = (1 ^ first) & sb;
                    var third = (1 ^ (first | second)) & sc;
                    var fourth = (1 ^ (first | second | third)) & sd;
                    var bits = BitConverter.SingleToInt32Bits(g);
                    d0[i] = BitConverter.Int32BitsToSingle(bits & -first);
                    d0[i + 1] = BitConverter.Int32BitsToSingle(bits & -second);
                    d1[i] = BitConverter.Int32BitsToSingle(bits & -third);
                    d1[i + 1] = BitConverter.Int32BitsToSingle(bits & -fourth);
                }
            }
        }
    }

    /// <summary>1 when <paramref name="v"/> equals <paramref name="best"/> (a NaN equals a NaN), else 0.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Same(float v, float best) => ((v == best) | (float.IsNaN(v) & float.IsNaN(best))) ? 1 : 0;

    private static unsafe int Find(float* plane, float best, int top, int left, int width, int kernel)
    {
        var nan = float.IsNaN(best);
        for (var i = 0; i < kernel; i++)
        {
            var start = (top + i) * width + left;
            for (var j = 0; j < kernel; j++)
            {
                var v = plane[start + j];
                if (v == best || (nan && float.IsNaN(v)))
                {
                    return start + j;
                }
            }
        }

        return top * width + left;
    }

    private static (int Oh, int Ow) Check(
        ReadOnlySpan<float> output, ReadOnlySpan<float> input, int planes, int height, int width, int kernel, int stride)
    {
        KernelChecks.Positive(planes, nameof(planes));
        var oh = OutputSize(height, kernel, stride);
        var ow = OutputSize(width, kernel, stride);
        KernelChecks.Length(output, (long)planes * oh * ow, nameof(output));
        KernelChecks.Length(input, (long)planes * height * width, nameof(input));
        return (oh, ow);
    }
}

/// <summary>The sizes of one pooling call (<see cref="MaxPool2d"/>).</summary>
internal readonly record struct PoolShape(int Planes, int Height, int Width, int Kernel, int Stride, int Oh, int Ow);

/// <summary>Shares a pooling call's planes over the <see cref="WorkerPool"/> (each plane is independent).</summary>
internal sealed unsafe class PoolingJob : IParallelWork
{
    [ThreadStatic]
    private static PoolingJob? t_job;

    private PoolShape _shape;
    private float* _output;
    private float* _input;
    private float* _dinput;
    private float* _doutput;
    private bool _backward;

    public static void Run(in PoolShape shape, float* output, float* input, float* dinput, float* doutput, bool backward)
    {
        // About kernel² compares per output, and the gradient pass clears and scatters.
        var work = (long)shape.Planes * shape.Oh * shape.Ow * shape.Kernel * shape.Kernel * 2;
        var parts = WorkerPool.Kernels.PartsFor(work, shape.Planes);
        if (parts == 1)
        {
            Execute(shape, output, input, dinput, doutput, backward, 0, shape.Planes);
            return;
        }

        var job = t_job ??= new PoolingJob();
        job._shape = shape;
        job._output = output;
        job._input = input;
        job._dinput = dinput;
        job._doutput = doutput;
        job._backward = backward;
        WorkerPool.Kernels.Run(job, parts);
    }

    public void Execute(int part, int parts)
    {
        var (start, end) = WorkerPool.Range(_shape.Planes, part, parts);
        Execute(_shape, _output, _input, _dinput, _doutput, _backward, start, end);
    }

    private static void Execute(in PoolShape shape, float* output, float* input, float* dinput, float* doutput, bool backward, int start, int end)
    {
        if (backward)
        {
            MaxPool2d.BackwardPlanes(dinput, doutput, input, output, shape, start, end);
        }
        else
        {
            MaxPool2d.ForwardPlanes(output, input, shape, start, end);
        }
    }
}
