using System;

namespace CrossModal.Abstractions;

/// <summary>
/// A decoded image: <see cref="Width"/> × <see cref="Height"/> pixels as interleaved 8-bit RGB, row-major from the
/// top-left pixel (<c>Pixels[(y·Width + x)·3 + c]</c>).
/// </summary>
public sealed class ImageData
{
    /// <summary>Creates an image over existing RGB24 bytes (not copied).</summary>
    /// <param name="width">Width in pixels; one or more.</param>
    /// <param name="height">Height in pixels; one or more.</param>
    /// <param name="pixels">Exactly width × height × 3 bytes.</param>
    /// <exception cref="ArgumentException"><paramref name="pixels"/> has the wrong length.</exception>
    public ImageData(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(pixels);
        if ((long)width * height * 3 != pixels.LongLength)
        {
            throw new ArgumentException(
                $"A {width}×{height} RGB24 image needs {(long)width * height * 3} bytes but got {pixels.LongLength}.",
                nameof(pixels));
        }

        Width = width;
        Height = height;
        Pixels = pixels;
    }

    /// <summary>Width in pixels.</summary>
    public int Width { get; }

    /// <summary>Height in pixels.</summary>
    public int Height { get; }

    /// <summary>Interleaved RGB bytes, row-major.</summary>
    public byte[] Pixels { get; }
}
