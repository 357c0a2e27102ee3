using System;
using CrossModal.Tensors.Cuda.Kernels;
using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.Cuda;

namespace CrossModal.Tensors.Cuda;

/// <summary>A row-major (batched) GEMM on device memory, ordered on the backend's stream.</summary>
internal interface IDeviceGemm : IDisposable
{
    /// <summary>What runs, e.g. <c>cuBLAS 12.9.1 (TF32)</c>.</summary>
    string Description { get; }

    /// <summary>C = α·op(A)·op(B) + β·C for each of <paramref name="batch"/> matrices.</summary>
    void Multiply(in GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int batch);
}

/// <summary>The tiled shared-memory kernel of <see cref="GemmKernels"/>.</summary>
internal sealed class TiledGemm : IDeviceGemm
{
    private readonly AcceleratorStream _stream;
    private readonly Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape> _kernel;

    private readonly int _tile;

    public TiledGemm(Accelerator accelerator, AcceleratorStream stream)
    {
        _stream = stream;
        _tile = GemmKernels.MaxTile;
        while (_tile * _tile > accelerator.MaxNumThreadsPerGroup)
        {
            _tile /= 2;
        }
        _kernel = accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape>(GemmKernels.Tiled);
    }

    public string Description => $"tiled ILGPU kernel ({_tile}×{_tile} shared-memory tiles)";

    public void Multiply(in GemmShape shape, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int batch)
    {
        var grid = new Index3D((shape.N + _tile - 1) / _tile, (shape.M + _tile - 1) / _tile, batch);
        _kernel(_stream, new KernelConfig(grid, new Index3D(_tile, _tile, 1)), a, b, c, shape);
    }

    public void Dispose()
    {
    }
}

/// <summary>
/// cuBLAS on the backend's stream. cuBLAS is column-major: a row-major X is the column-major Xᵀ, so the row-major
/// <c>C = op(A)·op(B)</c> is computed as the column-major <c>Cᵀ = op(B)ᵀ·op(A)ᵀ</c>, i.e. with the operands swapped,
/// each keeping its own transpose flag and leading dimension, and m and n exchanged.
/// </summary>
internal sealed unsafe class CublasGemm : IDeviceGemm
{
    private readonly CublasHandle _handle;
    private readonly bool _tf32;

    public CublasGemm(CudaStream stream, bool tf32, string path)
    {
        _handle = CublasHandle.Create();
        _tf32 = tf32;
        Check(NativeMethods.CublasSetStream(_handle.DangerousGetHandle(), stream.StreamPtr), "cublasSetStream_v2");
        int version;
        Check(NativeMethods.CublasGetVersion(_handle.DangerousGetHandle(), &version), "cublasGetVersion_v2");
        Version = $"{version / 10000}.{version / 100 % 100}.{version % 100}";
        Description = $"cuBLAS {Version}{(tf32 ? " (TF32 tensor cores)" : " (fp32)")} from {path}";
    }

    /// <summary>cuBLAS's version, e.g. <c>12.9.1</c>.</summary>
    public string Version { get; }

    public string Description { get; }

    public void Multiply(in GemmShape s, ArrayView<float> a, ArrayView<float> b, ArrayView<float> c, int batch)
    {
        var handle = _handle.DangerousGetHandle();
        var opA = s.TransposeA != 0 ? NativeMethods.CublasOpT : NativeMethods.CublasOpN;
        var opB = s.TransposeB != 0 ? NativeMethods.CublasOpT : NativeMethods.CublasOpN;
        float alpha = s.Alpha, beta = s.Beta;
        IntPtr pa = a.LoadEffectiveAddressAsPtr(), pb = b.LoadEffectiveAddressAsPtr(), pc = c.LoadEffectiveAddressAsPtr();
        int status;
        if (_tf32)
        {
            status = batch == 1
                ? NativeMethods.CublasGemmEx(handle, opB, opA, s.N, s.M, s.K, &alpha, pb, NativeMethods.CudaR32F, s.Ldb, pa, NativeMethods.CudaR32F, s.Lda, &beta, pc, NativeMethods.CudaR32F, s.Ldc, NativeMethods.CublasCompute32FFastTf32, NativeMethods.CublasGemmDefault)
                : NativeMethods.CublasGemmStridedBatchedEx(handle, opB, opA, s.N, s.M, s.K, &alpha, pb, NativeMethods.CudaR32F, s.Ldb, s.StrideB, pa, NativeMethods.CudaR32F, s.Lda, s.StrideA, &beta, pc, NativeMethods.CudaR32F, s.Ldc, s.StrideC, batch, NativeMethods.CublasCompute32FFastTf32, NativeMethods.CublasGemmDefault);
        }
        else
        {
            status = batch == 1
                ? NativeMethods.CublasSgemm(handle, opB, opA, s.N, s.M, s.K, &alpha, pb, s.Ldb, pa, s.Lda, &beta, pc, s.Ldc)
                : NativeMethods.CublasSgemmStridedBatched(handle, opB, opA, s.N, s.M, s.K, &alpha, pb, s.Ldb, s.StrideB, pa, s.Lda, s.StrideA, &beta, pc, s.Ldc, s.StrideC, batch);
        }

        Check(status, _tf32 ? "cublasGemmEx" : "cublasSgemm");
    }

    public void Dispose() => _handle.Dispose();

    private static void Check(int status, string call)
    {
        if (status != NativeMethods.CublasSuccess)
        {
            throw new InvalidOperationException($"{call} failed with cuBLAS status {status}.");
        }
    }
}
