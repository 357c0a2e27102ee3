using System;

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
    public static void Forward(Span<float> output, ReadOnlySpan<float> input, int planes, int height, int width, int kernel, int stride)
    {
        var (oh, ow) = Check(output, input, planes, height, width, kernel, stride);
        for (var n = 0; n < planes; n++)
        {
            var plane = input.Slice(n * height * width, height * width);
            var result = output.Slice(n * oh * ow, oh * ow);
            for (var y = 0; y < oh; y++)
            {
                for (var x = 0; x < ow; x++)
                {
                    var best = float.NegativeInfinity;
                    for (var i = 0; i < kernel; i++)
                    {
                        var row = plane.Slice((y * stride + i) * width + (x * stride), kernel);
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
    public static void Backward(
        Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> output,
        int planes, int height, int width, int kernel, int stride)
    {
        var (oh, ow) = Check(output, input, planes, height, width, kernel, stride);
        KernelChecks.Length(dinput, input.Length, nameof(dinput));
        KernelChecks.Length(doutput, output.Length, nameof(doutput));
        dinput.Clear();
        for (var n = 0; n < planes; n++)
        {
            var plane = input.Slice(n * height * width, height * width);
            var dplane = dinput.Slice(n * height * width, height * width);
            var result = output.Slice(n * oh * ow, oh * ow);
            var dresult = doutput.Slice(n * oh * ow, oh * ow);
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

    private static int Find(ReadOnlySpan<float> plane, float best, int top, int left, int width, int kernel)
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
