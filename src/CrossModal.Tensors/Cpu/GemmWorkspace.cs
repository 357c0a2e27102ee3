using System;
using System.Runtime.InteropServices;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// One thread's GEMM pack buffers, allocated once per thread (64-byte aligned native memory, so they never move and
/// vector loads never split a cache line) and freed by the finalizer when the thread and its workspace are gone.
/// </summary>
internal sealed unsafe class GemmWorkspace
{
    [ThreadStatic]
    private static GemmWorkspace? t_current;

    private GemmWorkspace()
    {
        PackA = Allocate(GemmBlocking.MaxPackA);
        PackB = Allocate(GemmBlocking.MaxPackB);
        Tile = Allocate(GemmBlocking.MaxTile);
    }

    ~GemmWorkspace()
    {
        NativeMemory.AlignedFree(PackA);
        NativeMemory.AlignedFree(PackB);
        NativeMemory.AlignedFree(Tile);
    }

    /// <summary>The calling thread's workspace (created on its first GEMM).</summary>
    public static GemmWorkspace Current => t_current ??= new GemmWorkspace();

    /// <summary>Packed A block: (Mc, Kc) floats at most.</summary>
    public float* PackA { get; }

    /// <summary>Packed B block: (Kc, Nc) floats at most; shared by the team when this thread leads a parallel GEMM.</summary>
    public float* PackB { get; }

    /// <summary>Scratch Mr×Nr tile for partial edge tiles.</summary>
    public float* Tile { get; }

    private static float* Allocate(int floats)
    {
        return (float*)NativeMemory.AlignedAlloc((nuint)floats * sizeof(float), 64);
    }
}
