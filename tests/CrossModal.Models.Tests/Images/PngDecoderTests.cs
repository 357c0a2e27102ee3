using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;

namespace CrossModal.Models.Tests.Images;

public class PngDecoderTests
{
    private const string Name = "test-image.png";

    public static IEnumerable<object[]> PngCases => ImageFixtures.Cases("png");

    [Theory]
    [MemberData(nameof(PngCases))]
    public void Decodes_exactly_like_Pillow_convert_RGB(string fixture)
    {
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference(fixture));
        ImageData actual = new PngDecoder().Decode(file, fixture);
        ImageData expected = ImageFixtures.ExpectedRgb(fixture);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.Equal(expected.Pixels, actual.Pixels);
    }

    [Fact]
    public void Fixtures_cover_every_colour_type_and_bit_depth_plain_and_interlaced()
    {
        var names = new HashSet<string>();
        foreach (object[] c in PngCases)
        {
            names.Add(Path.GetFileName((string)c[0]));
        }

        foreach (var (type, depths) in new[] { (0, new[] { 1, 2, 4, 8, 16 }), (2, [8, 16]), (3, [1, 2, 4, 8]), (4, [8, 16]), (6, [8, 16]) })
        {
            foreach (int depth in depths)
            {
                Assert.Contains(names, n => n.StartsWith($"t{type}_d{depth}_", StringComparison.Ordinal) && !n.Contains("adam7", StringComparison.Ordinal));
                Assert.Contains(names, n => n.StartsWith($"t{type}_d{depth}_adam7_", StringComparison.Ordinal));
            }
        }
    }

    [Fact]
    public void Every_truncation_of_a_file_is_an_InvalidDataException_naming_it()
    {
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference("png/t2_d8_filter4_14x9.png"));
        var decoder = new PngDecoder();
        for (int length = 0; length < file.Length; length++)
        {
            var e = Assert.Throws<InvalidDataException>(() => decoder.Decode(file.AsSpan(0, length), Name));
            Assert.StartsWith(Name + ": ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_bad_CRC_is_reported_with_the_chunk()
    {
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference("png/t2_d8_filter4_14x9.png"));
        file[8 + 8 + 3] ^= 1; // a byte of the IHDR width
        var e = Assert.Throws<InvalidDataException>(() => new PngDecoder().Decode(file, Name));
        Assert.Equal(Name + ": corrupt PNG: CRC mismatch in chunk 'IHDR' at byte 8.", e.Message);
    }

    [Fact]
    public void A_decompression_bomb_is_refused_before_allocating()
    {
        // A valid 100000 × 100000 header with a tiny IDAT: 10^10 pixels, refused from the header alone.
        byte[] file = BuildPng(100_000, 100_000, 8, 2, new byte[] { 0 });
        var e = Assert.Throws<InvalidDataException>(() => new PngDecoder().Decode(file, Name));
        Assert.Contains("100000×100000 pixels, more than the limit of 89478485", e.Message, StringComparison.Ordinal);

        var small = new PngDecoder(maxPixels: 100);
        e = Assert.Throws<InvalidDataException>(() => small.Decode(BuildPng(11, 10, 8, 2, new byte[10 * 34]), Name));
        Assert.Contains("11×10 pixels, more than the limit of 100", e.Message, StringComparison.Ordinal);
        Assert.Equal(10, small.Decode(BuildPng(10, 10, 8, 2, new byte[10 * 31]), Name).Width);
    }

    [Theory]
    [InlineData(2, 4, "colour type 2 with bit depth 4 is not allowed")]
    [InlineData(3, 16, "colour type 3 with bit depth 16 is not allowed")]
    [InlineData(5, 8, "colour type 5 with bit depth 8 is not allowed")]
    public void Disallowed_colour_type_and_depth_pairs_are_refused(int colourType, int depth, string message)
    {
        var e = Assert.Throws<InvalidDataException>(() => new PngDecoder().Decode(BuildPng(2, 2, depth, colourType, new byte[64]), Name));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Structural_errors_name_the_problem()
    {
        var decoder = new PngDecoder();
        // Image data one row short.
        var e = Assert.Throws<InvalidDataException>(() => decoder.Decode(BuildPng(4, 3, 8, 0, new byte[2 * 5]), Name));
        Assert.Contains("truncated PNG: the image data ends at row 2 of 3", e.Message, StringComparison.Ordinal);
        // Filter type 5 does not exist.
        e = Assert.Throws<InvalidDataException>(() => decoder.Decode(BuildPng(4, 1, 8, 0, [5, 0, 0, 0, 0]), Name));
        Assert.Contains("unknown row filter type 5", e.Message, StringComparison.Ordinal);
        // A palette image needs PLTE.
        e = Assert.Throws<InvalidDataException>(() => decoder.Decode(BuildPng(1, 1, 8, 3, [0, 0]), Name));
        Assert.Contains("without a PLTE chunk", e.Message, StringComparison.Ordinal);
        // Not zlib at all.
        e = Assert.Throws<InvalidDataException>(() => decoder.Decode(BuildPng(1, 1, 8, 0, [0, 0], rawIdat: [1, 2, 3, 4, 5, 6]), Name));
        Assert.Contains("zlib image data is invalid", e.Message, StringComparison.Ordinal);
        // An unknown critical chunk.
        e = Assert.Throws<InvalidDataException>(() => decoder.Decode(BuildPng(1, 1, 8, 0, [0, 0], extraChunk: "ABCD"), Name));
        Assert.Contains("unknown critical chunk 'ABCD'", e.Message, StringComparison.Ordinal);
        // An unknown ancillary chunk is skipped.
        Assert.Equal(1, decoder.Decode(BuildPng(1, 1, 8, 0, [0, 7], extraChunk: "abCD"), Name).Width);
        // Not a PNG.
        e = Assert.Throws<InvalidDataException>(() => decoder.Decode("GIF89a"u8, Name));
        Assert.Contains("PNG signature is missing", e.Message, StringComparison.Ordinal);
    }

    /// <summary>A PNG with one IDAT holding <paramref name="scanlines"/> (filter bytes included) deflated, or
    /// <paramref name="rawIdat"/> as is, and optionally one extra empty chunk before it.</summary>
    internal static byte[] BuildPng(int width, int height, int depth, int colourType, byte[] scanlines, byte[]? rawIdat = null, string? extraChunk = null)
    {
        using var file = new MemoryStream();
        file.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = (byte)depth;
        ihdr[9] = (byte)colourType;
        WriteChunk(file, "IHDR", ihdr);
        if (extraChunk is not null)
        {
            WriteChunk(file, extraChunk, []);
        }

        if (rawIdat is null)
        {
            using var z = new MemoryStream();
            using (var deflate = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true))
            {
                deflate.Write(scanlines);
            }

            rawIdat = z.ToArray();
        }

        WriteChunk(file, "IDAT", rawIdat);
        WriteChunk(file, "IEND", []);
        return file.ToArray();
    }

    internal static void WriteChunk(Stream stream, string type, byte[] body)
    {
        var word = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, body.Length);
        stream.Write(word);
        byte[] typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        stream.Write(typeBytes);
        stream.Write(body);
        BinaryPrimitives.WriteUInt32BigEndian(word, ImageMutations.Crc32([.. typeBytes, .. body]));
        stream.Write(word);
    }
}
