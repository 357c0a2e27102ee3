using System;
using System.Runtime.InteropServices;

namespace CrossModal.Models.Images;

/// <summary>Native entry points, one partial file per native library.</summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>
    /// libjpeg-turbo's TurboJPEG 2.x API (turbojpeg.h), bound at run time with <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/>
    /// so that the library stays optional: nothing is loaded until the first JPEG is decoded, and its absence is a
    /// clear error rather than a failure to load this assembly.
    /// </summary>
    internal sealed class TurboJpeg
    {
        /// <summary>TJPF_RGB: 3 bytes per pixel, R then G then B.</summary>
        public const int PixelFormatRgb = 0;

        /// <summary>TJCS_CMYK and TJCS_YCCK, which TurboJPEG cannot convert to RGB.</summary>
        public const int ColourspaceCmyk = 3, ColourspaceYcck = 4;

        /// <summary>TJERR_WARNING: a non-fatal error (e.g. premature end of data); the image may be incomplete.</summary>
        public const int ErrorWarning = 0;

        /// <summary>Environment variable that, when set, names the only library file or name tried.</summary>
        public const string LibraryVariable = "CROSSMODAL_LIBTURBOJPEG";

        /// <summary>Sonames tried in order: Debian/Ubuntu's package libturbojpeg0, then other platforms' names.</summary>
        public static readonly string[] DefaultLibraryNames =
            ["libturbojpeg.so.0", "libturbojpeg.so", "libturbojpeg.0.dylib", "libturbojpeg.dylib", "turbojpeg.dll", "turbojpeg"];

        private static readonly Lazy<(TurboJpeg? Library, string? Error)> DefaultInstance = new(() =>
        {
            string? chosen = Environment.GetEnvironmentVariable(LibraryVariable);
            return TryLoad(string.IsNullOrEmpty(chosen) ? DefaultLibraryNames : [chosen]);
        });

        private TurboJpeg(IntPtr library)
        {
            InitDecompress = (delegate* unmanaged[Cdecl]<IntPtr>)NativeLibrary.GetExport(library, "tjInitDecompress");
            DecompressHeader3 = (delegate* unmanaged[Cdecl]<IntPtr, byte*, CULong, int*, int*, int*, int*, int>)
                NativeLibrary.GetExport(library, "tjDecompressHeader3");
            Decompress2 = (delegate* unmanaged[Cdecl]<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int>)
                NativeLibrary.GetExport(library, "tjDecompress2");
            GetErrorStr2 = (delegate* unmanaged[Cdecl]<IntPtr, byte*>)NativeLibrary.GetExport(library, "tjGetErrorStr2");
            GetErrorCode = (delegate* unmanaged[Cdecl]<IntPtr, int>)NativeLibrary.GetExport(library, "tjGetErrorCode");
            Destroy = (delegate* unmanaged[Cdecl]<IntPtr, int>)NativeLibrary.GetExport(library, "tjDestroy");
        }

        /// <summary><c>tjhandle tjInitDecompress(void)</c>; NULL on failure.</summary>
        public delegate* unmanaged[Cdecl]<IntPtr> InitDecompress { get; }

        /// <summary><c>int tjDecompressHeader3(tjhandle, const unsigned char *jpegBuf, unsigned long jpegSize,
        /// int *width, int *height, int *jpegSubsamp, int *jpegColorspace)</c>; 0 or −1.</summary>
        public delegate* unmanaged[Cdecl]<IntPtr, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3 { get; }

        /// <summary><c>int tjDecompress2(tjhandle, const unsigned char *jpegBuf, unsigned long jpegSize,
        /// unsigned char *dstBuf, int width, int pitch, int height, int pixelFormat, int flags)</c>; 0 or −1.</summary>
        public delegate* unmanaged[Cdecl]<IntPtr, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2 { get; }

        /// <summary><c>char *tjGetErrorStr2(tjhandle)</c>: the handle's last error message.</summary>
        public delegate* unmanaged[Cdecl]<IntPtr, byte*> GetErrorStr2 { get; }

        /// <summary><c>int tjGetErrorCode(tjhandle)</c>: TJERR_WARNING (0) or TJERR_FATAL (1).</summary>
        public delegate* unmanaged[Cdecl]<IntPtr, int> GetErrorCode { get; }

        /// <summary><c>int tjDestroy(tjhandle)</c>.</summary>
        public delegate* unmanaged[Cdecl]<IntPtr, int> Destroy { get; }

        /// <summary>The library found under <see cref="DefaultLibraryNames"/>, or why none was.</summary>
        public static (TurboJpeg? Library, string? Error) Default => DefaultInstance.Value;

        /// <summary>Loads the first of <paramref name="names"/> that exists and exports the TurboJPEG 2.x API.</summary>
        public static (TurboJpeg? Library, string? Error) TryLoad(string[] names)
        {
            foreach (string name in names)
            {
                if (!NativeLibrary.TryLoad(name, out IntPtr library))
                {
                    continue;
                }

                try
                {
                    return (new TurboJpeg(library), null);
                }
                catch (EntryPointNotFoundException e)
                {
                    NativeLibrary.Free(library);
                    return (null, $"{name} was found but lacks the TurboJPEG 2.x API ({e.Message}); install libjpeg-turbo 2.0 or later");
                }
            }

            return (null, $"none of {string.Join(", ", names)} could be loaded");
        }

        /// <summary>The handle's last error message.</summary>
        public string ErrorMessage(TurboJpegHandle handle)
        {
            bool added = false;
            try
            {
                handle.DangerousAddRef(ref added);
                return Marshal.PtrToStringUTF8((IntPtr)GetErrorStr2(handle.DangerousGetHandle())) ?? "unknown error";
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
}

/// <summary>A TurboJPEG decompressor instance (<c>tjhandle</c>), destroyed with <c>tjDestroy</c>.</summary>
internal sealed unsafe class TurboJpegHandle : SafeHandle
{
    private readonly NativeMethods.TurboJpeg _library;

    /// <summary>Creates a decompressor; throws <see cref="OutOfMemoryException"/> if TurboJPEG cannot.</summary>
    public TurboJpegHandle(NativeMethods.TurboJpeg library)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        _library = library;
        SetHandle(library.InitDecompress());
        if (IsInvalid)
        {
            throw new OutOfMemoryException("tjInitDecompress failed to create a TurboJPEG decompressor.");
        }
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle() => _library.Destroy(handle) == 0;
}
