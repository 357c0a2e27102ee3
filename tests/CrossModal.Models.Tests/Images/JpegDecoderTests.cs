using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;
using Xunit.Abstractions;

namespace CrossModal.Models.Tests.Images;

public class JpegDecoderTests(ITestOutputHelper output)
{
    /// <summary>
    /// Largest per-byte difference allowed from Pillow. Both use libjpeg-turbo with the accurate integer IDCT and
    /// fancy upsampling, so on the development machine (Debian libjpeg-turbo 2.1.5 on both sides) the measured
    /// difference is 0 on every fixture and photograph; a different libjpeg-turbo build (SIMD paths, version) may
    /// round some samples differently, hence the margin.
    /// </summary>
    private const int Tolerance = 2;

    public static IEnumerable<object[]> JpegCases => ImageFixtures.Cases("jpeg");

    public static IEnumerable<object[]> DecodedPhotos
    {
        get
        {
            foreach (string id in ImageFixtures.DecodedPhotoIds)
            {
                yield return [id];
            }
        }
    }

    [JpegTheory]
    [MemberData(nameof(JpegCases))]
    public void Decodes_like_Pillow(string fixture)
    {
        ImageData actual = new JpegDecoder().Decode(File.ReadAllBytes(ImageFixtures.Reference(fixture)), fixture);
        int max = ImageFixtures.MaxAbsDifference(actual, ImageFixtures.ExpectedRgb(fixture));
        output.WriteLine($"{fixture}: max |C# − Pillow| = {max}");
        Assert.InRange(max, 0, Tolerance);
    }

    [JpegTheory]
    [MemberData(nameof(DecodedPhotos))]
    public void Decodes_real_photographs_like_Pillow(string id)
    {
        ImageData actual = ImageDecoder.Default.Decode(ImageFixtures.Photo(id));
        ImageData expected = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{id}.rgb.npy.gz")));
        int max = ImageFixtures.MaxAbsDifference(actual, expected);
        output.WriteLine($"{id}: {actual.Width}×{actual.Height}, max |C# − Pillow| = {max}");
        Assert.InRange(max, 0, Tolerance);
    }

    [JpegFact]
    public void Cmyk_is_refused_with_a_reason()
    {
        var e = Assert.Throws<InvalidDataException>(
            () => new JpegDecoder().Decode(File.ReadAllBytes(ImageFixtures.Reference("jpeg/cmyk_97x71.jpg")), "cmyk.jpg"));
        Assert.StartsWith("cmyk.jpg: unsupported JPEG: CMYK/YCCK", e.Message, StringComparison.Ordinal);
    }

    [JpegFact]
    public void Truncated_and_corrupt_files_are_InvalidDataExceptions_naming_the_file()
    {
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference("jpeg/q90_444_97x71.jpg"));
        var decoder = new JpegDecoder();
        foreach (int length in new[] { 3, 20, 200, file.Length / 2, file.Length - 2 })
        {
            var e = Assert.Throws<InvalidDataException>(() => decoder.Decode(file.AsSpan(0, length), "cut.jpg"));
            Assert.StartsWith("cut.jpg: ", e.Message, StringComparison.Ordinal);
            output.WriteLine($"{length} bytes: {e.Message}");
        }
    }

    [JpegFact]
    public void A_header_promising_too_many_pixels_is_refused()
    {
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference("jpeg/q90_444_97x71.jpg"));
        var e = Assert.Throws<InvalidDataException>(() => new JpegDecoder(maxPixels: 97 * 71 - 1).Decode(file, "big.jpg"));
        Assert.Equal("big.jpg: JPEG header gives 97×71 pixels, more than the limit of 6886 (a decompression-bomb guard; raise it through the decoder's maxPixels argument).", e.Message);
    }

    [Fact]
    public void Without_libturbojpeg_the_error_names_the_package()
    {
        var decoder = new JpegDecoder(ImageDecoderLimits.DefaultMaxPixels, ["libturbojpeg-absent-for-test.so.0"]);
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference("jpeg/q90_444_97x71.jpg"));
        var e = Assert.Throws<DllNotFoundException>(() => decoder.Decode(file, "photo.jpg"));
        Assert.Contains("photo.jpg", e.Message, StringComparison.Ordinal);
        Assert.Contains("apt-get install libturbojpeg0", e.Message, StringComparison.Ordinal);
        Assert.Contains("libturbojpeg-absent-for-test.so.0", e.Message, StringComparison.Ordinal);
    }
}
