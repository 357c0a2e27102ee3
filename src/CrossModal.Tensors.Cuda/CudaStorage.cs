using ILGPU;
using ILGPU.Runtime;

namespace CrossModal.Tensors.Cuda;

/// <summary>Device memory of the CUDA backend: one ILGPU buffer that tensors are contiguous windows of.</summary>
public sealed class CudaStorage : TensorStorage
{
    private readonly CudaBackend _owner;
    private MemoryBuffer1D<float, Stride1D.Dense>? _buffer;

    internal CudaStorage(CudaBackend owner, MemoryBuffer1D<float, Stride1D.Dense> buffer, long length)
        : base(length)
    {
        _owner = owner;
        _buffer = buffer;
    }

    /// <summary>The backend owning the memory.</summary>
    internal CudaBackend Owner => _owner;

    /// <summary>The elements; throws once disposed.</summary>
    internal ArrayView<float> View => (_buffer ?? throw new System.ObjectDisposedException(nameof(CudaStorage))).View;

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing && _buffer is not null)
        {
            _owner.Release(_buffer);
            _buffer = null;
        }

        base.Dispose(disposing);
    }
}
