using System;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;

namespace CrossModal.Models.Tests.Images;

public class ImageDecoderTests
{
    [Fact]
    public void Chooses_the_decoder_by_signature_not_by_extension()
    {
        string dir = Directory.CreateTempSubdirectory("crossmodal-images-").FullName;
        try
        {
            // A PNG named .jpg and a PPM named .png decode by their content.
            string png = Path.Combine(dir, "actually-a-png.jpg");
            File.Copy(ImageFixtures.Reference("png/t2_d8_filter1_14x9.png"), png);
            Assert.Equal(ImageFixtures.ExpectedRgb("png/t2_d8_filter1_14x9.png").Pixels, ImageDecoder.Default.Decode(png).Pixels);
            string ppm = Path.Combine(dir, "actually-a-ppm.png");
            File.Copy(ImageFixtures.Reference("pnm/p6_max255_13x7.ppm"), ppm);
            Assert.Equal(ImageFixtures.ExpectedRgb("pnm/p6_max255_13x7.ppm").Pixels, ImageDecoder.Default.Decode(ppm).Pixels);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void An_unknown_signature_is_an_InvalidDataException_naming_the_file()
    {
        var e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Default.Decode("GIF89a\x01\x00"u8.ToArray(), "anim.gif"));
        Assert.Equal("anim.gif: not a supported image (it starts with 4749463839610100); expected the signature of PNG, JPEG or binary PGM/PPM (P5/P6).", e.Message);
        e = Assert.Throws<InvalidDataException>(() => ImageDecoder.Default.Decode([], "empty.png"));
        Assert.StartsWith("empty.png: not a supported image (the file is empty)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_a_FileNotFoundException()
        => Assert.Throws<FileNotFoundException>(() => ImageDecoder.Default.Decode(Path.Combine(Path.GetTempPath(), "no-such-image-7f3a.png")));

    [Fact]
    public void Custom_decoders_are_asked_in_order()
    {
        var custom = new ImageDecoder([new ConstantDecoder(), new PngDecoder()]);
        Assert.True(custom.CanDecode("BMxx"u8));
        Assert.Equal(7, custom.Decode("BMxx"u8, "x.bmp").Width);
        Assert.False(custom.CanDecode("P6 "u8));
        Assert.Throws<ArgumentException>(() => new ImageDecoder([]));
    }

    private sealed class ConstantDecoder : IImageDecoder
    {
        public bool CanDecode(ReadOnlySpan<byte> header) => header.StartsWith("BM"u8);

        public ImageData Decode(ReadOnlySpan<byte> data, string sourceName) => new(7, 1, new byte[21]);
    }
}
