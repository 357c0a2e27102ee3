using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using CrossModal.Abstractions;

namespace CrossModal.Models.Images;

/// <summary>
/// Decodes PNG files (W3C PNG Specification, 2nd edition) into RGB24: every colour type (greyscale, RGB, palette,
/// greyscale + alpha, RGBA) at every bit depth the spec allows for it (1, 2, 4, 8, 16), plain or Adam7-interlaced,
/// with all five row filters, any number of IDAT chunks, and the CRC of every chunk checked.
/// </summary>
/// <remarks>
/// The output equals Pillow's <c>Image.open(f).convert("RGB")</c>: alpha channels and tRNS transparency are dropped
/// (not composited); samples below 8 bits are scaled by 255 / (2^depth − 1); 16-bit samples keep their high byte;
/// palette indices past the end of PLTE read Pillow's default grey ramp, (i, i, i). One deliberate difference:
/// 16-bit greyscale keeps its high byte like every other 16-bit type, where Pillow clips the 16-bit value into
/// 0..255. Gamma, colour profiles and other ancillary chunks are ignored, as in Pillow's conversion.
/// </remarks>
public sealed class PngDecoder : IImageDecoder
{
    private static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    // Adam7 passes as (x0, y0, dx, dy): PNG spec §8.2.
    private static readonly (int X0, int Y0, int Dx, int Dy)[] Adam7 =
        [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];

    private static readonly (int X0, int Y0, int Dx, int Dy)[] NoInterlace = [(0, 0, 1, 1)];

    /// <summary>Creates a decoder that accepts images up to <paramref name="maxPixels"/> pixels.</summary>
    /// <param name="maxPixels">Largest width × height accepted; checked before any pixel memory is allocated.
    /// Defaults to <see cref="ImageDecoderLimits.DefaultMaxPixels"/>.</param>
    public PngDecoder(long maxPixels = ImageDecoderLimits.DefaultMaxPixels)
    {
        MaxPixels = ImageDecoderLimits.Validate(maxPixels, nameof(maxPixels));
    }

    /// <summary>Largest width × height this decoder accepts.</summary>
    public long MaxPixels { get; }

    /// <inheritdoc />
    public bool CanDecode(ReadOnlySpan<byte> header) => header.StartsWith(Signature);

    /// <inheritdoc />
    public ImageData Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!CanDecode(data))
        {
            throw ImageDecoderLimits.Fail(sourceName, "not a PNG file (the 8-byte PNG signature is missing).");
        }

        Header? header = null;
        byte[] palette = GreyRamp();
        bool havePalette = false;
        int idatBytes = 0;
        int firstIdat = -1;
        bool idatClosed = false;
        bool sawEnd = false;
        int pos = Signature.Length;
        while (!sawEnd)
        {
            if (data.Length - pos < 12)
            {
                throw ImageDecoderLimits.Fail(sourceName, $"truncated PNG: the file ends inside a chunk header at byte {pos} (no IEND chunk).");
            }

            uint declared = BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            ReadOnlySpan<byte> type = data.Slice(pos + 4, 4);
            string typeName = ChunkName(type);
            if (declared > int.MaxValue || declared > (uint)(data.Length - pos - 12))
            {
                throw ImageDecoderLimits.Fail(sourceName, $"truncated PNG: chunk '{typeName}' at byte {pos} declares {declared} bytes but only {Math.Max(0, data.Length - pos - 12)} remain.");
            }

            int length = (int)declared;
            ReadOnlySpan<byte> body = data.Slice(pos + 8, length);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 8 + length)..]);
            if (PngCrc32.Compute(type, body) != crc)
            {
                throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: CRC mismatch in chunk '{typeName}' at byte {pos}.");
            }

            foreach (byte b in type)
            {
                if (!char.IsAsciiLetter((char)b))
                {
                    throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: invalid chunk type '{typeName}' at byte {pos}.");
                }
            }

            if (header is null && typeName != "IHDR")
            {
                throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: the first chunk is '{typeName}', expected 'IHDR'.");
            }

            if (firstIdat >= 0 && typeName != "IDAT")
            {
                idatClosed = true;
            }

            switch (typeName)
            {
                case "IHDR":
                    if (header is not null)
                    {
                        throw ImageDecoderLimits.Fail(sourceName, "corrupt PNG: more than one IHDR chunk.");
                    }

                    header = ParseHeader(body, sourceName);
                    break;
                case "PLTE":
                    if (havePalette || firstIdat >= 0 || header!.ColourType is 0 or 4 || length % 3 != 0 || length == 0 || length > 768)
                    {
                        throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: invalid PLTE chunk ({length} bytes, colour type {header!.ColourType}).");
                    }

                    body.CopyTo(palette);
                    havePalette = true;
                    break;
                case "IDAT":
                    if (idatClosed)
                    {
                        throw ImageDecoderLimits.Fail(sourceName, "corrupt PNG: IDAT chunks are not consecutive.");
                    }

                    if (firstIdat < 0)
                    {
                        firstIdat = pos;
                    }

                    idatBytes += length; // cannot overflow: the chunks lie inside a span of at most int.MaxValue bytes
                    break;
                case "IEND":
                    sawEnd = true;
                    break;
                default:
                    if ((type[0] & 0x20) == 0)
                    {
                        throw ImageDecoderLimits.Fail(sourceName, $"unsupported PNG: unknown critical chunk '{typeName}'.");
                    }

                    break; // ancillary chunks (gAMA, tEXt, tRNS, iCCP, …) do not change convert("RGB")'s pixels
            }

            pos += 12 + length;
        }

        if (firstIdat < 0)
        {
            throw ImageDecoderLimits.Fail(sourceName, "corrupt PNG: no IDAT chunk.");
        }

        Header h = header!;
        if (h.ColourType == 3 && !havePalette)
        {
            throw ImageDecoderLimits.Fail(sourceName, "corrupt PNG: a palette image without a PLTE chunk.");
        }

        byte[] compressed = GatherIdat(data, firstIdat, idatBytes);
        return DecodePixels(h, compressed, palette, sourceName);
    }

    private static byte[] GatherIdat(ReadOnlySpan<byte> data, int pos, int total)
    {
        var compressed = new byte[total];
        int written = 0;
        while (written < total)
        {
            int length = (int)BinaryPrimitives.ReadUInt32BigEndian(data[pos..]);
            data.Slice(pos + 8, length).CopyTo(compressed.AsSpan(written));
            written += length;
            pos += 12 + length;
        }

        return compressed;
    }

    private Header ParseHeader(ReadOnlySpan<byte> body, string sourceName)
    {
        if (body.Length != 13)
        {
            throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: IHDR has {body.Length} bytes, expected 13.");
        }

        uint width = BinaryPrimitives.ReadUInt32BigEndian(body);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(body[4..]);
        int depth = body[8], colourType = body[9];
        bool depthAllowed = colourType switch
        {
            0 => depth is 1 or 2 or 4 or 8 or 16,
            3 => depth is 1 or 2 or 4 or 8,
            2 or 4 or 6 => depth is 8 or 16,
            _ => false,
        };
        if (!depthAllowed)
        {
            throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: colour type {colourType} with bit depth {depth} is not allowed by the PNG spec.");
        }

        if (body[10] != 0 || body[11] != 0 || body[12] > 1)
        {
            throw ImageDecoderLimits.Fail(sourceName, $"unsupported PNG: compression {body[10]}, filter method {body[11]}, interlace {body[12]} (expected 0, 0, 0 or 1).");
        }

        if (width > int.MaxValue || height > int.MaxValue)
        {
            throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: dimensions {width}×{height} exceed 2^31 − 1.");
        }

        ImageDecoderLimits.CheckDimensions(width, height, MaxPixels, sourceName, "PNG");
        int channels = colourType switch { 0 or 3 => 1, 4 => 2, 2 => 3, _ => 4 };
        return new Header((int)width, (int)height, depth, colourType, channels, body[12] == 1);
    }

    private static ImageData DecodePixels(Header h, byte[] compressed, byte[] palette, string sourceName)
    {
        int bitsPerPixel = h.Channels * h.Depth;
        int bpp = Math.Max(1, bitsPerPixel / 8); // filter byte distance, PNG spec §9.2
        long maxRowBytes = (((long)h.Width * bitsPerPixel) + 7) / 8;
        if (maxRowBytes + 1 > Array.MaxLength)
        {
            throw ImageDecoderLimits.Fail(sourceName, $"unsupported PNG: a row of {maxRowBytes} bytes is too long.");
        }

        var pixels = new byte[(long)h.Width * h.Height * 3];
        var current = new byte[maxRowBytes + 1];
        var previous = new byte[maxRowBytes + 1];
        try
        {
            using var source = new MemoryStream(compressed, writable: false);
            using var inflater = new ZLibStream(source, CompressionMode.Decompress);
            foreach (var (x0, y0, dx, dy) in h.Interlaced ? Adam7 : NoInterlace)
            {
                int passWidth = (h.Width - x0 + dx - 1) / dx;
                int passHeight = (h.Height - y0 + dy - 1) / dy;
                if (passWidth <= 0 || passHeight <= 0)
                {
                    continue; // empty passes have no bytes at all, not even filter bytes (§8.2)
                }

                int rowBytes = (int)((((long)passWidth * bitsPerPixel) + 7) / 8);
                Array.Clear(previous, 0, rowBytes + 1);
                for (int r = 0; r < passHeight; r++)
                {
                    Span<byte> row = current.AsSpan(0, rowBytes + 1);
                    int got = inflater.ReadAtLeast(row, row.Length, throwOnEndOfStream: false);
                    if (got < row.Length)
                    {
                        throw ImageDecoderLimits.Fail(sourceName, $"truncated PNG: the image data ends {(h.Interlaced ? "in an Adam7 pass " : string.Empty)}at row {r} of {passHeight}.");
                    }

                    Unfilter(row[0], row[1..], previous.AsSpan(1, rowBytes), bpp, sourceName);
                    WriteRow(h, row[1..], palette, pixels, y0 + (r * dy), x0, dx, passWidth);
                    (current, previous) = (previous, current);
                }
            }
        }
        catch (InvalidDataException e) when (!e.Message.StartsWith(sourceName + ": ", StringComparison.Ordinal))
        {
            throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: the zlib image data is invalid ({e.Message}).", e);
        }

        return new ImageData(h.Width, h.Height, pixels);
    }

    /// <summary>Reverses one row's filter in place (PNG spec §9.2–9.4); <paramref name="prior"/> is the previous
    /// unfiltered row of the same pass (zeros for the first).</summary>
    private static void Unfilter(byte filter, Span<byte> row, ReadOnlySpan<byte> prior, int bpp, string sourceName)
    {
        switch (filter)
        {
            case 0:
                break;
            case 1:
                for (int i = bpp; i < row.Length; i++)
                {
                    row[i] += row[i - bpp];
                }

                break;
            case 2:
                for (int i = 0; i < row.Length; i++)
                {
                    row[i] += prior[i];
                }

                break;
            case 3:
                for (int i = 0; i < bpp && i < row.Length; i++)
                {
                    row[i] += (byte)(prior[i] >> 1);
                }

                for (int i = bpp; i < row.Length; i++)
                {
                    row[i] += (byte)((row[i - bpp] + prior[i]) >> 1);
                }

                break;
            case 4:
                for (int i = 0; i < bpp && i < row.Length; i++)
                {
                    row[i] += prior[i]; // Paeth with a = c = 0 picks b
                }

                for (int i = bpp; i < row.Length; i++)
                {
                    row[i] += Paeth(row[i - bpp], prior[i], prior[i - bpp]);
                }

                break;
            default:
                throw ImageDecoderLimits.Fail(sourceName, $"corrupt PNG: unknown row filter type {filter}.");
        }
    }

    private static byte Paeth(byte a, byte b, byte c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }

    /// <summary>Converts one unfiltered row of <paramref name="count"/> pixels into RGB24 pixels
    /// (x0 + i·dx, y) of <paramref name="pixels"/>.</summary>
    private static void WriteRow(Header h, ReadOnlySpan<byte> row, byte[] palette, byte[] pixels, int y, int x0, int dx, int count)
    {
        Span<byte> dest = pixels.AsSpan((int)(((long)y * h.Width + x0) * 3));
        int step = dx * 3;
        if (h.Depth < 8)
        {
            int depth = h.Depth, mask = (1 << depth) - 1, scale = 255 / mask;
            for (int i = 0, o = 0; i < count; i++, o += step)
            {
                int bit = i * depth;
                int value = (row[bit >> 3] >> (8 - depth - (bit & 7))) & mask;
                if (h.ColourType == 3)
                {
                    dest[o] = palette[value * 3];
                    dest[o + 1] = palette[(value * 3) + 1];
                    dest[o + 2] = palette[(value * 3) + 2];
                }
                else
                {
                    dest[o] = dest[o + 1] = dest[o + 2] = (byte)(value * scale);
                }
            }

            return;
        }

        int sampleBytes = h.Depth / 8; // 16-bit samples are big-endian: their first byte is the high byte
        int pixelBytes = sampleBytes * h.Channels;
        switch (h.ColourType)
        {
            case 0 or 4:
                for (int i = 0, s = 0, o = 0; i < count; i++, s += pixelBytes, o += step)
                {
                    dest[o] = dest[o + 1] = dest[o + 2] = row[s];
                }

                break;
            case 3:
                for (int i = 0, o = 0; i < count; i++, o += step)
                {
                    int p = row[i] * 3;
                    dest[o] = palette[p];
                    dest[o + 1] = palette[p + 1];
                    dest[o + 2] = palette[p + 2];
                }

                break;
            default: // 2 and 6
                for (int i = 0, s = 0, o = 0; i < count; i++, s += pixelBytes, o += step)
                {
                    dest[o] = row[s];
                    dest[o + 1] = row[s + sampleBytes];
                    dest[o + 2] = row[s + (2 * sampleBytes)];
                }

                break;
        }
    }

    /// <summary>Pillow's initial palette, a grey ramp, which PLTE entries then overwrite.</summary>
    private static byte[] GreyRamp()
    {
        var palette = new byte[768];
        for (int i = 0; i < 256; i++)
        {
            palette[i * 3] = palette[(i * 3) + 1] = palette[(i * 3) + 2] = (byte)i;
        }

        return palette;
    }

    private static string ChunkName(ReadOnlySpan<byte> type)
    {
        Span<char> chars = stackalloc char[4];
        for (int i = 0; i < 4; i++)
        {
            chars[i] = type[i] is >= 0x20 and < 0x7F ? (char)type[i] : '?';
        }

        return new string(chars);
    }

    private sealed record Header(int Width, int Height, int Depth, int ColourType, int Channels, bool Interlaced);
}
