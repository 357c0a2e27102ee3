using System;

namespace CrossModal.Tensors.Cpu;

/// <summary>Managed storage of the CPU backend: a pinned float32 array (pinned so kernels may take its address).</summary>
public sealed class CpuStorage : TensorStorage
{
    internal CpuStorage(long length)
        : base(length)
    {
        if (length > Array.MaxLength)
        {
            throw new ArgumentOutOfRangeException(nameof(length), $"The CPU backend holds at most {Array.MaxLength} elements per storage; {length} were requested.");
        }

        Data = GC.AllocateArray<float>((int)length, pinned: true);
    }

    /// <summary>The elements.</summary>
    internal float[] Data { get; }
}
