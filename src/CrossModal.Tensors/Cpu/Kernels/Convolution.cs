using System;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

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

    [ThreadStatic]
    private static float[]? t_partials;

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
    /// <param name="maxThreads">Most threads.</param>
    /// <remarks>Several groups of images are shared out over the threads, each thread unfolding its own groups and
    /// running single-threaded GEMMs on them: the unfolding is as much work as the GEMM when K is small, and a GEMM
    /// whose M is only the 16–64 output channels does not split well over threads. One group runs its GEMM on all
    /// threads instead. The result does not depend on the number of threads.</remarks>
    public static unsafe void Forward(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding, int maxThreads)
    {
        var g = Check(output, input, weight, bias, batch, channels, height, width, outChannels, kernel, stride, padding, out var oh, out var ow);
        var shape = new ConvShape(batch, channels, height, width, outChannels, kernel, stride, padding, oh, ow, g);
        var parts = Parts(shape, maxThreads);
        if (parts == 1)
        {
            for (var group = 0; group < shape.Groups; group++)
            {
                ForwardGroup(output, input, weight, bias, shape, group, maxThreads);
            }

            return;
        }

        fixed (float* o = output)
        fixed (float* x = input, w = weight, b = bias)
        {
            var job = ConvolutionJob.ForCurrentThread();
            job.Set(shape, o, x, w, b, bias.IsEmpty, null, null, false);
            WorkerPool.Kernels.Run(job, parts);
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
    /// <param name="maxThreads">Most threads.</param>
    /// <remarks>Groups of images are shared out over the threads as in <see cref="Forward"/>. Each group's weight and
    /// bias gradients go to a slot of their own and the slots are added in group order afterwards, so the sums do not
    /// depend on the number of threads.</remarks>
    public static unsafe void Backward(
        Span<float> dinput, Span<float> dweight, Span<float> dbias,
        ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding, int maxThreads)
    {
        var g = Check(doutput, input, weight, dbias, batch, channels, height, width, outChannels, kernel, stride, padding, out var oh, out var ow);
        KernelChecks.OptionalLength(dinput, input.Length, nameof(dinput));
        KernelChecks.Length(dweight, weight.Length, nameof(dweight));
        var shape = new ConvShape(batch, channels, height, width, outChannels, kernel, stride, padding, oh, ow, g);
        var slot = shape.SlotLength;
        var partials = Scratch(ref t_partials, (long)shape.Groups * slot);
        var parts = Parts(shape, maxThreads);
        if (parts == 1)
        {
            for (var group = 0; group < shape.Groups; group++)
            {
                BackwardGroup(dinput, partials.Slice(group * slot, slot), doutput, input, weight, shape, group, maxThreads);
            }
        }
        else
        {
            fixed (float* di = dinput, p = partials)
            fixed (float* dout = doutput, x = input, w = weight)
            {
                var job = ConvolutionJob.ForCurrentThread();
                job.Set(shape, dout, x, w, null, true, di, p, true);
                WorkerPool.Kernels.Run(job, parts);
            }
        }

        var weights = outChannels * shape.K;
        for (var group = 0; group < shape.Groups; group++)
        {
            var part = partials.Slice(group * slot, slot);
            TensorPrimitives.Add(dweight, part[..weights], dweight);
            if (!dbias.IsEmpty)
            {
                TensorPrimitives.Add(dbias, part.Slice(weights, outChannels), dbias);
            }
        }
    }

    /// <summary>How many threads share the groups: one when there is one group or little work.</summary>
    private static int Parts(in ConvShape shape, int maxThreads)
        => Math.Clamp(WorkerPool.Kernels.PartsFor(2L * shape.OutChannels * shape.K * shape.Plane * shape.Batch, shape.Groups), 1, Math.Max(1, maxThreads));

    /// <summary>The forward pass of one group of images, its GEMM on up to <paramref name="gemmThreads"/> threads.</summary>
    internal static void ForwardGroup(
        Span<float> output, ReadOnlySpan<float> input, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias,
        in ConvShape shape, int groupIndex, int gemmThreads)
    {
        var (b0, group) = shape.GroupRange(groupIndex);
        int plane = shape.Plane, k = shape.K, outChannels = shape.OutChannels, inImage = shape.Channels * shape.Height * shape.Width;
        if (shape.Direct)
        {
            for (var i = 0; i < group; i++)
            {
                DirectConvolution.Forward(output.Slice((b0 + i) * outChannels * plane, outChannels * plane), input.Slice((b0 + i) * inImage, inImage), weight, bias, shape);
            }

            return;
        }

        var n = group * plane;
        var columns = Scratch(ref t_columns, (long)k * n);
        var rows = Scratch(ref t_rows, (long)outChannels * n);
        for (var i = 0; i < group; i++)
        {
            Im2Col(columns, n, i * plane, input.Slice((b0 + i) * inImage, inImage), shape.Channels, shape.Height, shape.Width, shape.Kernel, shape.Stride, shape.Padding, shape.Oh, shape.Ow);
        }

        Gemm.Multiply(false, false, outChannels, n, k, 1f, weight, k, columns, n, 0f, rows, n, gemmThreads);
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

    /// <summary>The backward pass of one group: its images' input gradients, and its weight and bias gradients written
    /// (not accumulated) to <paramref name="slot"/> = [dW (OC·K) | db (OC)].</summary>
    internal static void BackwardGroup(
        Span<float> dinput, Span<float> slot, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input, ReadOnlySpan<float> weight,
        in ConvShape shape, int groupIndex, int gemmThreads)
    {
        var (b0, group) = shape.GroupRange(groupIndex);
        int plane = shape.Plane, k = shape.K, outChannels = shape.OutChannels, inImage = shape.Channels * shape.Height * shape.Width;
        var dbias = slot.Slice(outChannels * k, outChannels);
        if (shape.Direct)
        {
            slot.Clear();
            for (var i = 0; i < group; i++)
            {
                var dout = doutput.Slice((b0 + i) * outChannels * plane, outChannels * plane);
                DirectConvolution.Backward(dinput.IsEmpty ? default : dinput.Slice((b0 + i) * inImage, inImage), slot[..(outChannels * k)], dbias, dout, input.Slice((b0 + i) * inImage, inImage), weight, shape);
            }

            return;
        }

        var n = group * plane;
        var columns = Scratch(ref t_columns, (long)k * n);
        var rows = Scratch(ref t_rows, (long)outChannels * n);
        dbias.Clear();

        // dout of the group as one (OC, G·OH·OW) matrix, the layout of the forward GEMM's result.
        for (var i = 0; i < group; i++)
        {
            for (var o = 0; o < outChannels; o++)
            {
                var source = doutput.Slice(((b0 + i) * outChannels + o) * plane, plane);
                source.CopyTo(rows.Slice(o * n + i * plane, plane));
                dbias[o] += TensorPrimitives.Sum(source);
            }
        }

        for (var i = 0; i < group; i++)
        {
            Im2Col(columns, n, i * plane, input.Slice((b0 + i) * inImage, inImage), shape.Channels, shape.Height, shape.Width, shape.Kernel, shape.Stride, shape.Padding, shape.Oh, shape.Ow);
        }

        // dW (OC, K) = dout (OC, N) · columnsᵀ (N, K).
        Gemm.Multiply(false, true, outChannels, k, n, 1f, rows, n, columns, n, 0f, slot[..(outChannels * k)], k, gemmThreads);
        if (dinput.IsEmpty)
        {
            return;
        }

        // dcolumns (K, N) = Wᵀ (K, OC) · dout (OC, N), then folded back onto the images.
        Gemm.Multiply(true, false, k, n, outChannels, 1f, weight, k, rows, n, 0f, columns, n, gemmThreads);
        for (var i = 0; i < group; i++)
        {
            var image = dinput.Slice((b0 + i) * inImage, inImage);
            image.Clear();
            Col2Im(image, columns, n, i * plane, shape.Channels, shape.Height, shape.Width, shape.Kernel, shape.Stride, shape.Padding, shape.Oh, shape.Ow);
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

/// <summary>The sizes of one convolution call and its grouping of images (<see cref="Conv2d"/>).</summary>
internal readonly record struct ConvShape(
    int Batch, int Channels, int Height, int Width, int OutChannels, int Kernel, int Stride, int Padding, int Oh, int Ow, int GroupSize)
{
    /// <summary>OH·OW.</summary>
    public int Plane => Oh * Ow;

    /// <summary>C·k², the length of one unfolded patch.</summary>
    public int K => Channels * Kernel * Kernel;

    /// <summary>Groups of <see cref="GroupSize"/> images (the last may be smaller).</summary>
    public int Groups => (Batch + GroupSize - 1) / GroupSize;

    /// <summary>Stride 1 and patches of at most 32 values (the first layer over RGB pixels): computed directly, since
    /// unfolding 27 values per output pixel for a GEMM costs more than the 27 multiply-adds it feeds.</summary>
    public bool Direct => Stride == 1 && K <= DirectConvolution.MaxPatch;

    /// <summary>Floats of one group's gradient slot: dW (OC·K) then db (OC).</summary>
    public int SlotLength => (OutChannels * K) + OutChannels;

    /// <summary>The first image and the image count of group <paramref name="group"/>.</summary>
    public (int Start, int Count) GroupRange(int group)
    {
        var start = group * GroupSize;
        return (start, Math.Min(GroupSize, Batch - start));
    }
}

/// <summary>
/// Direct stride-1 convolution of one image for short patches (<see cref="ConvShape.Direct"/>): the image is copied
/// into a zero-padded plane once, then every output row is a sum of k² shifted input rows per input channel, eight
/// outputs per vector.
/// </summary>
internal static class DirectConvolution
{
    /// <summary>The longest patch C·k² computed directly.</summary>
    public const int MaxPatch = 32;

    [ThreadStatic]
    private static float[]? t_padded;

    [ThreadStatic]
    private static float[]? t_paddedGradient;

    /// <summary>out (OC, OH, OW) = bias + W ⋆ image.</summary>
    public static unsafe void Forward(Span<float> output, ReadOnlySpan<float> image, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, in ConvShape shape)
    {
        int k = shape.Kernel, oh = shape.Oh, ow = shape.Ow, pw = shape.Width + (2 * shape.Padding), ph = shape.Height + (2 * shape.Padding);
        int channels = shape.Channels, patch = shape.K, kk = k * k, lanes = Vector256<float>.Count;
        KernelChecks.Length(output, (long)shape.OutChannels * oh * ow, nameof(output));
        var padded = Pad(image, shape);
        fixed (float* pad = padded, wt = weight, outp = output)
        {
            for (var o = 0; o < shape.OutChannels; o++)
            {
                var w = wt + (o * patch);
                var b = bias.IsEmpty ? 0f : bias[o];
                for (var y = 0; y < oh; y++)
                {
                    var row = outp + (((o * oh) + y) * ow);
                    var x = 0;

                    // Four vectors of outputs share each weight broadcast.
                    for (; x + (4 * lanes) <= ow; x += 4 * lanes)
                    {
                        Vector256<float> a0 = Vector256.Create(b), a1 = a0, a2 = a0, a3 = a0;
                        for (var c = 0; c < channels; c++)
                        {
                            for (var i = 0; i < k; i++)
                            {
                                var source = pad + (((c * ph) + y + i) * pw) + x;
                                var wi = w + (c * kk) + (i * k);
                                for (var j = 0; j < k; j++)
                                {
                                    var wv = Vector256.Create(wi[j]);
                                    var src = source + j;
                                    a0 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(src), a0);
                                    a1 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(src + lanes), a1);
                                    a2 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(src + (2 * lanes)), a2);
                                    a3 = Vector256.FusedMultiplyAdd(wv, Vector256.Load(src + (3 * lanes)), a3);
                                }
                            }
                        }

                        a0.Store(row + x);
                        a1.Store(row + x + lanes);
                        a2.Store(row + x + (2 * lanes));
                        a3.Store(row + x + (3 * lanes));
                    }

                    for (; x + lanes <= ow; x += lanes)
                    {
                        var acc = Vector256.Create(b);
                        for (var c = 0; c < channels; c++)
                        {
                            for (var i = 0; i < k; i++)
                            {
                                var source = pad + (((c * ph) + y + i) * pw) + x;
                                var wi = w + (c * kk) + (i * k);
                                for (var j = 0; j < k; j++)
                                {
                                    acc = Vector256.FusedMultiplyAdd(Vector256.Create(wi[j]), Vector256.Load(source + j), acc);
                                }
                            }
                        }

                        acc.Store(row + x);
                    }

                    for (; x < ow; x++)
                    {
                        var acc = b;
                        for (var c = 0; c < channels; c++)
                        {
                            for (var i = 0; i < k; i++)
                            {
                                var source = pad + (((c * ph) + y + i) * pw) + x;
                                var wi = w + (c * kk) + (i * k);
                                for (var j = 0; j < k; j++)
                                {
                                    acc = MathF.FusedMultiplyAdd(wi[j], source[j], acc);
                                }
                            }
                        }

                        row[x] = acc;
                    }
                }
            }
        }
    }

    /// <summary>dW (OC, K) accumulated with this image's terms: each weight's term is the dot product of dout's plane
    /// with the input plane shifted by its tap.</summary>
    private static unsafe void WeightGradient(Span<float> dweight, ReadOnlySpan<float> doutput, ReadOnlySpan<float> padded, in ConvShape shape)
    {
        int k = shape.Kernel, oh = shape.Oh, ow = shape.Ow, pw = shape.Width + (2 * shape.Padding), ph = shape.Height + (2 * shape.Padding);
        int patch = shape.K, kk = k * k, lanes = Vector256<float>.Count;
        fixed (float* pad = padded, doutp = doutput, dw = dweight)
        {
            for (var o = 0; o < shape.OutChannels; o++)
            {
                var dout = doutp + (o * oh * ow);
                for (var tap = 0; tap < patch; tap++)
                {
                    int c = tap / kk, i = (tap % kk) / k, j = tap % k;
                    Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
                    var tail = 0f;
                    for (var y = 0; y < oh; y++)
                    {
                        var d = dout + (y * ow);
                        var source = pad + (((c * ph) + y + i) * pw) + j;
                        var x = 0;
                        for (; x + (4 * lanes) <= ow; x += 4 * lanes)
                        {
                            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(d + x), Vector256.Load(source + x), a0);
                            a1 = Vector256.FusedMultiplyAdd(Vector256.Load(d + x + lanes), Vector256.Load(source + x + lanes), a1);
                            a2 = Vector256.FusedMultiplyAdd(Vector256.Load(d + x + (2 * lanes)), Vector256.Load(source + x + (2 * lanes)), a2);
                            a3 = Vector256.FusedMultiplyAdd(Vector256.Load(d + x + (3 * lanes)), Vector256.Load(source + x + (3 * lanes)), a3);
                        }

                        for (; x + lanes <= ow; x += lanes)
                        {
                            a0 = Vector256.FusedMultiplyAdd(Vector256.Load(d + x), Vector256.Load(source + x), a0);
                        }

                        for (; x < ow; x++)
                        {
                            tail = MathF.FusedMultiplyAdd(d[x], source[x], tail);
                        }
                    }

                    dw[(o * patch) + tap] += Vector256.Sum((a0 + a1) + (a2 + a3)) + tail;
                }
            }
        }
    }

    /// <summary>dW (OC, K) and db (OC) accumulated with this image's terms; dimage (C, H, W) overwritten unless empty.</summary>
    public static void Backward(Span<float> dimage, Span<float> dweight, Span<float> dbias, ReadOnlySpan<float> doutput, ReadOnlySpan<float> image, ReadOnlySpan<float> weight, in ConvShape shape)
    {
        int k = shape.Kernel, oh = shape.Oh, ow = shape.Ow, pw = shape.Width + (2 * shape.Padding), ph = shape.Height + (2 * shape.Padding);
        var plane = oh * ow;
        KernelChecks.Length(doutput, (long)shape.OutChannels * plane, nameof(doutput));
        KernelChecks.Length(dweight, (long)shape.OutChannels * shape.K, nameof(dweight));
        var padded = Pad(image, shape);
        for (var o = 0; o < shape.OutChannels; o++)
        {
            dbias[o] += TensorPrimitives.Sum(doutput.Slice(o * plane, plane));
        }

        WeightGradient(dweight, doutput, padded, shape);
        if (dimage.IsEmpty)
        {
            return;
        }

        // dimage[c, y − p + i, x − p + j] += W[o, c, i, j]·dout[o, y, x], gathered on the padded plane, then its interior kept.
        var kk = k * k;
        var gradient = Scratch(ref t_paddedGradient, shape.Channels * ph * pw);
        gradient.Clear();
        for (var o = 0; o < shape.OutChannels; o++)
        {
            for (var tap = 0; tap < shape.K; tap++)
            {
                int c = tap / kk, i = (tap % kk) / k, j = tap % k;
                var w = weight[(o * shape.K) + tap];
                for (var y = 0; y < oh; y++)
                {
                    var target = gradient.Slice((((c * ph) + y + i) * pw) + j, ow);
                    TensorPrimitives.MultiplyAdd(doutput.Slice((o * plane) + (y * ow), ow), w, target, target);
                }
            }
        }

        for (var c = 0; c < shape.Channels; c++)
        {
            for (var y = 0; y < shape.Height; y++)
            {
                gradient.Slice((((c * ph) + y + shape.Padding) * pw) + shape.Padding, shape.Width)
                    .CopyTo(dimage.Slice(((c * shape.Height) + y) * shape.Width, shape.Width));
            }
        }
    }

    /// <summary>The image in a zero-padded (C, H + 2p, W + 2p) plane of this thread's scratch.</summary>
    private static ReadOnlySpan<float> Pad(ReadOnlySpan<float> image, in ConvShape shape)
    {
        int p = shape.Padding, pw = shape.Width + (2 * p), ph = shape.Height + (2 * p);
        var padded = Scratch(ref t_padded, shape.Channels * ph * pw);
        padded.Clear();
        for (var c = 0; c < shape.Channels; c++)
        {
            for (var y = 0; y < shape.Height; y++)
            {
                image.Slice(((c * shape.Height) + y) * shape.Width, shape.Width).CopyTo(padded.Slice((((c * ph) + y + p) * pw) + p));
            }
        }

        return padded;
    }

    private static Span<float> Scratch(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new float[length];
        }

        return buffer.AsSpan(0, length);
    }
}

/// <summary>Shares a convolution's groups of images over the <see cref="WorkerPool"/>: part p takes a contiguous run of
/// groups and runs each with single-threaded GEMMs.</summary>
internal sealed unsafe class ConvolutionJob : IParallelWork
{
    [ThreadStatic]
    private static ConvolutionJob? t_job;

    private ConvShape _shape;
    private float* _first;
    private float* _input;
    private float* _weight;
    private float* _bias;
    private bool _noBias;
    private float* _dinput;
    private float* _partials;
    private bool _backward;

    public static ConvolutionJob ForCurrentThread() => t_job ??= new ConvolutionJob();

    /// <summary>Sets the operands: forward, <paramref name="first"/> is the output; backward, it is dout.</summary>
    public void Set(in ConvShape shape, float* first, float* input, float* weight, float* bias, bool noBias, float* dinput, float* partials, bool backward)
    {
        _shape = shape;
        _first = first;
        _input = input;
        _weight = weight;
        _bias = bias;
        _noBias = noBias;
        _dinput = dinput;
        _partials = partials;
        _backward = backward;
    }

    public void Execute(int part, int parts)
    {
        var shape = _shape;
        var (start, end) = WorkerPool.Range(shape.Groups, part, parts);
        long inputLength = (long)shape.Batch * shape.Channels * shape.Height * shape.Width;
        long outputLength = (long)shape.Batch * shape.OutChannels * shape.Plane;
        var input = new ReadOnlySpan<float>(_input, (int)inputLength);
        var weight = new ReadOnlySpan<float>(_weight, shape.OutChannels * shape.K);
        for (var group = start; group < end; group++)
        {
            if (_backward)
            {
                var slot = new Span<float>(_partials + ((long)group * shape.SlotLength), shape.SlotLength);
                var dinput = _dinput == null ? default : new Span<float>(_dinput, (int)inputLength);
                Conv2d.BackwardGroup(dinput, slot, new ReadOnlySpan<float>(_first, (int)outputLength), input, weight, shape, group, gemmThreads: 1);
            }
            else
            {
                var bias = _noBias ? default : new ReadOnlySpan<float>(_bias, shape.OutChannels);
                Conv2d.ForwardGroup(new Span<float>(_first, (int)outputLength), input, weight, bias, shape, group, gemmThreads: 1);
            }
        }
    }
}
