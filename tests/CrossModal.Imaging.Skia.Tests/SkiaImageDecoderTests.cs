using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using CrossModal.Models.Tests.Images;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace CrossModal.Imaging.Skia.Tests;

public class SkiaImageDecoderTests(ITestOutputHelper output)
{
    private const int Seed = 20261202;

    public static IEnumerable<object[]> OneFilePerFormat() =>
        new[] { "png/pillow_rgb_83x61.png", "jpeg/q75_422_97x71.jpg", "skia/gif_p_83x61.gif", "skia/bmp_rgb_83x61.bmp", "skia/webp_lossless_83x61.webp", "skia/webp_lossy_83x61.webp", "skia/ico_2sizes.ico" }
            .Select(f => new object[] { f });

    [Fact]
    public void Signatures_of_every_format_are_recognised_and_others_are_not()
    {
        var decoder = new SkiaImageDecoder();
        foreach (object[] c in OneFilePerFormat())
        {
            Assert.True(decoder.CanDecode(File.ReadAllBytes(ImageFixtures.Reference((string)c[0]))), (string)c[0]);
        }

        Assert.True(decoder.CanDecode([0, 0, 1, 0, 1, 0]));
        Assert.False(decoder.CanDecode(File.ReadAllBytes(ImageFixtures.Reference("pnm/p6_max255_13x7.ppm"))));
        Assert.False(decoder.CanDecode("RIFF\0\0\0\0WAVE"u8));
        Assert.False(decoder.CanDecode([]));
    }

    [Fact]
    public void Unknown_signature_is_an_InvalidDataException_naming_the_source()
    {
        var e = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder().Decode("P6\n1 1\n255\n\0\0\0"u8, "tiny.ppm"));
        Assert.StartsWith("tiny.ppm: not an image Skia decodes", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0L, 1L)]
    [InlineData(SkiaImageDecoder.AbsoluteMaxPixels + 1, 1L)]
    [InlineData(100L, 0L)]
    public void Limits_below_one_or_beyond_the_span_limit_are_refused(long maxPixels, long maxDecodedBytes)
        => Assert.ThrowsAny<ArgumentOutOfRangeException>(() => new SkiaImageDecoder(maxPixels, maxDecodedBytes));

    [Theory]
    [MemberData(nameof(OneFilePerFormat))]
    public void The_pixel_limit_is_checked_from_the_header_of_every_format(string fixture)
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.Reference(fixture));
        ImageData image = new SkiaImageDecoder().Decode(data, fixture);
        long pixels = (long)image.Width * image.Height;

        Assert.Equal(image.Width, new SkiaImageDecoder(maxPixels: pixels).Decode(data, fixture).Width);
        var e = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder(maxPixels: pixels - 1).Decode(data, fixture));
        Assert.StartsWith(fixture + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains($"{image.Width}×{image.Height} pixels, more than the limit of {pixels - 1}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_decoded_bytes_limit_counts_the_peak_RGBA_plus_RGB_memory()
    {
        byte[] data = File.ReadAllBytes(ImageFixtures.Reference("skia/webp_lossless_83x61.webp"));
        long peak = 83L * 61 * SkiaImageDecoder.PeakBytesPerPixel;
        Assert.Equal(83, new SkiaImageDecoder(maxDecodedBytes: peak).Decode(data, "a.webp").Width);
        var e = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder(maxDecodedBytes: peak - 1).Decode(data, "a.webp"));
        Assert.Contains($"needs {peak} bytes, more than the limit of {peak - 1}", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tiny_png_claiming_ten_billion_pixels_is_refused_before_anything_is_allocated()
    {
        // 100,000 × 100,000 RGBA would be 40 GB: had the decoder allocated first, this would fail with an
        // OutOfMemoryException, not the limit's message.
        byte[] png = File.ReadAllBytes(ImageFixtures.Reference("png/pillow_rgb_83x61.png"));
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), 100_000);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), 100_000);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), ImageMutations.Crc32(png.AsSpan(12, 17)));
        var e = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder().Decode(png, "bomb.png"));
        Assert.StartsWith("bomb.png: PNG header gives 100000×100000 pixels, more than the limit", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_files_are_refused_not_returned_partly_grey()
    {
        foreach (string fixture in new[] { "jpeg/q90_444_97x71.jpg", "png/pillow_rgb_83x61.png", "skia/webp_lossy_83x61.webp", "skia/gif_p_83x61.gif" })
        {
            byte[] data = File.ReadAllBytes(ImageFixtures.Reference(fixture));
            var e = Assert.Throws<InvalidDataException>(() => new SkiaImageDecoder().Decode(data.AsSpan(0, data.Length * 2 / 3), fixture));
            Assert.StartsWith(fixture + ": ", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Out_of_range_palette_indices_read_the_last_palette_entry_where_Pillow_reads_a_grey_ramp()
    {
        // The one documented PNG difference: indices beyond the PLTE entries are invalid PNG; Skia pads the palette
        // with its last colour, Pillow with the grey ramp (i, i, i). Every in-range pixel is identical.
        const string Fixture = "png/t3_d8_short_plte_8x3.png";
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference(Fixture));
        ReadOnlySpan<byte> plte = PngChunk(file, "PLTE");
        ReadOnlySpan<byte> last = plte[^3..];
        ImageData skia = new SkiaImageDecoder().Decode(file, Fixture);
        ImageData pillow = ImageFixtures.ExpectedRgb(Fixture);
        int differing = 0;
        for (int p = 0; p < skia.Width * skia.Height; p++)
        {
            ReadOnlySpan<byte> s = skia.Pixels.AsSpan(p * 3, 3), e = pillow.Pixels.AsSpan(p * 3, 3);
            if (!s.SequenceEqual(e))
            {
                differing++;
                Assert.True(s.SequenceEqual(last), $"pixel {p}: Skia {Convert.ToHexString(s)}, Pillow {Convert.ToHexString(e)}");
                Assert.True(e[0] == e[1] && e[1] == e[2], "Pillow's value for an out-of-range index is grey");
            }
        }

        Assert.True(differing > 0);
    }

    [Fact]
    public void Rgba_to_rgb_packing_matches_its_scalar_twin_at_every_length()
    {
        var random = new Random(Seed);
        for (int pixels = 1; pixels <= 41; pixels++)
        {
            var rgba = new byte[pixels * 4];
            random.NextBytes(rgba);
            var expected = new byte[pixels * 3];
            for (int p = 0; p < pixels; p++)
            {
                expected[p * 3] = rgba[p * 4];
                expected[(p * 3) + 1] = rgba[(p * 4) + 1];
                expected[(p * 3) + 2] = rgba[(p * 4) + 2];
            }

            var actual = new byte[pixels * 3];
            SkiaImageDecoder.Orient(actual, rgba, pixels, 1, origin: 1);
            Assert.Equal(expected, actual);
        }
    }

    [Fact]
    public void Plugs_into_the_ImageDecoder_facade_beside_the_managed_PNM_decoder()
    {
        var decoder = new ImageDecoder([new SkiaImageDecoder(), new PnmDecoder()]);
        Assert.Equal(83, decoder.Decode(ImageFixtures.Reference("skia/webp_lossy_83x61.webp")).Width);
        Assert.Equal(13, decoder.Decode(ImageFixtures.Reference("pnm/p6_max255_13x7.ppm")).Width);
    }

    [Fact]
    public void The_decoder_set_sends_jpeg_to_turbojpeg_only_when_orientation_is_not_applied()
    {
        ImageDecoder oriented = SkiaImageDecoder.CreateDecoderSet();
        Assert.IsType<SkiaImageDecoder>(oriented.Decoders[0]);
        Assert.Equal(40, oriented.Decode(ImageFixtures.Reference("skia/exif_6_64x40.jpg")).Width);

        ImageDecoder stored = SkiaImageDecoder.CreateDecoderSet(applyExifOrientation: false);
        Assert.Equal(JpegDecoder.IsAvailable ? typeof(JpegDecoder) : typeof(SkiaImageDecoder), stored.Decoders[0].GetType());
        Assert.Equal(64, stored.Decode(ImageFixtures.Reference("skia/exif_6_64x40.jpg")).Width);
        Assert.Equal(83, stored.Decode(ImageFixtures.Reference("skia/gif_p_83x61.gif")).Width);
        Assert.Equal(13, stored.Decode(ImageFixtures.Reference("pnm/p6_max255_13x7.ppm")).Width);
    }

    /// <summary>
    /// The core decoders' mutation fuzz (<see cref="ImageMutations"/>), 1,000 mutants over every PNG, JPEG, GIF, BMP
    /// and WebP fixture, half the PNG mutants with repaired CRCs: Skia either returns a well-formed image or throws
    /// <see cref="InvalidDataException"/> naming the file — never another exception.
    /// </summary>
    [Fact]
    public void Mutants_of_every_format_decode_or_fail_with_InvalidDataException_naming_the_file()
    {
        var fixtures = new List<string>();
        foreach (string folder in new[] { "png", "jpeg", "skia" })
        {
            fixtures.AddRange(Directory.GetFiles(ImageFixtures.Reference(folder)).Where(f => !f.EndsWith(".npy", StringComparison.Ordinal)));
        }

        fixtures.Sort(StringComparer.Ordinal);
        const int Mutants = 1000;
        var (decoded, refused) = ImageMutations.Fuzz(new SkiaImageDecoder(maxPixels: 1 << 20), fixtures, Mutants, Seed, fixPngCrcs: true);
        output.WriteLine($"{Mutants} mutants of {fixtures.Count} files: {decoded} decoded, {refused} refused with InvalidDataException");
        Assert.True(refused > Mutants / 10, "the mutations should break most files");
    }

    private static ReadOnlySpan<byte> PngChunk(byte[] file, string type)
    {
        for (int pos = 8; pos + 8 <= file.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(file.AsSpan(pos));
            if (System.Text.Encoding.ASCII.GetString(file, pos + 4, 4) == type)
            {
                return file.AsSpan(pos + 8, length);
            }

            pos += 12 + length;
        }

        throw new XunitException($"no {type} chunk");
    }
}
