using ILGPU;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>The sizes of one NCHW convolution or pooling call, computed and checked on the host.</summary>
internal readonly struct ConvGeometry
{
    public ConvGeometry(int batch, int channels, int height, int width, int outChannels, int kernel, int stride, int padding, int outHeight, int outWidth)
    {
        Batch = batch;
        Channels = channels;
        Height = height;
        Width = width;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        OutHeight = outHeight;
        OutWidth = outWidth;
    }

    /// <summary>B (for pooling: the planes B·C).</summary>
    public int Batch { get; }

    /// <summary>C (1 for pooling).</summary>
    public int Channels { get; }

    /// <summary>H.</summary>
    public int Height { get; }

    /// <summary>W.</summary>
    public int Width { get; }

    /// <summary>OC (1 for pooling).</summary>
    public int OutChannels { get; }

    /// <summary>k.</summary>
    public int Kernel { get; }

    /// <summary>s.</summary>
    public int Stride { get; }

    /// <summary>p (0 for pooling).</summary>
    public int Padding { get; }

    /// <summary>OH.</summary>
    public int OutHeight { get; }

    /// <summary>OW.</summary>
    public int OutWidth { get; }
}

/// <summary>
/// Direct 2-D convolution and max pooling, NCHW, one thread per element written: each thread gathers the sum (or the
/// maximum) it needs, so no atomics are needed and the results are deterministic. This is the straightforward form,
/// not the im2col + GEMM lowering of the CPU kernels (<c>Cpu.Kernels.Conv2d</c>); shapes as in
/// <see cref="ConvGeometry"/>.
/// </summary>
internal static class ConvolutionKernels
{
    /// <summary>Convolution forward of output element <c>index</c> of (B, OC, OH, OW).</summary>
    /// <param name="output">(B, OC, OH, OW).</param>
    /// <param name="input">(B, C, H, W).</param>
    /// <param name="weight">(OC, C, k, k).</param>
    /// <param name="bias">(OC), read only when <paramref name="hasBias"/> is 1.</param>
    public static void Conv2dForward(Index1D index, ArrayView<float> output, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, ConvGeometry g, int hasBias)
    {
        int i = index;
        var x = i % g.OutWidth;
        var t = i / g.OutWidth;
        var y = t % g.OutHeight;
        t /= g.OutHeight;
        var o = t % g.OutChannels;
        var b = t / g.OutChannels;
        var k = g.Kernel;
        var sum = 0f;
        for (var c = 0; c < g.Channels; c++)
        {
            var plane = ((long)b * g.Channels + c) * g.Height;
            var filter = ((long)o * g.Channels + c) * k;
            for (var ki = 0; ki < k; ki++)
            {
                var iy = y * g.Stride - g.Padding + ki;
                if (iy < 0 || iy >= g.Height)
                {
                    continue;
                }

                for (var kj = 0; kj < k; kj++)
                {
                    var ix = x * g.Stride - g.Padding + kj;
                    if (ix >= 0 && ix < g.Width)
                    {
                        sum += weight[(filter + ki) * k + kj] * input[(plane + iy) * g.Width + ix];
                    }
                }
            }
        }

        output[i] = hasBias != 0 ? sum + bias[o] : sum;
    }

    /// <summary>Convolution backward to input element <c>index</c> of (B, C, H, W), overwritten: the sum over
    /// every output whose window covers it.</summary>
    /// <param name="dInput">(B, C, H, W).</param>
    /// <param name="dOutput">(B, OC, OH, OW).</param>
    /// <param name="weight">(OC, C, k, k).</param>
    public static void Conv2dBackwardInput(Index1D index, ArrayView<float> dInput, ArrayView<float> dOutput, ArrayView<float> weight, ConvGeometry g)
    {
        int i = index;
        var ix = i % g.Width;
        var t = i / g.Width;
        var iy = t % g.Height;
        t /= g.Height;
        var c = t % g.Channels;
        var b = t / g.Channels;
        var k = g.Kernel;
        var sum = 0f;
        for (var o = 0; o < g.OutChannels; o++)
        {
            var plane = ((long)b * g.OutChannels + o) * g.OutHeight;
            var filter = ((long)o * g.Channels + c) * k;
            for (var ki = 0; ki < k; ki++)
            {
                // Output row y reads input row y·s − p + ki, so this row is read by y = (iy + p − ki) / s when whole.
                var ty = iy + g.Padding - ki;
                if (ty < 0 || ty % g.Stride != 0 || ty / g.Stride >= g.OutHeight)
                {
                    continue;
                }

                var y = ty / g.Stride;
                for (var kj = 0; kj < k; kj++)
                {
                    var tx = ix + g.Padding - kj;
                    if (tx >= 0 && tx % g.Stride == 0 && tx / g.Stride < g.OutWidth)
                    {
                        sum += dOutput[(plane + y) * g.OutWidth + (tx / g.Stride)] * weight[(filter + ki) * k + kj];
                    }
                }
            }
        }

        dInput[i] = sum;
    }

    /// <summary>Convolution backward to weight element <c>index</c> of (OC, C, k, k), accumulated.</summary>
    /// <param name="dWeight">(OC, C, k, k).</param>
    /// <param name="dOutput">(B, OC, OH, OW).</param>
    /// <param name="input">(B, C, H, W).</param>
    public static void Conv2dBackwardWeight(Index1D index, ArrayView<float> dWeight, ArrayView<float> dOutput, ArrayView<float> input, ConvGeometry g)
    {
        int i = index;
        var k = g.Kernel;
        var kj = i % k;
        var t = i / k;
        var ki = t % k;
        t /= k;
        var c = t % g.Channels;
        var o = t / g.Channels;
        var sum = 0f;
        for (var b = 0; b < g.Batch; b++)
        {
            var outPlane = ((long)b * g.OutChannels + o) * g.OutHeight;
            var inPlane = ((long)b * g.Channels + c) * g.Height;
            for (var y = 0; y < g.OutHeight; y++)
            {
                var iy = y * g.Stride - g.Padding + ki;
                if (iy < 0 || iy >= g.Height)
                {
                    continue;
                }

                for (var x = 0; x < g.OutWidth; x++)
                {
                    var ix = x * g.Stride - g.Padding + kj;
                    if (ix >= 0 && ix < g.Width)
                    {
                        sum += dOutput[(outPlane + y) * g.OutWidth + x] * input[(inPlane + iy) * g.Width + ix];
                    }
                }
            }
        }

        dWeight[i] += sum;
    }

    /// <summary>Convolution backward to bias element <c>index</c>, accumulated: Σ over images and pixels of dOutput.</summary>
    /// <param name="dBias">(OC).</param>
    /// <param name="dOutput">(B, OC, OH, OW).</param>
    public static void Conv2dBackwardBias(Index1D index, ArrayView<float> dBias, ArrayView<float> dOutput, ConvGeometry g)
    {
        int o = index;
        var plane = g.OutHeight * g.OutWidth;
        var sum = 0f;
        for (var b = 0; b < g.Batch; b++)
        {
            var start = ((long)b * g.OutChannels + o) * plane;
            for (var j = 0; j < plane; j++)
            {
                sum += dOutput[start + j];
            }
        }

        dBias[o] += sum;
    }

    /// <summary>Max pooling forward of output element <c>index</c> of (N, OH, OW): as PyTorch, a NaN wins,
    /// otherwise the first maximum in row-major order.</summary>
    /// <param name="output">(N, OH, OW).</param>
    /// <param name="input">(N, H, W).</param>
    public static void MaxPool2dForward(Index1D index, ArrayView<float> output, ArrayView<float> input, ConvGeometry g)
    {
        int i = index;
        var x = i % g.OutWidth;
        var t = i / g.OutWidth;
        var y = t % g.OutHeight;
        var n = t / g.OutHeight;
        var plane = (long)n * g.Height;
        var best = float.NegativeInfinity;
        for (var ki = 0; ki < g.Kernel; ki++)
        {
            var row = (plane + y * g.Stride + ki) * g.Width + x * g.Stride;
            for (var kj = 0; kj < g.Kernel; kj++)
            {
                var v = input[row + kj];
                if (v > best || float.IsNaN(v))
                {
                    best = v;
                }
            }
        }

        output[i] = best;
    }

    /// <summary>
    /// Max pooling backward to input element <c>index</c> of (N, H, W), overwritten: the sum of dOutput over
    /// the windows whose first (row-major) element equal to the window's output is this one, in the order the CPU
    /// kernel adds them (windows row-major), so the result is the same.
    /// </summary>
    /// <param name="dInput">(N, H, W).</param>
    /// <param name="dOutput">(N, OH, OW).</param>
    /// <param name="input">(N, H, W).</param>
    /// <param name="output">(N, OH, OW).</param>
    public static void MaxPool2dBackward(Index1D index, ArrayView<float> dInput, ArrayView<float> dOutput, ArrayView<float> input, ArrayView<float> output, ConvGeometry g)
    {
        int i = index;
        var ix = i % g.Width;
        var t = i / g.Width;
        var iy = t % g.Height;
        var n = t / g.Height;
        int k = g.Kernel, s = g.Stride;
        var plane = (long)n * g.Height;
        var outPlane = (long)n * g.OutHeight;

        // Windows y with y·s ≤ iy < y·s + k.
        var y0 = iy - k + 1 <= 0 ? 0 : (iy - k + s) / s;
        var y1 = iy / s < g.OutHeight - 1 ? iy / s : g.OutHeight - 1;
        var x0 = ix - k + 1 <= 0 ? 0 : (ix - k + s) / s;
        var x1 = ix / s < g.OutWidth - 1 ? ix / s : g.OutWidth - 1;
        var sum = 0f;
        for (var y = y0; y <= y1; y++)
        {
            for (var x = x0; x <= x1; x++)
            {
                var at = (outPlane + y) * g.OutWidth + x;
                var best = output[at];
                var nan = float.IsNaN(best);
                var found = -1;
                for (var ki = 0; ki < k && found < 0; ki++)
                {
                    for (var kj = 0; kj < k; kj++)
                    {
                        var v = input[(plane + y * s + ki) * g.Width + x * s + kj];
                        if (v == best || (nan && float.IsNaN(v)))
                        {
                            found = ki * k + kj;
                            break;
                        }
                    }
                }

                // No match (an output not from this input) falls back to the window's corner, as the CPU kernel does.
                if (found < 0)
                {
                    found = 0;
                }

                if (y * s + (found / k) == iy && x * s + (found % k) == ix)
                {
                    sum += dOutput[at];
                }
            }
        }

        dInput[i] = sum;
    }
}
