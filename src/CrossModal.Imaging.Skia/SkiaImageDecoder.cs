using System;
using System.IO;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using SkiaSharp;

namespace CrossModal.Imaging.Skia;

/// <summary>
/// Decodes JPEG, PNG, WebP (lossy, lossless, animated: first frame), GIF (first frame), BMP and ICO/CUR into RGB24
/// through Skia (SkiaSharp's <c>SKCodec</c>), with the EXIF orientation applied and decompression-bomb limits checked
/// on the header's dimensions before any pixel memory is allocated.
/// </summary>
/// <remarks>
/// <para>The pixels are Skia's own, without colour management (ICC profiles and PNG <c>gAMA</c> are ignored, as
/// Pillow's <c>Image.open(f).convert("RGB")</c> ignores them); alpha is dropped, not composited, again like
/// <c>convert("RGB")</c>. On the committed fixtures PNG, BMP, GIF, WebP and JPEG agree with Pillow byte for byte (Skia's
/// bundled libjpeg-turbo decodes with the accurate integer IDCT and smooth chroma upsampling, as Pillow does); the one
/// known difference is a PNG whose palette indices exceed its PLTE entries (docs/images.md).
/// </para>
/// <para>Skia's native library (<c>libSkiaSharp.so</c>, from the SkiaSharp.NativeAssets.Linux package; it needs
/// fontconfig) is loaded the first time an image is decoded; where it cannot be, decoding throws
/// <see cref="DllNotFoundException"/> and <see cref="IsAvailable"/> is <see langword="false"/>.</para>
/// <para>Truncated or partly corrupt files are refused rather than returned half grey: Skia's "incomplete input" and
/// "error in input" results are errors here, as a truncated file is an error for Pillow.</para>
/// </remarks>
/// <example>
/// <code>
/// // Skia for everything it reads, the managed PNM decoder for PGM/PPM.
/// var decoder = new ImageDecoder([new SkiaImageDecoder(), new PnmDecoder()]);
/// ImageData photo = decoder.Decode("holiday.webp");
/// </code>
/// </example>
public sealed class SkiaImageDecoder : IImageDecoder
{
    /// <summary>Bytes held per pixel at the peak of a decode: Skia's 4-byte RGBA buffer plus the 3-byte result.</summary>
    public const int PeakBytesPerPixel = 7;

    /// <summary>The largest <see cref="MaxPixels"/> allowed: Skia's RGBA buffer (4 bytes a pixel) must stay within one
    /// span.</summary>
    public const long AbsoluteMaxPixels = int.MaxValue / 4;

    /// <summary>The default <see cref="MaxDecodedBytes"/>: 1 GiB.</summary>
    public const long DefaultMaxDecodedBytes = 1L << 30;

    private static readonly Lazy<string?> LoadError = new(ProbeNativeLibrary);

    /// <summary>Creates a decoder with the given limits.</summary>
    /// <param name="maxPixels">Largest width × height accepted, checked from the header before anything is allocated
    /// for pixels. Defaults to <see cref="ImageDecoderLimits.DefaultMaxPixels"/> (Pillow's <c>MAX_IMAGE_PIXELS</c>).</param>
    /// <param name="maxDecodedBytes">Largest memory a decode may hold for pixels at its peak,
    /// <see cref="PeakBytesPerPixel"/> · width · height, checked from the header too. Defaults to
    /// <see cref="DefaultMaxDecodedBytes"/>.</param>
    /// <param name="applyExifOrientation">Whether to rotate/mirror the pixels as the file's EXIF orientation tag says
    /// (Pillow's <c>ImageOps.exif_transpose</c>), so the image is upright as a viewer shows it. Pass
    /// <see langword="false"/> for the stored pixels as they are, which is what Pillow's <c>Image.open</c> — and so
    /// OpenAI's CLIP preprocessing — reads.</param>
    /// <exception cref="ArgumentOutOfRangeException">A limit is below 1, or <paramref name="maxPixels"/> exceeds
    /// <see cref="AbsoluteMaxPixels"/>.</exception>
    public SkiaImageDecoder(
        long maxPixels = ImageDecoderLimits.DefaultMaxPixels,
        long maxDecodedBytes = DefaultMaxDecodedBytes,
        bool applyExifOrientation = true)
    {
        if (maxPixels < 1 || maxPixels > AbsoluteMaxPixels)
        {
            throw new ArgumentOutOfRangeException(nameof(maxPixels), maxPixels, $"The pixel limit must be between 1 and {AbsoluteMaxPixels}.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(maxDecodedBytes, 1L);
        MaxPixels = maxPixels;
        MaxDecodedBytes = maxDecodedBytes;
        ApplyExifOrientation = applyExifOrientation;
    }

    /// <summary>
    /// The recommended decoder set: every format through Skia, PGM/PPM through the managed <see cref="PnmDecoder"/>,
    /// and — when the EXIF orientation is not applied and libturbojpeg is installed — JPEG through the core
    /// <see cref="JpegDecoder"/>, which returns the same pixels for 30–50 % less CPU time (docs/images.md). With
    /// orientation on, JPEG stays with Skia, because TurboJPEG does not read the EXIF tag.
    /// </summary>
    /// <param name="maxPixels">Largest width × height accepted by every decoder in the set.</param>
    /// <param name="applyExifOrientation">See the constructor.</param>
    public static ImageDecoder CreateDecoderSet(long maxPixels = ImageDecoderLimits.DefaultMaxPixels, bool applyExifOrientation = true)
    {
        var skia = new SkiaImageDecoder(maxPixels, applyExifOrientation: applyExifOrientation);
        return !applyExifOrientation && JpegDecoder.IsAvailable
            ? new ImageDecoder([new JpegDecoder(maxPixels), skia, new PnmDecoder(maxPixels)])
            : new ImageDecoder([skia, new PnmDecoder(maxPixels)]);
    }

    /// <summary>Whether Skia's native library could be loaded on this machine.</summary>
    public static bool IsAvailable => LoadError.Value is null;

    /// <summary>Why Skia's native library could not be loaded, or <see langword="null"/> when it was.</summary>
    public static string? UnavailableReason => LoadError.Value;

    /// <summary>Largest width × height accepted.</summary>
    public long MaxPixels { get; }

    /// <summary>Largest peak pixel memory (<see cref="PeakBytesPerPixel"/> · width · height) accepted.</summary>
    public long MaxDecodedBytes { get; }

    /// <summary>Whether the EXIF orientation tag is applied.</summary>
    public bool ApplyExifOrientation { get; }

    /// <inheritdoc />
    public bool CanDecode(ReadOnlySpan<byte> header) => FormatOf(header) is not null;

    /// <summary>The format Skia would be asked to decode, by signature, or <see langword="null"/>.</summary>
    internal static string? FormatOf(ReadOnlySpan<byte> header)
    {
        if (header.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]))
        {
            return "JPEG";
        }

        if (header.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
        {
            return "PNG";
        }

        if (header.StartsWith("GIF87a"u8) || header.StartsWith("GIF89a"u8))
        {
            return "GIF";
        }

        if (header.Length >= 12 && header.StartsWith("RIFF"u8) && header[8..12].SequenceEqual("WEBP"u8))
        {
            return "WebP";
        }

        if (header.StartsWith("BM"u8))
        {
            return "BMP";
        }

        // ICO (type 1) and CUR (type 2) directories: reserved 0, type, then at least one image.
        if (header.Length >= 6 && header[0] == 0 && header[1] == 0 && (header[2] == 1 || header[2] == 2) && header[3] == 0
            && (header[4] | header[5]) != 0)
        {
            return "ICO";
        }

        return null;
    }

    /// <inheritdoc />
    /// <exception cref="DllNotFoundException">Skia's native library cannot be loaded; the message says what to install.</exception>
    public unsafe ImageData Decode(ReadOnlySpan<byte> data, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(sourceName);
        string format = FormatOf(data)
            ?? throw Fail(sourceName, "not an image Skia decodes here (expected the signature of JPEG, PNG, GIF, WebP, BMP or ICO).");
        if (LoadError.Value is { } error)
        {
            throw new DllNotFoundException(
                $"Decoding {sourceName} needs Skia's native library (libSkiaSharp.so from the SkiaSharp.NativeAssets.Linux " +
                $"package, which needs fontconfig: apt-get install libfontconfig1), which could not be loaded: {error}");
        }

        fixed (byte* bytes = data)
        {
            // Wraps the caller's bytes without a copy; both objects are released before the span is unpinned.
            using SKData encoded = SKData.Create((IntPtr)bytes, data.Length);
            using SKCodec? codec = SKCodec.Create(encoded);
            if (codec is null)
            {
                throw Fail(sourceName, $"corrupt {format} header: Skia could not read it.");
            }

            SKImageInfo info = codec.Info;
            long width = info.Width, height = info.Height;
            CheckLimits(width, height, format, sourceName);
            int origin = ApplyExifOrientation ? (int)codec.EncodedOrigin : 1;
            if (origin is < 1 or > 8)
            {
                origin = 1;
            }

            // Unpremultiplied RGBA with no colour space: Skia's samples as stored, without colour management.
            var target = new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul);
            nuint size = (nuint)(width * height * 4);
            byte* rgba = (byte*)NativeMemory.Alloc(size);
            try
            {
                SKCodecResult result = codec.GetPixels(target, (IntPtr)rgba);
                if (result != SKCodecResult.Success)
                {
                    throw Fail(sourceName, result switch
                    {
                        SKCodecResult.IncompleteInput => $"truncated {format} data: Skia ran out of input before the last row.",
                        SKCodecResult.ErrorInInput => $"corrupt {format} data: Skia found an error in the input.",
                        SKCodecResult.Unimplemented => $"unsupported {format} variant: Skia cannot decode it.",
                        _ => $"{format} data could not be decoded (Skia: {result}).",
                    });
                }

                bool swap = origin >= 5;
                int outWidth = swap ? info.Height : info.Width;
                int outHeight = swap ? info.Width : info.Height;
                var pixels = new byte[width * height * 3];
                Orient(pixels, new ReadOnlySpan<byte>(rgba, (int)(width * height * 4)), info.Width, info.Height, origin);
                return new ImageData(outWidth, outHeight, pixels);
            }
            finally
            {
                NativeMemory.Free(rgba);
            }
        }
    }

    /// <summary>Reads and decodes the file at <paramref name="path"/> (its extension is not consulted).</summary>
    /// <param name="path">The image file.</param>
    /// <exception cref="InvalidDataException">The file is not an image Skia decodes, or is corrupt or truncated.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public ImageData Decode(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>
    /// Writes the RGB bytes of <paramref name="rgba"/> into <paramref name="destination"/>, turned upright as EXIF
    /// orientation <paramref name="origin"/> says (Exif 2.32 §4.6.4, tag 0x0112; the same mapping as Pillow's
    /// <c>ImageOps.exif_transpose</c>: 2 mirror, 3 rotate 180°, 4 flip, 5 transpose, 6 rotate 90° clockwise,
    /// 7 transverse, 8 rotate 90° counter-clockwise). Alpha is dropped.
    /// </summary>
    /// <param name="destination">(H', W', 3) RGB; (height, width) for origins 1–4, (width, height) for 5–8.</param>
    /// <param name="rgba">(height, width, 4) RGBA as stored in the file.</param>
    /// <param name="width">Stored width.</param>
    /// <param name="height">Stored height.</param>
    /// <param name="origin">EXIF orientation, 1–8.</param>
    internal static void Orient(Span<byte> destination, ReadOnlySpan<byte> rgba, int width, int height, int origin)
    {
        int outWidth = origin >= 5 ? height : width;
        int outHeight = origin >= 5 ? width : height;
        if (origin == 1)
        {
            int i = 0, o = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                // Four pixels a step: one byte shuffle packs RGBA RGBA RGBA RGBA into 12 RGB bytes (the 4 bytes after
                // them are overwritten by the next step, hence the 16-byte margin the loop keeps).
                Vector128<byte> pack = Vector128.Create((byte)0, 1, 2, 4, 5, 6, 8, 9, 10, 12, 13, 14, 0xFF, 0xFF, 0xFF, 0xFF);
                ref byte source = ref MemoryMarshal.GetReference(rgba);
                ref byte target = ref MemoryMarshal.GetReference(destination);
                for (; o + 16 <= destination.Length; i += 16, o += 12)
                {
                    Vector128.Shuffle(Vector128.LoadUnsafe(ref source, (nuint)i), pack).StoreUnsafe(ref target, (nuint)o);
                }
            }

            for (; o < destination.Length; i += 4, o += 3)
            {
                destination[o] = rgba[i];
                destination[o + 1] = rgba[i + 1];
                destination[o + 2] = rgba[i + 2];
            }

            return;
        }

        for (int y = 0; y < outHeight; y++)
        {
            Span<byte> row = destination.Slice(y * outWidth * 3, outWidth * 3);
            for (int x = 0; x < outWidth; x++)
            {
                (int sx, int sy) = origin switch
                {
                    2 => (width - 1 - x, y),
                    3 => (width - 1 - x, height - 1 - y),
                    4 => (x, height - 1 - y),
                    5 => (y, x),
                    6 => (y, height - 1 - x),
                    7 => (width - 1 - y, height - 1 - x),
                    _ => (width - 1 - y, x), // 8
                };
                int s = ((sy * width) + sx) * 4;
                row[x * 3] = rgba[s];
                row[(x * 3) + 1] = rgba[s + 1];
                row[(x * 3) + 2] = rgba[s + 2];
            }
        }
    }

    private void CheckLimits(long width, long height, string format, string sourceName)
    {
        if (width < 1 || height < 1)
        {
            throw Fail(sourceName, $"{format} header gives an empty image ({width}×{height}).");
        }

        if (width * height > MaxPixels)
        {
            throw Fail(
                sourceName,
                $"{format} header gives {width}×{height} pixels, more than the limit of {MaxPixels} " +
                "(a decompression-bomb guard; raise it through the decoder's maxPixels argument).");
        }

        if (width * height * PeakBytesPerPixel > MaxDecodedBytes)
        {
            throw Fail(
                sourceName,
                $"{format} header gives {width}×{height} pixels, whose decoding needs {width * height * PeakBytesPerPixel} bytes, " +
                $"more than the limit of {MaxDecodedBytes} (raise it through the decoder's maxDecodedBytes argument).");
        }
    }

    private static InvalidDataException Fail(string sourceName, string message) => new($"{sourceName}: {message}");

    private static string? ProbeNativeLibrary()
    {
        try
        {
            return SkiaSharpVersion.Native.Major > 0 ? null : "the native library reports no version";
        }
        catch (Exception e) when (e is DllNotFoundException or TypeInitializationException or EntryPointNotFoundException or BadImageFormatException)
        {
            return e.InnerException?.Message ?? e.Message;
        }
    }
}
