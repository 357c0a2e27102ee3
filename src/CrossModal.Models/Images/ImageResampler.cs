using System;
using System.Numerics;
using CrossModal.Abstractions;

namespace CrossModal.Models.Images;

/// <summary>
/// Bicubic resizing that reproduces Pillow 9.4's <c>Image.resize(size, Image.BICUBIC)</c> on 8-bit images bit for
/// bit: Pillow's <c>ImagingResample</c> (libImaging/Resample.c) — a separable convolution whose support widens by
/// the downscale factor (an antialiasing filter), Keys' cubic with a = −0.5, coefficients normalised per output
/// pixel and turned into 22-bit fixed point, a horizontal pass rounded and clamped to 8 bits, then a vertical pass.
/// A pass whose size does not change is skipped, as in Pillow.
/// </summary>
public static class ImageResampler
{
    // Resample.c: PRECISION_BITS = 32 − 8 − 2 (8 bits of result, 2 for the filter's overshoot and the sign).
    private const int PrecisionBits = 32 - 8 - 2;

    /// <summary>Resizes <paramref name="image"/> to <paramref name="width"/> × <paramref name="height"/>.</summary>
    /// <param name="image">The source image.</param>
    /// <param name="width">Output width, one or more.</param>
    /// <param name="height">Output height, one or more.</param>
    public static ImageData ResizeBicubic(ImageData image, int width, int height)
        => ResizeBicubic(image, width, height, 0, 0, width, height);

    /// <summary>
    /// Resizes <paramref name="image"/> to <paramref name="width"/> × <paramref name="height"/> and returns only the
    /// window (<paramref name="left"/>, <paramref name="top"/>, <paramref name="cropWidth"/>, <paramref name="cropHeight"/>)
    /// of the result — the same pixels as resizing then cropping, without computing the rest.
    /// </summary>
    /// <param name="image">The source image.</param>
    /// <param name="width">Width of the (virtual) resized image.</param>
    /// <param name="height">Height of the (virtual) resized image.</param>
    /// <param name="left">First column of the window in the resized image.</param>
    /// <param name="top">First row of the window in the resized image.</param>
    /// <param name="cropWidth">Window width.</param>
    /// <param name="cropHeight">Window height.</param>
    public static ImageData ResizeBicubic(ImageData image, int width, int height, int left, int top, int cropWidth, int cropHeight)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropWidth, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cropHeight, 1);
        if (left < 0 || top < 0 || left > width - cropWidth || top > height - cropHeight)
        {
            throw new ArgumentOutOfRangeException(
                nameof(left), $"The window ({left}, {top}, {cropWidth}×{cropHeight}) must lie inside the {width}×{height} resized image.");
        }

        if ((long)width * height > ImageDecoderLimits.AbsoluteMaxPixels)
        {
            throw new ArgumentOutOfRangeException(nameof(width), $"A {width}×{height} image is too large.");
        }

        bool horizontal = width != image.Width;
        bool vertical = height != image.Height;
        Coefficients? rows = vertical ? Coefficients.Compute(image.Height, height, top, cropHeight) : null;
        int firstRow = top, rowCount = cropHeight;
        if (rows is not null)
        {
            firstRow = rows.Bounds[0];
            int end = 0;
            for (int i = 0; i < cropHeight; i++)
            {
                end = Math.Max(end, rows.Bounds[2 * i] + rows.Bounds[(2 * i) + 1]);
            }

            rowCount = end - firstRow;
        }

        // Horizontal pass over only the source rows the vertical pass reads (Pillow's ybox_first..ybox_last).
        byte[] across = new byte[(long)rowCount * cropWidth * 3];
        if (horizontal)
        {
            Coefficients columns = Coefficients.Compute(image.Width, width, left, cropWidth);
            ResampleRows(image.Pixels, image.Width, firstRow, rowCount, columns, across, cropWidth);
        }
        else
        {
            for (int r = 0; r < rowCount; r++)
            {
                image.Pixels.AsSpan((((firstRow + r) * image.Width) + left) * 3, cropWidth * 3)
                    .CopyTo(across.AsSpan(r * cropWidth * 3));
            }
        }

        if (rows is null)
        {
            return new ImageData(cropWidth, cropHeight, across);
        }

        byte[] output = new byte[(long)cropWidth * cropHeight * 3];
        ResampleColumns(across, cropWidth, firstRow, rows, output, cropHeight);
        return new ImageData(cropWidth, cropHeight, output);
    }

    /// <summary>Resample.c ImagingResampleHorizontal_8bpc. source: (·, sourceWidth, 3) RGB24 rows
    /// firstRow..firstRow+rowCount; destination: (rowCount, outWidth, 3).</summary>
    private static void ResampleRows(
        ReadOnlySpan<byte> source, int sourceWidth, int firstRow, int rowCount, Coefficients k, Span<byte> destination, int outWidth)
    {
        ReadOnlySpan<int> weights = k.Weights;
        for (int r = 0; r < rowCount; r++)
        {
            ReadOnlySpan<byte> input = source.Slice((firstRow + r) * sourceWidth * 3, sourceWidth * 3);
            Span<byte> output = destination.Slice(r * outWidth * 3, outWidth * 3);
            for (int x = 0; x < outWidth; x++)
            {
                int min = k.Bounds[2 * x], count = k.Bounds[(2 * x) + 1];
                ReadOnlySpan<int> w = weights.Slice(x * k.Size, count);
                ReadOnlySpan<byte> p = input.Slice(min * 3, count * 3);
                int s0 = 1 << (PrecisionBits - 1), s1 = s0, s2 = s0;
                for (int i = 0; i < w.Length; i++)
                {
                    int wi = w[i];
                    s0 += p[3 * i] * wi;
                    s1 += p[(3 * i) + 1] * wi;
                    s2 += p[(3 * i) + 2] * wi;
                }

                output[3 * x] = Clip8(s0);
                output[(3 * x) + 1] = Clip8(s1);
                output[(3 * x) + 2] = Clip8(s2);
            }
        }
    }

    /// <summary>Resample.c ImagingResampleVertical_8bpc. source: (·, width, 3) whose row 0 is source row
    /// <paramref name="firstRow"/>; destination: (outHeight, width, 3). The same integer sums as Pillow, accumulated
    /// in the same order, several bytes per SIMD step.</summary>
    private static void ResampleColumns(
        ReadOnlySpan<byte> source, int width, int firstRow, Coefficients k, Span<byte> destination, int outHeight)
    {
        int stride = width * 3;
        Span<int> sums = new int[stride];
        for (int y = 0; y < outHeight; y++)
        {
            int min = k.Bounds[2 * y] - firstRow, count = k.Bounds[(2 * y) + 1];
            sums.Fill(1 << (PrecisionBits - 1));
            for (int i = 0; i < count; i++)
            {
                AddScaled(source.Slice((min + i) * stride, stride), k.Weights[(y * k.Size) + i], sums);
            }

            Span<byte> output = destination.Slice(y * stride, stride);
            for (int j = 0; j < stride; j++)
            {
                output[j] = Clip8(sums[j]);
            }
        }
    }

    /// <summary>sums[j] += row[j] · weight. row: (n); sums: (n).</summary>
    private static void AddScaled(ReadOnlySpan<byte> row, int weight, Span<int> sums)
    {
        int j = 0;
        if (Vector.IsHardwareAccelerated && row.Length >= Vector<byte>.Count)
        {
            var w = new Vector<int>(weight);
            int step = Vector<byte>.Count, lane = Vector<int>.Count;
            for (; j <= row.Length - step; j += step)
            {
                Vector.Widen(new Vector<byte>(row.Slice(j, step)), out Vector<ushort> low, out Vector<ushort> high);
                Vector.Widen(low, out Vector<uint> a, out Vector<uint> b);
                Vector.Widen(high, out Vector<uint> c, out Vector<uint> d);
                Span<int> s = sums.Slice(j, step);
                (new Vector<int>(s) + (Vector.AsVectorInt32(a) * w)).CopyTo(s);
                (new Vector<int>(s[lane..]) + (Vector.AsVectorInt32(b) * w)).CopyTo(s[lane..]);
                (new Vector<int>(s[(2 * lane)..]) + (Vector.AsVectorInt32(c) * w)).CopyTo(s[(2 * lane)..]);
                (new Vector<int>(s[(3 * lane)..]) + (Vector.AsVectorInt32(d) * w)).CopyTo(s[(3 * lane)..]);
            }
        }

        for (; j < row.Length; j++)
        {
            sums[j] += row[j] * weight;
        }
    }

    // Resample.c clip8: the table covers sums >> 22 in −640..639 and clamps them to 0..255.
    private static byte Clip8(int sum) => (byte)Math.Clamp(sum >> PrecisionBits, 0, 255);

    // Resample.c bicubic_filter, Keys (1981) with a = −0.5; written exactly as Pillow evaluates it.
    private static double Bicubic(double x)
    {
        const double a = -0.5;
        if (x < 0.0)
        {
            x = -x;
        }

        if (x < 1.0)
        {
            return ((((a + 2.0) * x) - (a + 3.0)) * x * x) + 1;
        }

        if (x < 2.0)
        {
            return (((((x - 5) * x) + 8) * x) - 4) * a;
        }

        return 0.0;
    }

    /// <summary>Resample.c precompute_coeffs + normalize_coeffs_8bpc for output indices first..first+count of an
    /// axis resized from inSize to outSize.</summary>
    private sealed class Coefficients
    {
        private Coefficients(int size, int[] bounds, int[] weights)
        {
            Size = size;
            Bounds = bounds;
            Weights = weights;
        }

        /// <summary>Weights per output index (ksize).</summary>
        public int Size { get; }

        /// <summary>(first input index, input count) per output index.</summary>
        public int[] Bounds { get; }

        /// <summary>(count, Size) fixed-point weights, 22 fractional bits.</summary>
        public int[] Weights { get; }

        public static Coefficients Compute(int inSize, int outSize, int first, int count)
        {
            const double support0 = 2.0; // bicubic support
            double scale = (double)(float)inSize / outSize; // Pillow passes the box as floats
            double filterScale = Math.Max(scale, 1.0);
            double support = support0 * filterScale;
            int size = ((int)Math.Ceiling(support) * 2) + 1;
            var bounds = new int[2 * count];
            var weights = new int[count * size];
            Span<double> k = new double[size];
            for (int j = 0; j < count; j++)
            {
                int xx = first + j;
                double center = (xx + 0.5) * scale;
                double ww = 0.0;
                double ss = 1.0 / filterScale;
                int xmin = (int)(center - support + 0.5);
                if (xmin < 0)
                {
                    xmin = 0;
                }

                int xmax = (int)(center + support + 0.5);
                if (xmax > inSize)
                {
                    xmax = inSize;
                }

                xmax -= xmin;
                for (int x = 0; x < xmax; x++)
                {
                    double w = Bicubic((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }

                for (int x = 0; x < xmax; x++)
                {
                    if (ww != 0.0)
                    {
                        k[x] /= ww;
                    }

                    weights[(j * size) + x] = k[x] < 0
                        ? (int)(-0.5 + (k[x] * (1 << PrecisionBits)))
                        : (int)(0.5 + (k[x] * (1 << PrecisionBits)));
                }

                bounds[2 * j] = xmin;
                bounds[(2 * j) + 1] = xmax;
            }

            return new Coefficients(size, bounds, weights);
        }
    }
}
