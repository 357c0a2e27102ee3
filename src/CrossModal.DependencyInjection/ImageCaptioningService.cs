using System;
using System.Collections.Generic;
using System.Threading;
using CrossModal.Abstractions;

namespace CrossModal.DependencyInjection;

/// <summary>
/// Captions encoded images end to end: decode (PNG, PNM, JPEG where libturbojpeg is installed) → CLIP image
/// embedding → the captioner's bridge → caption. Safe to call from concurrent requests: the models reuse their
/// buffers, so calls run one at a time.
/// </summary>
public sealed class ImageCaptioningService
{
    private readonly IImageDecoder _decoder;
    private readonly IImageEncoder _encoder;
    private readonly ICaptioner _captioner;
    private readonly Lock _gate = new();

    /// <summary>Creates the service over the container's decoder, image encoder and captioner.</summary>
    /// <param name="decoder">Decodes image files.</param>
    /// <param name="encoder">Embeds decoded images (the CLIP the captioner was trained with).</param>
    /// <param name="captioner">Writes the captions.</param>
    public ImageCaptioningService(IImageDecoder decoder, IImageEncoder encoder, ICaptioner captioner)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(captioner);
        _decoder = decoder;
        _encoder = encoder;
        _captioner = captioner;
    }

    /// <summary>The caption of one encoded image.</summary>
    /// <param name="encodedImage">The file's bytes.</param>
    /// <param name="sourceName">A name for error messages (the upload's file name).</param>
    /// <exception cref="System.IO.InvalidDataException">The bytes are not an image this decoder reads; the message names <paramref name="sourceName"/>.</exception>
    public string Caption(ReadOnlySpan<byte> encodedImage, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        var header = encodedImage[..Math.Min(encodedImage.Length, 16)];
        if (!_decoder.CanDecode(header))
        {
            throw new System.IO.InvalidDataException($"{sourceName}: not an image format this service reads (PNG, PNM, or JPEG with libturbojpeg).");
        }

        var image = _decoder.Decode(encodedImage, sourceName);
        return Caption([image])[0];
    }

    /// <summary>One caption per image, in order.</summary>
    /// <param name="images">Decoded images.</param>
    public IReadOnlyList<string> Caption(IReadOnlyList<ImageData> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        lock (_gate)
        {
            return _captioner.Caption(_encoder.EncodeImages(images));
        }
    }
}
