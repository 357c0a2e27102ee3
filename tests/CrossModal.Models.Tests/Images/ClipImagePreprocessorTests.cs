using System;
using System.Collections.Generic;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;
using Xunit.Abstractions;

namespace CrossModal.Models.Tests.Images;

public class ClipImagePreprocessorTests(ITestOutputHelper output)
{
    /// <summary>The parity bar, 2/255 per pixel before normalisation, for input decoded by our JPEG
    /// decoder (libjpeg-turbo builds may differ). Measured: 0 on all six photographs with Debian's 2.1.5.</summary>
    private const int PixelTolerance = 2;

    /// <summary>From Pillow's own decoded pixels the resampler is exact: it reproduces Pillow's fixed-point integer
    /// arithmetic, and its double-precision coefficients are computed by the same IEEE operations in the same order.</summary>
    private const int ExactParity = 0;

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

    public static IEnumerable<object[]> AllPhotos
    {
        get
        {
            foreach (string id in ImageFixtures.PhotoIds)
            {
                yield return [id];
            }
        }
    }

    [Theory]
    [MemberData(nameof(DecodedPhotos))]
    public void Resize_and_crop_of_Pillow_decoded_photos_match_torchvision_and_Pillow(string id)
    {
        ImageData source = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{id}.rgb.npy.gz")));
        foreach (int size in new[] { 224, 32 })
        {
            string suffix = size == 224 ? "crop224.npy.gz" : "crop32.npy";
            ImageData expected = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{id}.{suffix}")));
            int max = ImageFixtures.MaxAbsDifference(new ClipImagePreprocessor(size).ResizeAndCrop(source), expected);
            output.WriteLine($"{id} {source.Width}×{source.Height} → {size}: max |C# − Pillow| = {max}/255");
            Assert.Equal(ExactParity, max);
        }
    }

    [Theory]
    [InlineData("upscale")]  // 150 × 97 → 346 × 224: upsampling, where the filter support is not widened
    [InlineData("short224")] // 261 × 224: already the right size, only the centre crop applies
    public void Upscaling_and_already_sized_images_match(string name)
    {
        ImageData source = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{name}.src.npy.gz")));
        ImageData expected = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{name}.crop224.npy.gz")));
        int max = ImageFixtures.MaxAbsDifference(new ClipImagePreprocessor().ResizeAndCrop(source), expected);
        output.WriteLine($"{name}: max |C# − Pillow| = {max}/255");
        Assert.Equal(ExactParity, max);
    }

    [JpegTheory]
    [MemberData(nameof(AllPhotos))]
    public void End_to_end_from_the_JPEG_file_matches_CLIPs_preprocessing(string id)
    {
        ImageData image = ImageDecoder.Default.Decode(ImageFixtures.Photo(id));
        ImageData expected = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{id}.crop224.npy.gz")));
        int max = ImageFixtures.MaxAbsDifference(new ClipImagePreprocessor().ResizeAndCrop(image), expected);
        output.WriteLine($"{id}: JPEG → 224 crop, max |C# − Pillow| = {max}/255");
        Assert.InRange(max, 0, PixelTolerance);
    }

    [Fact]
    public void Normalised_tensor_equals_ToTensor_then_Normalize_in_float32()
    {
        const string id = "000000161044";
        ImageData source = ImageFixtures.ToImage(Npy.Read(ImageFixtures.Reference($"photos/{id}.rgb.npy.gz")));
        Npy expected = Npy.Read(ImageFixtures.Reference($"photos/{id}.norm224.npy.gz"));
        Assert.Equal([3, 224, 224], expected.Shape);
        float[] actual = new ClipImagePreprocessor().Preprocess(source);
        float[] reference = expected.Floats();
        float max = 0;
        for (int i = 0; i < reference.Length; i++)
        {
            max = Math.Max(max, Math.Abs(actual[i] - reference[i]));
        }

        output.WriteLine($"max |C# − torch-style float32| = {max}");
        // Same uint8 crop, same float32 operations in the same order: bit-identical.
        Assert.Equal(reference, actual);
    }

    [Theory]
    [InlineData(640, 480, 224, 298, 224)]
    [InlineData(480, 640, 224, 224, 298)]
    [InlineData(640, 229, 224, 626, 224)]
    [InlineData(612, 612, 224, 224, 224)]
    [InlineData(224, 300, 224, 224, 300)] // shorter side already 224: untouched
    [InlineData(300, 224, 224, 300, 224)]
    [InlineData(150, 97, 224, 346, 224)]  // int(224 · 150 / 97) = int(346.39…)
    [InlineData(3, 1000, 224, 224, 74666)]
    public void Resized_size_follows_torchvision(int width, int height, int size, int expectedWidth, int expectedHeight)
        => Assert.Equal((expectedWidth, expectedHeight), ClipImagePreprocessor.ResizedSize(width, height, size));

    [Theory]
    [InlineData(225, 0)] // (225 − 224) / 2 = 0.5 → 0 (round half to even)
    [InlineData(226, 1)]
    [InlineData(227, 2)] // 1.5 → 2
    [InlineData(229, 2)] // 2.5 → 2
    public void Centre_crop_rounds_half_to_even_like_Python(int width, int expectedLeft)
    {
        // Shorter side 224, so only the crop applies; each pixel's red byte is its column.
        var pixels = new byte[width * 224 * 3];
        for (int i = 0; i < width * 224; i++)
        {
            pixels[3 * i] = (byte)(i % width);
        }

        ImageData crop = new ClipImagePreprocessor().ResizeAndCrop(new ImageData(width, 224, pixels));
        Assert.Equal(expectedLeft, crop.Pixels[0]);
        Assert.Equal((224, 224), (crop.Width, crop.Height));
    }

    [Fact]
    public void Batch_layout_is_N_3_S_S_and_equals_single_calls()
    {
        var random = new Random(5);
        var images = new List<ImageData>();
        foreach (var (w, h) in new[] { (40, 30), (17, 64), (32, 32) })
        {
            var pixels = new byte[w * h * 3];
            random.NextBytes(pixels);
            images.Add(new ImageData(w, h, pixels));
        }

        var preprocess = new ClipImagePreprocessor(32);
        Assert.Equal(3 * 32 * 32, preprocess.OutputLength);
        var batch = new float[3 * preprocess.OutputLength];
        preprocess.PreprocessBatch(images, batch);
        for (int i = 0; i < images.Count; i++)
        {
            Assert.Equal(preprocess.Preprocess(images[i]), batch.AsSpan(i * preprocess.OutputLength, preprocess.OutputLength).ToArray());
        }

        // Pixel (0, 0) of the 32 × 32 square image is untouched by the resize: its channels sit one plane apart.
        float expectedGreen = ((images[2].Pixels[1] / 255f) - ClipImagePreprocessor.ClipMean[1]) / ClipImagePreprocessor.ClipStd[1];
        Assert.Equal(expectedGreen, batch[(2 * preprocess.OutputLength) + (32 * 32)]);
    }

    [Fact]
    public void Bad_arguments_are_named()
    {
        var preprocess = new ClipImagePreprocessor(8);
        var image = new ImageData(4, 4, new byte[48]);
        var e = Assert.Throws<ArgumentException>(() => preprocess.Preprocess(image, new float[100]));
        Assert.Equal("destination", e.ParamName);
        Assert.Throws<ArgumentException>(() => preprocess.PreprocessBatch([image, image], new float[192]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClipImagePreprocessor(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ClipImagePreprocessor(8, [0f, 0f, 0f], [1f, 0f, 1f]));
        Assert.Throws<ArgumentException>(() => new ClipImagePreprocessor(8, [0f, 0f], [1f, 1f]));
    }
}
