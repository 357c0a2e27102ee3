using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;

namespace CrossModal.Models.Tests.Images;

public class PnmDecoderTests
{
    private const string Name = "test-image.ppm";

    public static IEnumerable<object[]> PnmCases => ImageFixtures.Cases("pnm");

    [Theory]
    [MemberData(nameof(PnmCases))]
    public void Decodes_exactly_like_Pillow(string fixture)
    {
        byte[] file = File.ReadAllBytes(ImageFixtures.Reference(fixture));
        ImageData actual = new PnmDecoder().Decode(file, fixture);
        ImageData expected = ImageFixtures.ExpectedRgb(fixture);
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.Equal(expected.Pixels, actual.Pixels);
    }

    [Fact]
    public void Scales_samples_as_Pillow_with_round_half_even_and_saturation()
    {
        // maxval 2: 0 → 0, 1 → round(127.5) = 128 (half to even), 2 → 255, 3 (> maxval) → 255.
        byte[] file = [.. "P5 4 1 2\n"u8, 0, 1, 2, 3];
        Assert.Equal(new byte[] { 0, 0, 0, 128, 128, 128, 255, 255, 255, 255, 255, 255 }, new PnmDecoder().Decode(file, Name).Pixels);
        // 16-bit: 65535 at maxval 65535 is 255; 32768 → round(127.50194…) = 128.
        file = [.. "P6 1 1 65535\n"u8, 0xFF, 0xFF, 0x80, 0x00, 0x00, 0x00];
        Assert.Equal(new byte[] { 255, 128, 0 }, new PnmDecoder().Decode(file, Name).Pixels);
    }

    [Theory]
    [InlineData("P6 2 2 0\n", "maxval 0 is outside 1..65535")]
    [InlineData("P6 2 2 65536\n", "maxval 65536 is outside 1..65535")]
    [InlineData("P6 2 x 255\n", "expected a decimal height")]
    [InlineData("P6 2 2 255", "expected one whitespace byte after maxval")]
    [InlineData("P6 0 2 255\n", "empty image (0×2)")]
    [InlineData("P6 99999999999 2 255\n", "the width has more than 10 digits")]
    [InlineData("P6 100000 100000 255\n", "100000×100000 pixels, more than the limit")]
    [InlineData("P6 2 2 255\n\x01\x02", "the raster needs 12 bytes after the header but only 2 remain")]
    [InlineData("P5 2 2 1000\n\x01\x02\x03", "the raster needs 8 bytes after the header but only 3 remain")]
    public void Bad_headers_and_short_rasters_are_InvalidDataExceptions_naming_the_file(string content, string message)
    {
        byte[] file = Encoding.Latin1.GetBytes(content);
        var e = Assert.Throws<InvalidDataException>(() => new PnmDecoder().Decode(file, Name));
        Assert.StartsWith(Name + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Recognises_only_binary_greymaps_and_pixmaps()
    {
        var decoder = new PnmDecoder();
        Assert.True(decoder.CanDecode("P5\n"u8));
        Assert.True(decoder.CanDecode("P6 "u8));
        Assert.False(decoder.CanDecode("P3 "u8)); // ASCII pixmaps are not supported
        Assert.False(decoder.CanDecode("P6x"u8));
        Assert.False(decoder.CanDecode("P6"u8));
    }
}
