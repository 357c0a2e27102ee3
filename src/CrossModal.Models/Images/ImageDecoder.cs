using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;

namespace CrossModal.Models.Images;

/// <summary>
/// Decodes any supported image file by its signature (its first bytes), never by its file name: PNG, JPEG and
/// binary PGM/PPM out of the box, or any set of <see cref="IImageDecoder"/>s an application supplies.
/// </summary>
/// <example>
/// <code>
/// ImageData image = ImageDecoder.Default.Decode("photo.jpg");
/// ImageData fromBytes = ImageDecoder.Default.Decode(File.ReadAllBytes("scan.png"), "scan.png");
/// </code>
/// </example>
public sealed class ImageDecoder : IImageDecoder
{
    private readonly IImageDecoder[] _decoders;

    /// <summary>Creates a facade over <paramref name="decoders"/>, asked in order.</summary>
    /// <param name="decoders">One or more decoders; the first whose <see cref="IImageDecoder.CanDecode"/> accepts
    /// the file's first bytes decodes it.</param>
    public ImageDecoder(IEnumerable<IImageDecoder> decoders)
    {
        ArgumentNullException.ThrowIfNull(decoders);
        _decoders = decoders.ToArray();
        if (_decoders.Length == 0 || _decoders.Any(d => d is null))
        {
            throw new ArgumentException("At least one decoder is needed, and none may be null.", nameof(decoders));
        }
    }

    /// <summary>PNG, JPEG (through libjpeg-turbo when installed) and PGM/PPM, each with the default pixel limit.</summary>
    public static ImageDecoder Default { get; } = new([new PngDecoder(), new JpegDecoder(), new PnmDecoder()]);

    /// <summary>The decoders asked, in order.</summary>
    public IReadOnlyList<IImageDecoder> Decoders => _decoders;

    /// <inheritdoc />
    public bool CanDecode(ReadOnlySpan<byte> header)
    {
        foreach (IImageDecoder decoder in _decoders)
        {
            if (decoder.CanDecode(header))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">The signature is unknown, or the file is corrupt or truncated; the
    /// message names <paramref name="sourceName"/>.</exception>
    public ImageData Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        foreach (IImageDecoder decoder in _decoders)
        {
            if (decoder.CanDecode(data))
            {
                return decoder.Decode(data, sourceName);
            }
        }

        string start = data.IsEmpty ? "the file is empty" : "it starts with " + Convert.ToHexString(data[..Math.Min(8, data.Length)]);
        throw ImageDecoderLimits.Fail(sourceName, $"not a supported image ({start}); expected the signature of PNG, JPEG or binary PGM/PPM (P5/P6).");
    }

    /// <summary>Reads and decodes the file at <paramref name="path"/>.</summary>
    /// <param name="path">The image file; its extension is not consulted.</param>
    /// <exception cref="InvalidDataException">The file is not a supported image, or is corrupt or truncated.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public ImageData Decode(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Decode(File.ReadAllBytes(path), path);
    }
}
