namespace CrossModal.Tensors.Cpu;

/// <summary>Which implementation runs the CPU backend's matrix multiplies.</summary>
public enum GemmProvider
{
    /// <summary>The managed blocked SIMD kernel in <see cref="Gemm"/> (default; no native dependency).</summary>
    Managed = 0,

    /// <summary>
    /// OpenBLAS's <c>cblas_sgemm</c> from <c>libopenblas.so.0</c> (Debian/Ubuntu package <c>libopenblas0</c>),
    /// through <see cref="OpenBlasGemm"/>.
    /// </summary>
    OpenBlas = 1,
}
