using System;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;

namespace CrossModal.Models.Tests.Images;

public class ImageResamplerTests
{
    /// <summary>
    /// The fixed-point resampler against its slow twin in double precision. Pillow rounds each 22-bit coefficient
    /// and the twin does not, which moves an intermediate 8-bit sample by at most 1; the vertical pass can carry that
    /// through its overshooting cubic lobes (Σ|k| ≤ 1.3) and round once more, hence 2.
    /// </summary>
    private const int TwinTolerance = 2;

    [Theory]
    [InlineData(64, 48, 20, 15)]  // downscale 3.2×
    [InlineData(17, 9, 40, 31)]   // upscale
    [InlineData(100, 7, 33, 7)]   // horizontal only
    [InlineData(5, 80, 5, 11)]    // vertical only
    [InlineData(3, 3, 1, 1)]
    [InlineData(1, 1, 6, 4)]
    public void Matches_the_double_precision_twin(int width, int height, int outWidth, int outHeight)
    {
        var pixels = new byte[width * height * 3];
        new Random(width * 31 + height).NextBytes(pixels);
        var image = new ImageData(width, height, pixels);
        ImageData fast = ImageResampler.ResizeBicubic(image, outWidth, outHeight);
        ImageData slow = SlowResize(image, outWidth, outHeight);
        Assert.InRange(ImageFixtures.MaxAbsDifference(fast, slow), 0, TwinTolerance);
    }

    [Fact]
    public void A_cropped_window_equals_cropping_the_full_resize()
    {
        var pixels = new byte[90 * 70 * 3];
        new Random(3).NextBytes(pixels);
        var image = new ImageData(90, 70, pixels);
        ImageData full = ImageResampler.ResizeBicubic(image, 41, 29);
        ImageData window = ImageResampler.ResizeBicubic(image, 41, 29, 5, 3, 30, 20);
        for (int y = 0; y < 20; y++)
        {
            Assert.Equal(full.Pixels.AsSpan((((y + 3) * 41) + 5) * 3, 90).ToArray(), window.Pixels.AsSpan(y * 90, 90).ToArray());
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ImageResampler.ResizeBicubic(image, 41, 29, 12, 0, 30, 20));
    }

    [Fact]
    public void Same_size_is_an_exact_copy()
    {
        var pixels = new byte[9 * 4 * 3];
        new Random(9).NextBytes(pixels);
        Assert.Equal(pixels, ImageResampler.ResizeBicubic(new ImageData(9, 4, pixels), 9, 4).Pixels);
    }

    /// <summary>Pillow's algorithm written plainly in double precision: per output pixel, Keys' cubic (a = −0.5)
    /// stretched by the downscale factor, weights normalised to sum 1, horizontal pass rounded to 8 bits, then
    /// vertical pass.</summary>
    private static ImageData SlowResize(ImageData image, int outWidth, int outHeight)
    {
        byte[] across = image.Width == outWidth ? image.Pixels : Pass(image.Pixels, image.Width, image.Height, outWidth, horizontal: true);
        byte[] result = image.Height == outHeight ? across : Pass(across, outWidth, image.Height, outHeight, horizontal: false);
        return new ImageData(outWidth, outHeight, result);
    }

    private static byte[] Pass(byte[] source, int width, int height, int outSize, bool horizontal)
    {
        int inSize = horizontal ? width : height;
        int outWidth = horizontal ? outSize : width, outHeight = horizontal ? height : outSize;
        var result = new byte[outWidth * outHeight * 3];
        double scale = (double)inSize / outSize, stretch = Math.Max(scale, 1.0), support = 2 * stretch;
        for (int o = 0; o < outSize; o++)
        {
            double center = (o + 0.5) * scale;
            int lo = Math.Max(0, (int)Math.Floor(center - support + 0.5)), hi = Math.Min(inSize, (int)Math.Floor(center + support + 0.5));
            var weights = new double[hi - lo];
            double total = 0;
            for (int i = lo; i < hi; i++)
            {
                total += weights[i - lo] = Cubic((i - center + 0.5) / stretch);
            }

            for (int other = 0; other < (horizontal ? height : width); other++)
            {
                for (int c = 0; c < 3; c++)
                {
                    double sum = 0;
                    for (int i = lo; i < hi; i++)
                    {
                        int index = horizontal ? (((other * width) + i) * 3) + c : (((i * width) + other) * 3) + c;
                        sum += source[index] * weights[i - lo] / total;
                    }

                    int outIndex = horizontal ? (((other * outWidth) + o) * 3) + c : (((o * outWidth) + other) * 3) + c;
                    result[outIndex] = (byte)Math.Clamp(Math.Floor(sum + 0.5), 0, 255);
                }
            }
        }

        return result;
    }

    private static double Cubic(double x)
    {
        x = Math.Abs(x);
        return x < 1 ? (1.5 * x * x * x) - (2.5 * x * x) + 1 : x < 2 ? (-0.5 * x * x * x) + (2.5 * x * x) - (4 * x) + 2 : 0;
    }
}
