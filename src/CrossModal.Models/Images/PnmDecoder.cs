using System;
using CrossModal.Abstractions;

namespace CrossModal.Models.Images;

/// <summary>
/// Decodes binary Netpbm images (<c>P5</c> greyscale PGM and <c>P6</c> colour PPM; netpbm.sourceforge.net/doc/pgm.html,
/// ppm.html) into RGB24: maxval 1..255 with one byte per sample and 256..65535 with two big-endian bytes, and
/// <c>#</c> comments anywhere in the header.
/// </summary>
/// <remarks>
/// Samples are scaled as Pillow 9.4's <c>PpmDecoder</c> does, <c>min(255, round(v / maxval · 255))</c> with
/// round-half-even, so the output equals <c>Image.open(f).convert("RGB")</c>; samples above maxval saturate to 255
/// there too. One deliberate difference: Pillow clips 16-bit PGM values into 0..255 (its mode "I"), where this
/// decoder scales them like 16-bit PPM. A file holding several images yields the first.
/// </remarks>
public sealed class PnmDecoder : IImageDecoder
{
    /// <summary>Creates a decoder that accepts images up to <paramref name="maxPixels"/> pixels.</summary>
    /// <param name="maxPixels">Largest width × height accepted; checked before any pixel memory is allocated.
    /// Defaults to <see cref="ImageDecoderLimits.DefaultMaxPixels"/>.</param>
    public PnmDecoder(long maxPixels = ImageDecoderLimits.DefaultMaxPixels)
    {
        MaxPixels = ImageDecoderLimits.Validate(maxPixels, nameof(maxPixels));
    }

    /// <summary>Largest width × height this decoder accepts.</summary>
    public long MaxPixels { get; }

    /// <inheritdoc />
    public bool CanDecode(ReadOnlySpan<byte> header)
        => header.Length >= 3 && header[0] == (byte)'P' && header[1] is (byte)'5' or (byte)'6' && IsWhitespace(header[2]);

    /// <inheritdoc />
    public ImageData Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!CanDecode(data))
        {
            throw ImageDecoderLimits.Fail(sourceName, "not a binary PGM/PPM file (expected 'P5' or 'P6' and whitespace).");
        }

        bool colour = data[1] == (byte)'6';
        int pos = 2;
        long width = ReadNumber(data, ref pos, "width", sourceName);
        long height = ReadNumber(data, ref pos, "height", sourceName);
        long maxval = ReadNumber(data, ref pos, "maxval", sourceName);
        if (maxval is < 1 or > 65535)
        {
            throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNM: maxval {maxval} is outside 1..65535.");
        }

        if (pos >= data.Length || !IsWhitespace(data[pos]))
        {
            throw ImageDecoderLimits.Fail(sourceName, "corrupt PNM: expected one whitespace byte after maxval.");
        }

        pos++;
        ImageDecoderLimits.CheckDimensions(width, height, MaxPixels, sourceName, colour ? "PPM" : "PGM");
        int channels = colour ? 3 : 1;
        int sampleBytes = maxval < 256 ? 1 : 2;
        long needed = width * height * channels * sampleBytes;
        if (data.Length - pos < needed)
        {
            throw ImageDecoderLimits.Fail(sourceName, $"truncated PNM: the raster needs {needed} bytes after the header but only {data.Length - pos} remain.");
        }

        ReadOnlySpan<byte> raster = data.Slice(pos, (int)needed);
        var pixels = new byte[width * height * 3];
        if (maxval == 255 && colour)
        {
            raster.CopyTo(pixels);
        }
        else
        {
            byte[] table = ScaleTable((int)maxval, sampleBytes);
            int samples = (int)(width * height * channels);
            if (colour)
            {
                for (int i = 0; i < samples; i++)
                {
                    pixels[i] = table[Sample(raster, i, sampleBytes)];
                }
            }
            else
            {
                for (int i = 0, o = 0; i < samples; i++, o += 3)
                {
                    pixels[o] = pixels[o + 1] = pixels[o + 2] = table[Sample(raster, i, sampleBytes)];
                }
            }
        }

        return new ImageData((int)width, (int)height, pixels);
    }

    private static int Sample(ReadOnlySpan<byte> raster, int index, int sampleBytes)
        => sampleBytes == 1 ? raster[index] : (raster[2 * index] << 8) | raster[(2 * index) + 1];

    /// <summary>Pillow's <c>min(255, round(v / maxval · 255))</c> for every possible sample value.</summary>
    private static byte[] ScaleTable(int maxval, int sampleBytes)
    {
        var table = new byte[sampleBytes == 1 ? 256 : 65536];
        for (int v = 0; v < table.Length; v++)
        {
            table[v] = (byte)Math.Min(255.0, Math.Round((double)v / maxval * 255, MidpointRounding.ToEven));
        }

        return table;
    }

    /// <summary>Skips whitespace and comments, then reads a decimal number ended by whitespace or a comment.</summary>
    private static long ReadNumber(ReadOnlySpan<byte> data, ref int pos, string what, string sourceName)
    {
        while (pos < data.Length && (IsWhitespace(data[pos]) || data[pos] == (byte)'#'))
        {
            if (data[pos] == (byte)'#')
            {
                while (pos < data.Length && data[pos] != (byte)'\n' && data[pos] != (byte)'\r')
                {
                    pos++;
                }
            }
            else
            {
                pos++;
            }
        }

        long value = 0;
        int digits = 0;
        while (pos < data.Length && data[pos] is >= (byte)'0' and <= (byte)'9')
        {
            if (++digits > 10)
            {
                throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNM: the {what} has more than 10 digits.");
            }

            value = (value * 10) + (data[pos] - '0');
            pos++;
        }

        if (digits == 0 || (pos < data.Length && !IsWhitespace(data[pos]) && data[pos] != (byte)'#'))
        {
            throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNM: expected a decimal {what} in the header near byte {pos}.");
        }

        return value;
    }

    // Netpbm whitespace: blanks, TABs, CRs, LFs, VTs and FFs.
    private static bool IsWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r' or 0x0B or 0x0C;
}
