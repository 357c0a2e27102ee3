using System;
using System.Runtime.InteropServices;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// OpenBLAS (<c>libopenblas.so.0</c>, Debian/Ubuntu package <c>libopenblas0</c>), loaded at run time with
/// <see cref="NativeLibrary.TryLoad(string, out IntPtr)"/> so that the library stays optional: its entry points are
/// function pointers resolved from the loaded handle, null until <see cref="TryLoadOpenBlas"/> succeeds.
/// </summary>
internal static unsafe partial class NativeMethods
{
    /// <summary>The shared library's file name.</summary>
    internal const string OpenBlasLibrary = "libopenblas.so.0";

    /// <summary><c>CblasRowMajor</c> from cblas.h.</summary>
    internal const int CblasRowMajor = 101;

    /// <summary><c>CblasNoTrans</c> from cblas.h.</summary>
    internal const int CblasNoTrans = 111;

    /// <summary><c>CblasTrans</c> from cblas.h.</summary>
    internal const int CblasTrans = 112;

    private static readonly object OpenBlasLock = new();
    private static bool s_openBlasTried;

    /// <summary>
    /// <c>void cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)</c>.
    /// </summary>
    internal static delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void> CblasSgemm;

    /// <summary><c>void openblas_set_num_threads(int)</c>.</summary>
    internal static delegate* unmanaged<int, void> OpenBlasSetNumThreads;

    /// <summary><c>char* openblas_get_corename(void)</c>: the kernel family OpenBLAS chose.</summary>
    internal static delegate* unmanaged<byte*> OpenBlasGetCorename;

    /// <summary>Why loading failed, or null.</summary>
    internal static string? OpenBlasLoadError { get; private set; }

    /// <summary>Loads OpenBLAS once per process; true when <see cref="CblasSgemm"/> is usable.</summary>
    internal static bool TryLoadOpenBlas()
    {
        lock (OpenBlasLock)
        {
            if (s_openBlasTried)
            {
                return CblasSgemm != null;
            }

            s_openBlasTried = true;

            // OpenBLAS 0.3.21 picks its kernels by CPU model and does not know AMD Zen 5, falling back to AVX2
            // kernels at half speed; on AVX-512 machines name the Skylake-X kernels explicitly (OpenBLAS reads
            // OPENBLAS_CORETYPE from the C environment when it loads, which Environment.SetEnvironmentVariable does
            // not reach on Unix). A value the user set wins.
            if (OperatingSystem.IsLinux() && System.Runtime.Intrinsics.X86.Avx512F.IsSupported
                && System.Runtime.Intrinsics.X86.Avx512BW.IsSupported && System.Runtime.Intrinsics.X86.Avx512DQ.IsSupported
                && Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") is null)
            {
                _ = SetEnv("OPENBLAS_CORETYPE", "SkylakeX", 0);
            }

            if (!NativeLibrary.TryLoad(OpenBlasLibrary, out var handle))
            {
                OpenBlasLoadError = $"{OpenBlasLibrary} was not found (install the libopenblas0 package, e.g. 'apt-get install libopenblas0').";
                return false;
            }

            if (!NativeLibrary.TryGetExport(handle, "cblas_sgemm", out var sgemm)
                || !NativeLibrary.TryGetExport(handle, "openblas_set_num_threads", out var setThreads))
            {
                OpenBlasLoadError = $"{OpenBlasLibrary} was loaded but does not export cblas_sgemm and openblas_set_num_threads.";
                return false;
            }

            OpenBlasSetNumThreads = (delegate* unmanaged<int, void>)setThreads;
            if (NativeLibrary.TryGetExport(handle, "openblas_get_corename", out var corename))
            {
                OpenBlasGetCorename = (delegate* unmanaged<byte*>)corename;
            }

            CblasSgemm = (delegate* unmanaged<int, int, int, int, int, int, float, float*, int, float*, int, float, float*, int, void>)sgemm;
            return true;
        }
    }
}
