using System;
using System.Runtime.InteropServices;

namespace CrossModal.Tensors.Cuda;

/// <summary>
/// cuBLAS (column-major BLAS on the device): function pointers resolved from the handle <see cref="CudaLibraries"/>
/// loaded, null until <see cref="TryBindCublas"/> succeeds. ILGPU.Algorithms' wrapper probes only
/// <c>libcublas.so.12/.11/.10</c> and lacks the strided-batched and mixed-precision entry points, hence this binding.
/// </summary>
internal static unsafe partial class NativeMethods
{
    /// <summary><c>CUBLAS_STATUS_SUCCESS</c>.</summary>
    internal const int CublasSuccess = 0;

    /// <summary><c>CUBLAS_OP_N</c>.</summary>
    internal const int CublasOpN = 0;

    /// <summary><c>CUBLAS_OP_T</c>.</summary>
    internal const int CublasOpT = 1;

    /// <summary><c>CUDA_R_32F</c>.</summary>
    internal const int CudaR32F = 0;

    /// <summary><c>CUBLAS_COMPUTE_32F_FAST_TF32</c>: fp32 in and out, TF32 tensor-core products.</summary>
    internal const int CublasCompute32FFastTf32 = 77;

    /// <summary><c>CUBLAS_GEMM_DEFAULT</c>.</summary>
    internal const int CublasGemmDefault = -1;

    private static readonly object CublasGate = new();

    /// <summary><c>cublasStatus_t cublasCreate_v2(cublasHandle_t* handle)</c>.</summary>
    internal static delegate* unmanaged<IntPtr*, int> CublasCreate;

    /// <summary><c>cublasStatus_t cublasDestroy_v2(cublasHandle_t handle)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int> CublasDestroy;

    /// <summary><c>cublasStatus_t cublasSetStream_v2(cublasHandle_t handle, cudaStream_t stream)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, IntPtr, int> CublasSetStream;

    /// <summary><c>cublasStatus_t cublasGetVersion_v2(cublasHandle_t handle, int* version)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int*, int> CublasGetVersion;

    /// <summary><c>cublasSgemm_v2(handle, transa, transb, m, n, k, *alpha, A, lda, B, ldb, *beta, C, ldc)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, IntPtr, int, float*, IntPtr, int, int> CublasSgemm;

    /// <summary><c>cublasSgemmStridedBatched(handle, transa, transb, m, n, k, *alpha, A, lda, strideA, B, ldb, strideB, *beta, C, ldc, strideC, batch)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, long, IntPtr, int, long, float*, IntPtr, int, long, int, int> CublasSgemmStridedBatched;

    /// <summary><c>cublasGemmEx(handle, transa, transb, m, n, k, *alpha, A, Atype, lda, B, Btype, ldb, *beta, C, Ctype, ldc, computeType, algo)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, IntPtr, int, int, float*, IntPtr, int, int, int, int, int> CublasGemmEx;

    /// <summary><c>cublasGemmStridedBatchedEx(handle, transa, transb, m, n, k, *alpha, A, Atype, lda, strideA, B, Btype, ldb, strideB, *beta, C, Ctype, ldc, strideC, batch, computeType, algo)</c>.</summary>
    internal static delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, long, IntPtr, int, int, long, float*, IntPtr, int, int, long, int, int, int, int> CublasGemmStridedBatchedEx;

    /// <summary>Binds the cuBLAS entry points once; false with <paramref name="error"/> when cuBLAS is absent.</summary>
    /// <param name="path">The library file loaded.</param>
    /// <param name="error">Why not; null on success.</param>
    internal static bool TryBindCublas(out string? path, out string? error)
    {
        lock (CublasGate)
        {
            var handle = CudaLibraries.LoadCublas(out path, out error);
            if (handle == IntPtr.Zero)
            {
                return false;
            }

            if (CublasCreate != null)
            {
                return true;
            }

            try
            {
                CublasDestroy = (delegate* unmanaged<IntPtr, int>)NativeLibrary.GetExport(handle, "cublasDestroy_v2");
                CublasSetStream = (delegate* unmanaged<IntPtr, IntPtr, int>)NativeLibrary.GetExport(handle, "cublasSetStream_v2");
                CublasGetVersion = (delegate* unmanaged<IntPtr, int*, int>)NativeLibrary.GetExport(handle, "cublasGetVersion_v2");
                CublasSgemm = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, IntPtr, int, float*, IntPtr, int, int>)NativeLibrary.GetExport(handle, "cublasSgemm_v2");
                CublasSgemmStridedBatched = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, long, IntPtr, int, long, float*, IntPtr, int, long, int, int>)NativeLibrary.GetExport(handle, "cublasSgemmStridedBatched");
                CublasGemmEx = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, IntPtr, int, int, float*, IntPtr, int, int, int, int, int>)NativeLibrary.GetExport(handle, "cublasGemmEx");
                CublasGemmStridedBatchedEx = (delegate* unmanaged<IntPtr, int, int, int, int, int, float*, IntPtr, int, int, long, IntPtr, int, int, long, float*, IntPtr, int, int, long, int, int, int, int>)NativeLibrary.GetExport(handle, "cublasGemmStridedBatchedEx");
                CublasCreate = (delegate* unmanaged<IntPtr*, int>)NativeLibrary.GetExport(handle, "cublasCreate_v2");
            }
            catch (EntryPointNotFoundException e)
            {
                error = $"{path} lacks an entry point the backend needs ({e.Message})";
                return false;
            }

            return true;
        }
    }
}

/// <summary>A cuBLAS context handle, destroyed with <c>cublasDestroy_v2</c>.</summary>
internal sealed unsafe class CublasHandle : SafeHandle
{
    public CublasHandle()
        : base(IntPtr.Zero, ownsHandle: true)
    {
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <summary>Creates a handle; throws with the status when cuBLAS cannot initialise (e.g. no context is current).</summary>
    public static CublasHandle Create()
    {
        IntPtr raw;
        var status = NativeMethods.CublasCreate(&raw);
        if (status != NativeMethods.CublasSuccess)
        {
            throw new InvalidOperationException($"cublasCreate_v2 failed with status {status}.");
        }

        var result = new CublasHandle();
        result.SetHandle(raw);
        return result;
    }

    /// <inheritdoc />
    protected override bool ReleaseHandle() => NativeMethods.CublasDestroy(handle) == NativeMethods.CublasSuccess;
}
