using System;
using System.Collections.Generic;
using CrossModal.Abstractions;

namespace CrossModal.Models.Images;

/// <summary>
/// CLIP's image preprocessing (openai/CLIP <c>clip.py</c> <c>_transform</c>): resize the shorter side to
/// <see cref="ImageSize"/> with bicubic interpolation, centre-crop to a square, scale to [0, 1], and normalise each
/// channel with CLIP's mean and standard deviation. The result is a (3, S, S) float32 tensor, channel-major (CHW).
/// </summary>
/// <remarks>
/// Matches torchvision's <c>Resize(S, BICUBIC)</c> + <c>CenterCrop(S)</c> on a PIL image with Pillow 9.4: the longer
/// side becomes <c>int(S · long / short)</c> (nothing is resized when the shorter side is already S), the resize is
/// <see cref="ImageResampler.ResizeBicubic(ImageData, int, int)"/> (Pillow's exact arithmetic), and the crop starts at
/// <c>round((H − S) / 2)</c> rows and <c>round((W − S) / 2)</c> columns with Python's round-half-even. Then
/// <c>ToTensor</c> and <c>Normalize</c>: <c>(v / 255 − mean[c]) / std[c]</c> in float32.
/// </remarks>
/// <example>
/// <code>
/// var preprocess = new ClipImagePreprocessor(224);
/// float[] chw = preprocess.Preprocess(ImageDecoder.Default.Decode("photo.jpg")); // 3 · 224 · 224 floats
/// </code>
/// </example>
public sealed class ClipImagePreprocessor
{
    private readonly float[] _table; // (3, 256): the normalised value of every byte in every channel

    /// <summary>Creates a preprocessor with CLIP's mean and standard deviation.</summary>
    /// <param name="imageSize">The model's input size S (224 for ViT-B/32 and ViT-B/16, 336 for ViT-L/14@336px).</param>
    public ClipImagePreprocessor(int imageSize = 224)
        : this(imageSize, ClipMean, ClipStd)
    {
    }

    /// <summary>Creates a preprocessor with a custom per-channel mean and standard deviation.</summary>
    /// <param name="imageSize">The model's input size S.</param>
    /// <param name="mean">Three channel means (R, G, B) subtracted after scaling to [0, 1].</param>
    /// <param name="std">Three positive channel standard deviations divided by after subtracting the mean.</param>
    public ClipImagePreprocessor(int imageSize, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(imageSize, 1);
        if (mean.Length != 3 || std.Length != 3)
        {
            throw new ArgumentException($"mean and std need 3 values (R, G, B); got {mean.Length} and {std.Length}.", nameof(mean));
        }

        for (int c = 0; c < 3; c++)
        {
            if (!(std[c] > 0) || !float.IsFinite(std[c]) || !float.IsFinite(mean[c]))
            {
                throw new ArgumentOutOfRangeException(nameof(std), $"Channel {c}: mean {mean[c]} must be finite and std {std[c]} positive.");
            }
        }

        ImageSize = imageSize;
        Mean = mean.ToArray();
        Std = std.ToArray();
        _table = new float[3 * 256];
        for (int c = 0; c < 3; c++)
        {
            for (int v = 0; v < 256; v++)
            {
                // The same float32 operations, in the same order, as ToTensor's div(255) then Normalize's sub/div.
                float unit = v / 255f;
                _table[(c * 256) + v] = (unit - mean[c]) / std[c];
            }
        }
    }

    /// <summary>CLIP's channel means (R, G, B): 0.48145466, 0.4578275, 0.40821073.</summary>
    public static ReadOnlySpan<float> ClipMean => [0.48145466f, 0.4578275f, 0.40821073f];

    /// <summary>CLIP's channel standard deviations (R, G, B): 0.26862954, 0.26130258, 0.27577711.</summary>
    public static ReadOnlySpan<float> ClipStd => [0.26862954f, 0.26130258f, 0.27577711f];

    /// <summary>The model's input size S: outputs are S × S.</summary>
    public int ImageSize { get; }

    /// <summary>The channel means used.</summary>
    public IReadOnlyList<float> Mean { get; }

    /// <summary>The channel standard deviations used.</summary>
    public IReadOnlyList<float> Std { get; }

    /// <summary>Floats in one preprocessed image: 3 · S · S.</summary>
    public int OutputLength => 3 * ImageSize * ImageSize;

    /// <summary>
    /// The size torchvision's <c>Resize(size)</c> gives a <paramref name="width"/> × <paramref name="height"/> image:
    /// the shorter side becomes <paramref name="size"/>, the longer <c>int(size · long / short)</c>.
    /// </summary>
    /// <param name="width">Source width.</param>
    /// <param name="height">Source height.</param>
    /// <param name="size">Target length of the shorter side.</param>
    public static (int Width, int Height) ResizedSize(int width, int height, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if ((width <= height && width == size) || (height <= width && height == size))
        {
            return (width, height);
        }

        // Python's int(size * long / short): an exact product, one correctly rounded division, truncation.
        return width < height
            ? (size, (int)((double)size * height / width))
            : ((int)((double)size * width / height), size);
    }

    /// <summary>Resizes and centre-crops <paramref name="image"/> to S × S RGB24: the image CLIP sees, before it
    /// becomes floats.</summary>
    /// <param name="image">Any image.</param>
    public ImageData ResizeAndCrop(ImageData image)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height) = ResizedSize(image.Width, image.Height, ImageSize);
        // torchvision center_crop: int(round((H − S) / 2.0)), round half to even like Python's round.
        int top = (int)Math.Round((height - ImageSize) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((width - ImageSize) / 2.0, MidpointRounding.ToEven);
        return ImageResampler.ResizeBicubic(image, width, height, left, top, ImageSize, ImageSize);
    }

    /// <summary>Preprocesses one image into a new (3, S, S) array.</summary>
    /// <param name="image">Any image.</param>
    public float[] Preprocess(ImageData image)
    {
        var result = new float[OutputLength];
        Preprocess(image, result);
        return result;
    }

    /// <summary>Preprocesses one image into <paramref name="destination"/>, laid out (3, S, S).</summary>
    /// <param name="image">Any image.</param>
    /// <param name="destination">At least <see cref="OutputLength"/> floats.</param>
    public void Preprocess(ImageData image, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (destination.Length < OutputLength)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; one image needs {OutputLength} (3 × {ImageSize} × {ImageSize}).", nameof(destination));
        }

        // An image already S × S is its own resize and crop: normalised as it is, without a copy per call (a training
        // loop over ShapesWorld's 32×32 photos would otherwise allocate one per image and step).
        Normalise(image.Width == ImageSize && image.Height == ImageSize ? image.Pixels : ResizeAndCrop(image).Pixels, destination);
    }

    /// <summary>Preprocesses <paramref name="images"/> into <paramref name="destination"/>, laid out (N, 3, S, S).</summary>
    /// <param name="images">N images.</param>
    /// <param name="destination">At least N · <see cref="OutputLength"/> floats.</param>
    public void PreprocessBatch(IReadOnlyList<ImageData> images, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (destination.Length < (long)images.Count * OutputLength)
        {
            throw new ArgumentException($"destination holds {destination.Length} floats; {images.Count} images need {(long)images.Count * OutputLength}.", nameof(destination));
        }

        for (int i = 0; i < images.Count; i++)
        {
            Preprocess(images[i], destination.Slice(i * OutputLength, OutputLength));
        }
    }

    /// <summary>Normalises an (S, S, 3) RGB24 crop into (3, S, S) floats.</summary>
    private void Normalise(ReadOnlySpan<byte> rgb, Span<float> destination)
    {
        int plane = ImageSize * ImageSize;
        ReadOnlySpan<float> r = _table.AsSpan(0, 256), g = _table.AsSpan(256, 256), b = _table.AsSpan(512, 256);
        Span<float> outR = destination[..plane], outG = destination.Slice(plane, plane), outB = destination.Slice(2 * plane, plane);
        for (int i = 0; i < plane; i++)
        {
            outR[i] = r[rgb[3 * i]];
            outG[i] = g[rgb[(3 * i) + 1]];
            outB[i] = b[rgb[(3 * i) + 2]];
        }
    }
}
