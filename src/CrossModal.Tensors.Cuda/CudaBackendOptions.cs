using System;

namespace CrossModal.Tensors.Cuda;

/// <summary>Which GEMM implementation a <see cref="CudaBackend"/> calls.</summary>
public enum CudaGemmProvider
{
    /// <summary>cuBLAS when it is found, otherwise the tiled ILGPU kernel.</summary>
    Auto,

    /// <summary>cuBLAS; the backend fails to start without it.</summary>
    Cublas,

    /// <summary>The tiled shared-memory ILGPU kernel (also what runs on the CPU test device).</summary>
    Tiled,
}

/// <summary>Options of a <see cref="CudaBackend"/>.</summary>
public sealed class CudaBackendOptions
{
    /// <summary>Index of the CUDA device among those ILGPU lists (driver order).</summary>
    /// <value>Default 0.</value>
    public int DeviceIndex { get; set; }

    /// <summary>
    /// Let cuBLAS multiply fp32 matrices with TF32 tensor cores (10-bit mantissa products, fp32 accumulation; about
    /// 1e-3 relative error, as <c>torch.backends.cuda.matmul.allow_tf32 = True</c>). Ignored by the tiled kernel.
    /// </summary>
    /// <value>Default false (full fp32).</value>
    public bool UseTf32 { get; set; }

    /// <summary>Which GEMM implementation to call.</summary>
    /// <value>Default <see cref="CudaGemmProvider.Auto"/>.</value>
    public CudaGemmProvider Gemm { get; set; } = CudaGemmProvider.Auto;

    /// <summary>Throws if an option is out of range.</summary>
    public void Validate()
    {
        if (DeviceIndex < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(DeviceIndex), DeviceIndex, "The device index must be 0 or more.");
        }

        if (!Enum.IsDefined(Gemm))
        {
            throw new ArgumentOutOfRangeException(nameof(Gemm), Gemm, "Unknown GEMM provider.");
        }
    }
}
