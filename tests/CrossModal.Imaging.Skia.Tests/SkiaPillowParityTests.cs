using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using CrossModal.Models.Tests.Images;
using Xunit;
using Xunit.Abstractions;

namespace CrossModal.Imaging.Skia.Tests;

/// <summary>
/// Skia's pixels against Pillow 9.4's <c>Image.open(f).convert("RGB")</c> on the committed fixtures
/// (tests/reference/make_image_fixtures.py and make_skia_image_fixtures.py). Lossless formats must agree byte for
/// byte; JPEG within <see cref="JpegTolerance"/>.
/// </summary>
public class SkiaPillowParityTests(ITestOutputHelper output)
{
    /// <summary>
    /// Largest per-sample JPEG difference accepted. Skia's bundled libjpeg-turbo decodes with the accurate integer
    /// IDCT and smooth ("fancy") chroma upsampling, the settings Pillow and the core <see cref="JpegDecoder"/> use
    /// with Debian's libjpeg-turbo 2.1.5, and the measured difference on every fixture and photograph is 0
    /// (docs/images.md). The bar is the core decoder's: 2 levels, because libjpeg-turbo does not promise bit-identical
    /// output across versions (its SIMD and merged-upsampling paths have changed rounding before), and a SkiaSharp
    /// update brings a new copy. The mean is held tighter, so a systematic shift — a colour conversion, another IDCT —
    /// cannot hide under the maximum.
    /// </summary>
    internal const int JpegTolerance = 2;

    /// <summary>Largest mean absolute JPEG difference accepted, in levels.</summary>
    internal const double JpegMeanTolerance = 0.05;

    private static readonly SkiaImageDecoder Decoder = new();

    /// <summary>Every PNG fixture but the one with out-of-range palette indices (invalid PNG, where Skia and Pillow
    /// differ by design: SkiaImageDecoderTests pins what each does).</summary>
    public static IEnumerable<object[]> PngCases() =>
        ImageFixtures.Cases("png").Where(c => !((string)c[0]).Contains("short_plte", StringComparison.Ordinal));

    public static IEnumerable<object[]> LosslessCases() =>
        ImageFixtures.Cases("skia").Where(c => !((string)c[0]).Contains(".jp", StringComparison.Ordinal) && !((string)c[0]).Contains("lossy", StringComparison.Ordinal));

    public static IEnumerable<object[]> JpegCases() => ImageFixtures.Cases("jpeg");

    [Theory]
    [MemberData(nameof(PngCases))]
    public void Png_matches_Pillow_exactly(string fixture) => AssertExact(fixture);

    [Theory]
    [MemberData(nameof(LosslessCases))]
    public void Gif_bmp_ico_lossless_webp_and_rgba_png_match_Pillow_exactly(string fixture) => AssertExact(fixture);

    [Fact]
    public void Lossy_webp_matches_Pillow_within_one_level()
    {
        // Both sides run libwebp's decoder (Pillow: Debian's 1.2.4; Skia: its bundled copy) with the same default
        // "fancy" upsampling; only the YUV→RGB rounding could differ between versions (measured: 0).
        var (max, mean) = Compare(Decoder.Decode(ImageFixtures.Reference("skia/webp_lossy_83x61.webp")), ImageFixtures.ExpectedRgb("skia/webp_lossy_83x61.webp"));
        output.WriteLine($"lossy WebP: max {max}, mean {mean:F4}");
        Assert.True(max <= 1, $"max |Skia − Pillow| = {max}");
    }

    [Theory]
    [MemberData(nameof(JpegCases))]
    public void Small_jpegs_match_Pillow_within_the_tolerance(string fixture)
    {
        var (max, mean) = Compare(Decoder.Decode(ImageFixtures.Reference(fixture)), ImageFixtures.ExpectedRgb(fixture));
        output.WriteLine($"{fixture}: max {max}, mean {mean:F4}");
        Assert.True(max <= JpegTolerance && mean <= JpegMeanTolerance, $"{fixture}: max {max}, mean {mean:F4}");
    }

    [Fact]
    public void Photographs_match_Pillow_within_the_tolerance()
    {
        foreach (string id in ImageFixtures.DecodedPhotoIds)
        {
            ImageData expected = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{id}.rgb.npy.gz")));
            var (max, mean) = Compare(Decoder.Decode(ImageFixtures.Photo(id)), expected);
            output.WriteLine($"{id}.jpg ({expected.Width}×{expected.Height}): max {max}, mean {mean:F4}");
            Assert.True(max <= JpegTolerance && mean <= JpegMeanTolerance, $"{id}: max {max}, mean {mean:F4}");
        }
    }

    [Fact]
    public void Cmyk_jpeg_which_the_core_decoder_refuses_decodes()
    {
        ImageData image = Decoder.Decode(ImageFixtures.Reference("jpeg/cmyk_97x71.jpg"));
        Assert.Equal((97, 71), (image.Width, image.Height));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Exif_orientation_is_applied_like_Pillows_exif_transpose(int orientation)
    {
        string fixture = $"skia/exif_{orientation}_64x40.jpg";
        ImageData image = Decoder.Decode(ImageFixtures.Reference(fixture));
        ImageData expected = ImageFixtures.ExpectedRgb(fixture);
        Assert.Equal(orientation >= 5 ? (40, 64) : (64, 40), (image.Width, image.Height));

        // A wrong rotation or mirror moves the 20×12 white block and the green stripe: differences of ~200 levels.
        var (max, mean) = Compare(image, expected);
        output.WriteLine($"{fixture}: max {max}, mean {mean:F4}");
        Assert.True(max <= JpegTolerance && mean <= JpegMeanTolerance, $"{fixture}: max {max}, mean {mean:F4}");
    }

    [Theory]
    [InlineData(3)]
    [InlineData(6)]
    [InlineData(8)]
    public void Exif_orientation_can_be_ignored_as_Pillows_Image_open_does(int orientation)
    {
        string path = ImageFixtures.Reference($"skia/exif_{orientation}_64x40.jpg");
        ImageData image = new SkiaImageDecoder(applyExifOrientation: false).Decode(path);
        ImageData expected = ImageFixtures.ToImage(Npy.Read(path + ".raw.npy"));
        var (max, mean) = Compare(image, expected);
        Assert.True(max <= JpegTolerance && mean <= JpegMeanTolerance, $"max {max}, mean {mean:F4}");
    }

    private void AssertExact(string fixture)
    {
        ImageData actual = Decoder.Decode(ImageFixtures.Reference(fixture));
        ImageData expected = ImageFixtures.ExpectedRgb(fixture);
        var (max, mean) = Compare(actual, expected);
        output.WriteLine($"{fixture}: max {max}, mean {mean:F4}");
        Assert.Equal(0, max);
    }

    /// <summary>Largest and mean absolute per-sample difference of two equally sized images.</summary>
    internal static (int Max, double Mean) Compare(ImageData actual, ImageData expected)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int max = 0;
        long sum = 0;
        for (int i = 0; i < expected.Pixels.Length; i++)
        {
            int d = Math.Abs(actual.Pixels[i] - expected.Pixels[i]);
            max = Math.Max(max, d);
            sum += d;
        }

        return (max, (double)sum / expected.Pixels.Length);
    }
}
