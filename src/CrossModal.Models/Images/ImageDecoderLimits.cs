using System.IO;

namespace CrossModal.Models.Images;

/// <summary>
/// Limits that protect decoders from decompression bombs: a small file whose header promises a huge image. Every
/// decoder checks the header's pixel count against its limit before it allocates anything for the pixels.
/// </summary>
public static class ImageDecoderLimits
{
    /// <summary>
    /// The default largest pixel count a decoder accepts: 89,478,485, Pillow's <c>Image.MAX_IMAGE_PIXELS</c>
    /// (<c>1024 · 1024 · 1024 / 4 / 3</c>, about 256 MiB of RGB24).
    /// </summary>
    public const long DefaultMaxPixels = 1024L * 1024 * 1024 / 4 / 3;

    /// <summary>The largest pixel count an <see cref="Abstractions.ImageData"/> can hold (its RGB24 byte array).</summary>
    public const long AbsoluteMaxPixels = 0x7FFFFFC7 / 3;

    internal static long Validate(long maxPixels, string paramName)
    {
        if (maxPixels < 1 || maxPixels > AbsoluteMaxPixels)
        {
            throw new System.ArgumentOutOfRangeException(
                paramName, maxPixels, $"The pixel limit must be between 1 and {AbsoluteMaxPixels}.");
        }

        return maxPixels;
    }

    /// <summary>Throws when a header's dimensions are out of range or exceed <paramref name="maxPixels"/>.</summary>
    internal static void CheckDimensions(long width, long height, long maxPixels, string sourceName, string format)
    {
        if (width < 1 || height < 1)
        {
            throw Fail(sourceName, $"{format} header gives an empty image ({width}×{height}).");
        }

        if (width > int.MaxValue || height > int.MaxValue || width * height > maxPixels)
        {
            throw Fail(
                sourceName,
                $"{format} header gives {width}×{height} pixels, more than the limit of {maxPixels} " +
                "(a decompression-bomb guard; raise it through the decoder's maxPixels argument).");
        }
    }

    /// <summary>The exception every decoder throws for corrupt, truncated or hostile data.</summary>
    internal static InvalidDataException Fail(string sourceName, string message, System.Exception? inner = null)
        => new($"{sourceName}: {message}", inner);
}
