using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// 2-D convolution, as <c>torch.nn.Conv2d</c> with square kernels, equal stride and zero padding on both axes, one group
/// and no dilation: effectively computes
/// <c>out[b, o, y, x] = bias[o] + Σ_{c, i, j} W[o, c, i, j]·inp[b, c, y·s − p + i, x·s − p + j]</c> (zero outside the
/// image). Layout NCHW; B images, C input and OC output channels, H×W input and OH×OW output pixels, k the kernel
/// side, s the stride, p the padding, K = C·k² the length of one unfolded patch.
/// </summary>
/// <remarks>
/// Lowered to GEMM through im2col (Chellapilla et al., 2006, "High performance convolutional neural networks for
/// document processing"; Caffe's <c>im2col</c>): a group of G images is unfolded into a (K, G·OH·OW) matrix, so one
/// packed GEMM with the (OC, K) weight computes the whole group, and the backward pass is two GEMMs and a col2im.
/// G is chosen so the unfolded matrix stays near the size of the L2 cache. The scratch is kept per thread and only
/// grows, so steady-state calls allocate nothing.
/// </remarks>
public static class Conv2d
{
    /// <summary>Target size, in floats, of one group's unfolded matrix (1 MiB): large enough that the GEMM's
    /// N dimension is wide, small enough to stay in cache between im2col and the GEMM.</summary>
    private const long GroupFloats = 1 << 18;

    [ThreadStatic]
    private static float[]? t_columns;

    [ThreadStatic]
    private static float[]? t_rows;

    /// <summary>Output side for one axis: <c>⌊(size + 2p − k) / s⌋ + 1</c>, as PyTorch.</summary>
    /// <param name="size">Input side.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    /// <param name="padding">p.</param>
    /// <returns>The output side; at least 1.</returns>
    /// <exception cref="ArgumentException">The kernel does not fit the padded input, or a size is out of range.</exception>
    public static int OutputSize(int size, int kernel, int stride, int padding)
    {
        KernelChecks.Positive(size, nameof(size));
        KernelChecks.Positive(kernel, nameof(kernel));
        KernelChecks.Positive(stride, nameof(stride));
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        if (size + 2 * padding < kernel)
        {
            throw new ArgumentException($"A {kernel}×{kernel} kernel does not fit a side of {size} padded by {padding}.", nameof(kernel));
        }

        return ((size + 2 * padding - kernel) / stride) + 1;
    }

    /// <summary>Forward pass.</summary>
    /// <param name="output">(B, OC, OH, OW) written.</param>
    /// <param name="input">(B, C, H, W).</param>
    /// <param name="weight">(OC, C, k, k), the layout of <c>nn.Conv2d.weight</c>.</param>
    /// <param name="bias">(OC), or empty for a layer without bias.</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outChannels">OC.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    /// <param name="padding">p.</param>
    /// <param name="maxThreads">Most threads for the GEMMs.</param>
    public static void Forward(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding, int maxThreads)
    {
        var g = Check(output, input, weight, bias, batch, channels, height, width, outChannels, kernel, stride, padding, out var oh, out var ow);
        int plane = oh * ow, k = channels * kernel * kernel, inPlane = height * width;
        for (var b0 = 0; b0 < batch; b0 += g)
        {
            var group = Math.Min(g, batch - b0);
            var n = group * plane;
            var columns = Scratch(ref t_columns, (long)k * n);
            var rows = Scratch(ref t_rows, (long)outChannels * n);
            for (var i = 0; i < group; i++)
            {
                Im2Col(columns, n, i * plane, input.Slice((b0 + i) * channels * inPlane, channels * inPlane), channels, height, width, kernel, stride, padding, oh, ow);
            }

            Gemm.Multiply(false, false, outChannels, n, k, 1f, weight, k, columns, n, 0f, rows, n, maxThreads);
            for (var i = 0; i < group; i++)
            {
                for (var o = 0; o < outChannels; o++)
                {
                    var source = rows.Slice(o * n + i * plane, plane);
                    var destination = output.Slice(((b0 + i) * outChannels + o) * plane, plane);
                    if (bias.IsEmpty)
                    {
                        source.CopyTo(destination);
                    }
                    else
                    {
                        TensorPrimitives.Add(source, bias[o], destination);
                    }
                }
            }
        }
    }

    /// <summary>
    /// Backward pass: <c>dinp</c> overwritten with the transposed convolution of <c>dout</c>; <c>dW += Σ dout ⊗
    /// patches</c> and <c>db += Σ_{b, y, x} dout[b, o, y, x]</c> accumulated.
    /// </summary>
    /// <param name="dinput">(B, C, H, W) overwritten, or empty when the input needs no gradient (the pixels).</param>
    /// <param name="dweight">(OC, C, k, k) accumulated.</param>
    /// <param name="dbias">(OC) accumulated, or empty for a layer without bias.</param>
    /// <param name="doutput">(B, OC, OH, OW).</param>
    /// <param name="input">(B, C, H, W) as given to the forward pass.</param>
    /// <param name="weight">(OC, C, k, k).</param>
    /// <param name="batch">B.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="outChannels">OC.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    /// <param name="padding">p.</param>
    /// <param name="maxThreads">Most threads for the GEMMs.</param>
    public static void Backward(
        Span<float> dinput, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding, int maxThreads)
    {
        var g = Check(doutput, input, weight, dbias, batch, channels, height, width, outChannels, kernel, stride, padding, out var oh, out var ow);
        KernelChecks.OptionalLength(dinput, input.Length, nameof(dinput));
        KernelChecks.Length(dweight, weight.Length, nameof(dweight));
        int plane = oh * ow, k = channels * kernel * kernel, inPlane = height * width;
        for (var b0 = 0; b0 < batch; b0 += g)
        {
            var group = Math.Min(g, batch - b0);
            var n = group * plane;
            var columns = Scratch(ref t_columns, (long)k * n);
            var rows = Scratch(ref t_rows, (long)outChannels * n);

            // dout of the group as one (OC, G·OH·OW) matrix, the layout of the forward GEMM's result.
            for (var i = 0; i < group; i++)
            {
                for (var o = 0; o < outChannels; o++)
                {
                    var source = doutput.Slice(((b0 + i) * outChannels + o) * plane, plane);
                    source.CopyTo(rows.Slice(o * n + i * plane, plane));
                    if (!dbias.IsEmpty)
                    {
                        dbias[o] += TensorPrimitives.Sum(source);
                    }
                }
            }

            for (var i = 0; i < group; i++)
            {
                Im2Col(columns, n, i * plane, input.Slice((b0 + i) * channels * inPlane, channels * inPlane), channels, height, width, kernel, stride, padding, oh, ow);
            }

            // dW (OC, K) += dout (OC, N) · columnsᵀ (N, K).
            Gemm.Multiply(false, true, outChannels, k, n, 1f, rows, n, columns, n, 1f, dweight, k, maxThreads);
            if (dinput.IsEmpty)
            {
                continue;
            }

            // dcolumns (K, N) = Wᵀ (K, OC) · dout (OC, N), then folded back onto the images.
            Gemm.Multiply(true, false, k, n, outChannels, 1f, weight, k, rows, n, 0f, columns, n, maxThreads);
            for (var i = 0; i < group; i++)
            {
                var image = dinput.Slice((b0 + i) * channels * inPlane, channels * inPlane);
                image.Clear();
                Col2Im(image, columns, n, i * plane, channels, height, width, kernel, stride, padding, oh, ow);
            }
        }
    }

    /// <summary>Unfolds one image: row (c, i, j) of <paramref name="columns"/>, from column <paramref name="offset"/>,
    /// holds inp[c, y·s − p + i, x·s − p + j] for the OH·OW outputs (y, x) in row-major order.</summary>
    /// <param name="columns">(K, ld) written in columns [offset, offset + OH·OW).</param>
    /// <param name="ld">Row stride of <paramref name="columns"/>.</param>
    /// <param name="offset">First column.</param>
    /// <param name="image">(C, H, W).</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    /// <param name="padding">p.</param>
    /// <param name="oh">OH.</param>
    /// <param name="ow">OW.</param>
    internal static void Im2Col(
        Span<float> columns, int ld, int offset, ReadOnlySpan<float> image,
        int channels, int height, int width, int kernel, int stride, int padding, int oh, int ow)
    {
        for (var c = 0; c < channels; c++)
        {
            var plane = image.Slice(c * height * width, height * width);
            for (var i = 0; i < kernel; i++)
            {
                for (var j = 0; j < kernel; j++)
                {
                    var row = columns.Slice((((c * kernel) + i) * kernel + j) * ld + offset, oh * ow);
                    var (x0, x1) = ValidRange(j, stride, padding, width, ow);
                    for (var y = 0; y < oh; y++)
                    {
                        var target = row.Slice(y * ow, ow);
                        var iy = y * stride - padding + i;
                        if (iy < 0 || iy >= height || x0 >= x1)
                        {
                            target.Clear();
                            continue;
                        }

                        target[..x0].Clear();
                        target[x1..].Clear();
                        var source = plane.Slice(iy * width, width);
                        var ix = x0 * stride - padding + j;
                        if (stride == 1)
                        {
                            source.Slice(ix, x1 - x0).CopyTo(target[x0..x1]);
                        }
                        else
                        {
                            for (var x = x0; x < x1; x++, ix += stride)
                            {
                                target[x] = source[ix];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The inverse scatter of <see cref="Im2Col"/>: adds every column entry back onto the pixel it came from.</summary>
    /// <param name="image">(C, H, W) accumulated.</param>
    /// <param name="columns">(K, ld).</param>
    /// <param name="ld">Row stride of <paramref name="columns"/>.</param>
    /// <param name="offset">First column of this image.</param>
    /// <param name="channels">C.</param>
    /// <param name="height">H.</param>
    /// <param name="width">W.</param>
    /// <param name="kernel">k.</param>
    /// <param name="stride">s.</param>
    /// <param name="padding">p.</param>
    /// <param name="oh">OH.</param>
    /// <param name="ow">OW.</param>
    internal static void Col2Im(
        Span<float> image, ReadOnlySpan<float> columns, int ld, int offset,
        int channels, int height, int width, int kernel, int stride, int padding, int oh, int ow)
    {
        for (var c = 0; c < channels; c++)
        {
            var plane = image.Slice(c * height * width, height * width);
            for (var i = 0; i < kernel; i++)
            {
                for (var j = 0; j < kernel; j++)
                {
                    var row = columns.Slice((((c * kernel) + i) * kernel + j) * ld + offset, oh * ow);
                    var (x0, x1) = ValidRange(j, stride, padding, width, ow);
                    if (x0 >= x1)
                    {
                        continue;
                    }

                    for (var y = 0; y < oh; y++)
                    {
                        var iy = y * stride - padding + i;
                        if (iy < 0 || iy >= height)
                        {
                            continue;
                        }

                        var source = row.Slice(y * ow, ow);
                        var target = plane.Slice(iy * width, width);
                        var ix = x0 * stride - padding + j;
                        if (stride == 1)
                        {
                            var t = target.Slice(ix, x1 - x0);
                            TensorPrimitives.Add(t, source[x0..x1], t);
                        }
                        else
                        {
                            for (var x = x0; x < x1; x++, ix += stride)
                            {
                                target[ix] += source[x];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The output columns [x0, x1) whose input column x·s − p + j lies inside [0, W).</summary>
    private static (int Start, int End) ValidRange(int j, int stride, int padding, int width, int ow)
    {
        // x·s − p + j ≥ 0  ⇔  x ≥ ⌈(p − j) / s⌉;  x·s − p + j ≤ W − 1  ⇔  x ≤ ⌊(W − 1 + p − j) / s⌋.
        var start = padding - j <= 0 ? 0 : (padding - j + stride - 1) / stride;
        var last = width - 1 + padding - j;
        var end = last < 0 ? 0 : Math.Min(ow, (last / stride) + 1);
        return (Math.Min(start, ow), end);
    }

    private static int Check(
        ReadOnlySpan<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding, out int oh, out int ow)
    {
        KernelChecks.Positive(batch, nameof(batch));
        KernelChecks.Positive(channels, nameof(channels));
        KernelChecks.Positive(outChannels, nameof(outChannels));
        oh = OutputSize(height, kernel, stride, padding);
        ow = OutputSize(width, kernel, stride, padding);
        KernelChecks.Length(output, (long)batch * outChannels * oh * ow, nameof(output));
        KernelChecks.Length(input, (long)batch * channels * height * width, nameof(input));
        KernelChecks.Length(weight, (long)outChannels * channels * kernel * kernel, nameof(weight));
        KernelChecks.OptionalLength(bias, outChannels, nameof(bias));
        var perImage = (long)channels * kernel * kernel * oh * ow;
        return (int)Math.Clamp(GroupFloats / Math.Max(perImage, 1), 1, batch);
    }

    private static Span<float> Scratch(ref float[]? buffer, long length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[checked((int)length)];
        }

        return buffer.AsSpan(0, (int)length);
    }
}
