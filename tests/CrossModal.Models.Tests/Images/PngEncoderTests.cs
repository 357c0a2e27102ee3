using System;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;

namespace CrossModal.Models.Tests.Images;

public class PngEncoderTests
{
    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(13, 7, 1)]
    [InlineData(300, 5, 2)]
    [InlineData(2, 200, 3)]
    public void Round_trips_random_and_smooth_images(int width, int height, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        var noise = new ImageData(width, height, pixels);
        Assert.Equal(pixels, new PngDecoder().Decode(PngEncoder.Encode(noise), "noise.png").Pixels);

        // A gradient with flat areas, where Sub/Up/Paeth win: the filter choice must still round-trip.
        var smooth = new byte[width * height * 3];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int i = ((y * width) + x) * 3;
                smooth[i] = (byte)(x * 3);
                smooth[i + 1] = (byte)(y * 5);
                smooth[i + 2] = (byte)((x + y) / 4 * 4);
            }
        }

        var gradient = new ImageData(width, height, smooth);
        byte[] encoded = PngEncoder.Encode(gradient);
        Assert.Equal(smooth, new PngDecoder().Decode(encoded, "smooth.png").Pixels);
    }

    [Fact]
    public void Adaptive_filtering_compresses_a_gradient_well()
    {
        const int size = 256;
        var pixels = new byte[size * size * 3];
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                int i = ((y * size) + x) * 3;
                pixels[i] = (byte)x;
                pixels[i + 1] = (byte)y;
                pixels[i + 2] = (byte)(x ^ y);
            }
        }

        byte[] encoded = PngEncoder.Encode(new ImageData(size, size, pixels));
        Assert.True(encoded.Length < pixels.Length / 10, $"{encoded.Length} bytes for {pixels.Length} raw");
    }

    [Fact]
    public void Writes_files_atomically_and_replaces_existing_ones()
    {
        string dir = Directory.CreateTempSubdirectory("crossmodal-png-").FullName;
        try
        {
            string path = Path.Combine(dir, "out.png");
            File.WriteAllText(path, "old contents");
            var image = new ImageData(3, 2, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18]);
            PngEncoder.Write(path, image);
            Assert.Equal(image.Pixels, ImageDecoder.Default.Decode(path).Pixels);
            Assert.Equal(new[] { Path.Combine(dir, "out.png") }, Directory.GetFiles(dir));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
