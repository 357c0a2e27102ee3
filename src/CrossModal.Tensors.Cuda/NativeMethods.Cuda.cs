using System;
using System.Runtime.InteropServices;

namespace CrossModal.Tensors.Cuda;

/// <summary>
/// The few CUDA driver entry points the backend calls itself (ILGPU swallows initialisation failures, so the backend
/// probes the driver first to say what is missing; events time device work): function pointers resolved from the
/// handle <see cref="CudaLibraries"/> loaded, null until <see cref="TryBindDriver"/> succeeds.
/// </summary>
internal static unsafe partial class NativeMethods
{
    /// <summary><c>CUDA_SUCCESS</c>.</summary>
    internal const int CudaSuccess = 0;

    /// <summary><c>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR</c>.</summary>
    internal const int CuDeviceAttributeComputeCapabilityMajor = 75;

    /// <summary><c>CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR</c>.</summary>
    internal const int CuDeviceAttributeComputeCapabilityMinor = 76;

    private static readonly object DriverGate = new();

    /// <summary><c>CUresult cuInit(unsigned int flags)</c>.</summary>
    internal static delegate* unmanaged<uint, int> CuInit;

    /// <summary><c>CUresult cuDriverGetVersion(int* version)</c>.</summary>
    internal static delegate* unmanaged<int*, int> CuDriverGetVersion;

    /// <summary><c>CUresult cuDeviceGetCount(int* count)</c>.</summary>
    internal static delegate* unmanaged<int*, int> CuDeviceGetCount;

    /// <summary><c>CUresult cuDeviceGet(CUdevice* device, int ordinal)</c>.</summary>
    internal static delegate* unmanaged<int*, int, int> CuDeviceGet;

    /// <summary><c>CUresult cuDeviceGetName(char* name, int length, CUdevice device)</c>.</summary>
    internal static delegate* unmanaged<byte*, int, int, int> CuDeviceGetName;

    /// <summary><c>CUresult cuDeviceGetAttribute(int* value, CUdevice_attribute attribute, CUdevice device)</c>.</summary>
    internal static delegate* unmanaged<int*, int, int, int> CuDeviceGetAttribute;

    /// <summary><c>CUresult cuGetErrorName(CUresult error, const char** name)</c>.</summary>
    internal static delegate* unmanaged<int, byte**, int> CuGetErrorName;

    /// <summary><c>CUresult cuEventCreate(CUevent* event, unsigned int flags)</c>.</summary>
    internal static delegate* unmanaged<IntPtr*, uint, int> CuEventCreate;

    /// <summary><c>CUresult cuEventRecord(CUevent event, CUstream stream)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, IntPtr, int> CuEventRecord;

    /// <summary><c>CUresult cuEventSynchronize(CUevent event)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int> CuEventSynchronize;

    /// <summary><c>CUresult cuEventElapsedTime(float* milliseconds, CUevent start, CUevent end)</c>.</summary>
    internal static delegate* unmanaged<float*, IntPtr, IntPtr, int> CuEventElapsedTime;

    /// <summary><c>CUresult cuEventDestroy_v2(CUevent event)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int> CuEventDestroy;

    /// <summary>Binds the driver entry points once; false with <paramref name="error"/> when the driver is absent.</summary>
    /// <param name="error">Why not; null on success.</param>
    internal static bool TryBindDriver(out string? error)
    {
        lock (DriverGate)
        {
            if (CuInit != null)
            {
                error = null;
                return true;
            }

            var handle = CudaLibraries.LoadDriver(out error);
            if (handle == IntPtr.Zero)
            {
                return false;
            }

            try
            {
                CuDriverGetVersion = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "cuDriverGetVersion");
                CuDeviceGetCount = (delegate* unmanaged<int*, int>)NativeLibrary.GetExport(handle, "cuDeviceGetCount");
                CuDeviceGet = (delegate* unmanaged<int*, int, int>)NativeLibrary.GetExport(handle, "cuDeviceGet");
                CuDeviceGetName = (delegate* unmanaged<byte*, int, int, int>)NativeLibrary.GetExport(handle, "cuDeviceGetName");
                CuDeviceGetAttribute = (delegate* unmanaged<int*, int, int, int>)NativeLibrary.GetExport(handle, "cuDeviceGetAttribute");
                CuGetErrorName = (delegate* unmanaged<int, byte**, int>)NativeLibrary.GetExport(handle, "cuGetErrorName");
                CuEventCreate = (delegate* unmanaged<IntPtr*, uint, int>)NativeLibrary.GetExport(handle, "cuEventCreate");
                CuEventRecord = (delegate* unmanaged<IntPtr, IntPtr, int>)NativeLibrary.GetExport(handle, "cuEventRecord");
                CuEventSynchronize = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(handle, "cuEventSynchronize");
                CuEventElapsedTime = (delegate* unmanaged<float*, IntPtr, IntPtr, int>)NativeLibrary.GetExport(handle, "cuEventElapsedTime");
                CuEventDestroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(handle, "cuEventDestroy_v2");
                CuInit = (delegate* unmanaged<uint, int>)NativeLibrary.GetExport(handle, "cuInit");
            }
            catch (EntryPointNotFoundException e)
            {
                error = $"the NVIDIA driver library lacks an entry point the backend needs ({e.Message}); the driver is too old";
                return false;
            }

            return true;
        }
    }

    /// <summary>The driver's name for a result code, e.g. <c>CUDA_ERROR_NO_DEVICE (100)</c>.</summary>
    internal static string CudaErrorName(int result)
    {
        byte* name = null;
        if (CuGetErrorName != null && CuGetErrorName(result, &name) == CudaSuccess && name != null)
        {
            return $"{Marshal.PtrToStringAnsi((IntPtr)name)} ({result})";
        }

        return $"CUresult {result}";
    }
}
