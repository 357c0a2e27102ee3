using System.Runtime.Intrinsics;

namespace CrossModal.Tensors.Cpu;

/// <summary>Which SIMD microkernel the managed GEMM runs.</summary>
internal enum GemmKernel
{
    /// <summary><see cref="Vector512"/> when it is hardware accelerated, else <see cref="Vector256"/>.</summary>
    Auto = 0,

    /// <summary>The 6×16 microkernel over <see cref="Vector256{T}"/> (AVX2 + FMA class machines).</summary>
    Vector256,

    /// <summary>The 12×32 microkernel over <see cref="Vector512{T}"/> (AVX-512 class machines).</summary>
    Vector512,
}

/// <summary>
/// Register and cache blocking of one microkernel (BLIS terms: Van Zee &amp; van de Geijn, "BLIS: A Framework for
/// Rapidly Instantiating BLAS Functionality", ACM TOMS 2015, §3; Goto &amp; van de Geijn, ACM TOMS 2008).
/// </summary>
/// <param name="Mr">Rows of C per microkernel call (broadcast operands of A).</param>
/// <param name="Nr">Columns of C per microkernel call (vector operands of B).</param>
/// <param name="Kc">Depth of one packed block: an Mr×Kc sliver of A and a Kc×Nr sliver of B stream through L1.</param>
/// <param name="Mc">Rows of the packed A block (Mc×Kc floats, kept in L2); a multiple of <paramref name="Mr"/>.</param>
/// <param name="Nc">Columns of the packed B block (Kc×Nc floats, kept in L3); a multiple of <paramref name="Nr"/>.</param>
internal readonly record struct GemmBlocking(int Mr, int Nr, int Kc, int Mc, int Nc)
{
    /// <summary>
    /// AVX2: 6×16 uses 12 of the 16 ymm registers for accumulators, 2 for B and 1 for the broadcast of A, the shape
    /// BLIS uses for Haswell and Zen (bli_gemm_haswell_asm_6x16). Kc = 384 as OpenBLAS's Haswell SGEMM_DEFAULT_Q:
    /// Kc·Nr·4 B = 24 KiB of B in a 32 KiB L1; Mc·Kc·4 B = 216 KiB of A fits even a 256 KiB L2. On the 2-core Zen 3
    /// development VM, Kc = 384 measured ≈ 10 % faster than 256 and Mc = 144 within noise of 96…288.
    /// </summary>
    public static GemmBlocking Avx2 { get; } = new(6, 16, 384, 144, 4080);

    /// <summary>
    /// AVX-512: 12×32 uses 24 of the 32 zmm registers for accumulators, 2 for B and 1 for the broadcast of A
    /// (BLIS's skx sgemm kernel is the same 24-accumulator shape). Kc·Nr·4 B = 32 KiB of B in L1 (sized for the
    /// 48 KiB L1 of Zen 5; not tuned by measurement, as no AVX-512 machine was at hand).
    /// </summary>
    public static GemmBlocking Avx512 { get; } = new(12, 32, 256, 144, 4064);

    /// <summary>The blocking of <paramref name="kernel"/> (which must not be <see cref="GemmKernel.Auto"/>).</summary>
    public static GemmBlocking For(GemmKernel kernel) => kernel == GemmKernel.Vector512 ? Avx512 : Avx2;

    /// <summary>Floats a per-thread packed-A buffer needs for any kernel (plus slack for the 8-wide stores of packing).</summary>
    public static int MaxPackA => System.Math.Max(Avx2.Mc * Avx2.Kc, Avx512.Mc * Avx512.Kc) + 16;

    /// <summary>Floats a packed-B buffer needs for any kernel.</summary>
    public static int MaxPackB => System.Math.Max(Avx2.Kc * Avx2.Nc, Avx512.Kc * Avx512.Nc);

    /// <summary>Floats of an Mr×Nr edge tile for any kernel.</summary>
    public static int MaxTile => System.Math.Max(Avx2.Mr * Avx2.Nr, Avx512.Mr * Avx512.Nr);
}
