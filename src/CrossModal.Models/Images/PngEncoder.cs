using System;
using System.Buffers.Binary;
using System.IO;
using System.IO.Compression;
using CrossModal.Abstractions;
using CrossModal.Tensors.IO;

namespace CrossModal.Models.Images;

/// <summary>
/// Writes <see cref="ImageData"/> as an 8-bit RGB, non-interlaced PNG. Each row gets the filter whose output has the
/// smallest sum of absolute values (as signed bytes) — libpng's adaptive heuristic (PNG spec §12.8) — which suits
/// both rendered and photographic images.
/// </summary>
public static class PngEncoder
{
    private const int MaxIdatBytes = 1 << 20;

    /// <summary>Encodes <paramref name="image"/> as PNG bytes.</summary>
    /// <param name="image">The image.</param>
    /// <param name="level">zlib effort; <see cref="CompressionLevel.Optimal"/> by default.</param>
    public static byte[] Encode(ImageData image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var output = new MemoryStream();
        Write(output, image, level);
        return output.ToArray();
    }

    /// <summary>Writes <paramref name="image"/> as a PNG file atomically: to a temporary file beside
    /// <paramref name="path"/>, then renamed over it, so an interrupted write never leaves a partial file.</summary>
    /// <param name="path">Destination file; replaced if it exists.</param>
    /// <param name="image">The image.</param>
    /// <param name="level">zlib effort; <see cref="CompressionLevel.Optimal"/> by default.</param>
    public static void Write(string path, ImageData image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentException.ThrowIfNullOrEmpty(path);
        AtomicFile.Write(path, stream => Write(stream, image, level));
    }

    /// <summary>Writes <paramref name="image"/> as PNG to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream; left open.</param>
    /// <param name="image">The image.</param>
    /// <param name="level">zlib effort; <see cref="CompressionLevel.Optimal"/> by default.</param>
    public static void Write(Stream stream, ImageData image, CompressionLevel level = CompressionLevel.Optimal)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], image.Height);
        ihdr[8] = 8;  // bit depth
        ihdr[9] = 2;  // colour type: RGB
        ihdr[10] = ihdr[11] = ihdr[12] = 0; // deflate, adaptive filtering, no interlace
        WriteChunk(stream, "IHDR"u8, ihdr);

        using var compressed = new MemoryStream();
        using (var deflate = new ZLibStream(compressed, level, leaveOpen: true))
        {
            int rowBytes = image.Width * 3;
            var candidates = new byte[5 * (rowBytes + 1)];
            ReadOnlySpan<byte> pixels = image.Pixels;
            ReadOnlySpan<byte> zeros = new byte[rowBytes];
            for (int y = 0; y < image.Height; y++)
            {
                ReadOnlySpan<byte> row = pixels.Slice(y * rowBytes, rowBytes);
                ReadOnlySpan<byte> prior = y == 0 ? zeros : pixels.Slice((y - 1) * rowBytes, rowBytes);
                deflate.Write(ChooseFilter(row, prior, candidates));
            }
        }

        ReadOnlySpan<byte> data = compressed.GetBuffer().AsSpan(0, (int)compressed.Length);
        for (int start = 0; start < data.Length; start += MaxIdatBytes)
        {
            WriteChunk(stream, "IDAT"u8, data.Slice(start, Math.Min(MaxIdatBytes, data.Length - start)));
        }

        WriteChunk(stream, "IEND"u8, []);
    }

    /// <summary>Filters <paramref name="row"/> five ways into <paramref name="candidates"/> and returns the best
    /// (filter byte included). row, prior: (n) bytes; candidates: 5 · (n + 1).</summary>
    private static ReadOnlySpan<byte> ChooseFilter(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, byte[] candidates)
    {
        const int bpp = 3;
        int n = row.Length;
        Span<byte> none = candidates.AsSpan(0, n + 1), sub = candidates.AsSpan(n + 1, n + 1),
            up = candidates.AsSpan(2 * (n + 1), n + 1), average = candidates.AsSpan(3 * (n + 1), n + 1),
            paeth = candidates.AsSpan(4 * (n + 1), n + 1);
        none[0] = 0;
        sub[0] = 1;
        up[0] = 2;
        average[0] = 3;
        paeth[0] = 4;
        row.CopyTo(none[1..]);
        for (int i = 0; i < n; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0, b = prior[i], c = i >= bpp ? prior[i - bpp] : 0;
            int x = row[i];
            sub[i + 1] = (byte)(x - a);
            up[i + 1] = (byte)(x - b);
            average[i + 1] = (byte)(x - ((a + b) >> 1));
            paeth[i + 1] = (byte)(x - Paeth(a, b, c));
        }

        int best = 0;
        long bestCost = long.MaxValue;
        for (int filter = 0; filter < 5; filter++)
        {
            long cost = 0;
            foreach (byte value in candidates.AsSpan((filter * (n + 1)) + 1, n))
            {
                cost += Math.Abs((int)(sbyte)value);
            }

            if (cost < bestCost)
            {
                bestCost = cost;
                best = filter;
            }
        }

        return candidates.AsSpan(best * (n + 1), n + 1);
    }

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
    }

    private static void WriteChunk(Stream stream, ReadOnlySpan<byte> type, ReadOnlySpan<byte> body)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
        stream.Write(word);
        stream.Write(type);
        stream.Write(body);
        BinaryPrimitives.WriteUInt32BigEndian(word, PngCrc32.Compute(type, body));
        stream.Write(word);
    }
}
