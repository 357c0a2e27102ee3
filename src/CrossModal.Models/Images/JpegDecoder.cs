using System;
using CrossModal.Abstractions;

namespace CrossModal.Models.Images;

/// <summary>
/// Decodes JPEG files (baseline, extended and progressive; greyscale or YCbCr, any chroma subsampling) into RGB24
/// through libjpeg-turbo's TurboJPEG library (<c>libturbojpeg.so.0</c>, Debian/Ubuntu package <c>libturbojpeg0</c>),
/// loaded at run time the first time a JPEG is decoded.
/// </summary>
/// <remarks>
/// TurboJPEG runs with its defaults: the accurate integer IDCT and smooth ("fancy") chroma upsampling — the
/// settings Pillow uses with the same library, so the pixels agree with Pillow's (docs/images.md gives the
/// measured difference). Any libjpeg warning, such as "premature end of JPEG file" for a truncated file, is treated
/// as an error, because the image it leaves behind is partly grey. CMYK and YCCK JPEGs are refused.
/// When the library is missing, <see cref="Decode"/> throws <see cref="DllNotFoundException"/> naming the package.
/// The environment variable <c>CROSSMODAL_LIBTURBOJPEG</c>, when set, names the only library file tried (e.g. a
/// libjpeg-turbo installed outside the system paths).
/// </remarks>
public sealed class JpegDecoder : IImageDecoder
{
    private static ReadOnlySpan<byte> Signature => [0xFF, 0xD8, 0xFF];

    private readonly Func<(NativeMethods.TurboJpeg? Library, string? Error)> _load;

    /// <summary>Creates a decoder that accepts images up to <paramref name="maxPixels"/> pixels.</summary>
    /// <param name="maxPixels">Largest width × height accepted; checked from the JPEG header before the pixel
    /// buffer is allocated. Defaults to <see cref="ImageDecoderLimits.DefaultMaxPixels"/>.</param>
    public JpegDecoder(long maxPixels = ImageDecoderLimits.DefaultMaxPixels)
        : this(maxPixels, static () => NativeMethods.TurboJpeg.Default)
    {
    }

    /// <summary>Creates a decoder bound to the first loadable library among <paramref name="libraryNames"/> (tests use
    /// this to simulate a machine without libjpeg-turbo).</summary>
    internal JpegDecoder(long maxPixels, string[] libraryNames)
        : this(maxPixels, () => NativeMethods.TurboJpeg.TryLoad(libraryNames))
    {
    }

    private JpegDecoder(long maxPixels, Func<(NativeMethods.TurboJpeg? Library, string? Error)> load)
    {
        MaxPixels = ImageDecoderLimits.Validate(maxPixels, nameof(maxPixels));
        _load = load;
    }

    /// <summary>Whether libjpeg-turbo's TurboJPEG library could be loaded on this machine.</summary>
    public static bool IsAvailable => NativeMethods.TurboJpeg.Default.Library is not null;

    /// <summary>Why TurboJPEG could not be loaded, or <see langword="null"/> when it was.</summary>
    public static string? UnavailableReason => NativeMethods.TurboJpeg.Default.Error;

    /// <summary>Largest width × height this decoder accepts.</summary>
    public long MaxPixels { get; }

    /// <inheritdoc />
    public bool CanDecode(ReadOnlySpan<byte> header) => header.StartsWith(Signature);

    /// <inheritdoc />
    /// <exception cref="DllNotFoundException">libturbojpeg is not installed; the message names the package.</exception>
    public unsafe ImageData Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        if (!CanDecode(data))
        {
            throw ImageDecoderLimits.Fail(sourceName, "not a JPEG file (the SOI marker FF D8 FF is missing).");
        }

        var (library, error) = _load();
        if (library is null)
        {
            throw new DllNotFoundException(
                $"Decoding the JPEG {sourceName} needs libjpeg-turbo's TurboJPEG library (libturbojpeg.so.0), which is " +
                $"not installed: {error}. On Debian or Ubuntu: apt-get install libturbojpeg0. Or convert the image to " +
                "PNG, or plug another IImageDecoder into ImageDecoder.");
        }

        using var handle = new TurboJpegHandle(library);
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            IntPtr tj = handle.DangerousGetHandle();
            fixed (byte* jpeg = data)
            {
                var size = new System.Runtime.InteropServices.CULong((nuint)data.Length);
                int width, height, subsampling, colourspace;
                if (library.DecompressHeader3(tj, jpeg, size, &width, &height, &subsampling, &colourspace) != 0)
                {
                    throw ImageDecoderLimits.Fail(sourceName, $"corrupt JPEG header: {library.ErrorMessage(handle)}.");
                }

                if (colourspace is NativeMethods.TurboJpeg.ColourspaceCmyk or NativeMethods.TurboJpeg.ColourspaceYcck)
                {
                    throw ImageDecoderLimits.Fail(sourceName, "unsupported JPEG: CMYK/YCCK colour is not converted to RGB; convert the file to an RGB JPEG or PNG first.");
                }

                ImageDecoderLimits.CheckDimensions(width, height, MaxPixels, sourceName, "JPEG");
                var pixels = new byte[(long)width * height * 3];
                fixed (byte* dest = pixels)
                {
                    if (library.Decompress2(tj, jpeg, size, dest, width, width * 3, height, NativeMethods.TurboJpeg.PixelFormatRgb, 0) != 0)
                    {
                        string kind = library.GetErrorCode(tj) == NativeMethods.TurboJpeg.ErrorWarning ? "corrupt or truncated" : "corrupt";
                        throw ImageDecoderLimits.Fail(sourceName, $"{kind} JPEG data: {library.ErrorMessage(handle)}.");
                    }
                }

                return new ImageData(width, height, pixels);
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }
}
