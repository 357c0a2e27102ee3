using System;

namespace CrossModal.Tensors.Cpu;

/// <summary>Options of a <see cref="CpuBackend"/>.</summary>
public sealed class CpuBackendOptions
{
    /// <summary>Which GEMM implementation the backend calls.</summary>
    /// <value>Default <see cref="GemmProvider.Managed"/>.</value>
    public GemmProvider GemmProvider { get; set; } = GemmProvider.Managed;

    /// <summary>Most threads one operation uses; null for one per logical processor.</summary>
    /// <value>Default null (all cores).</value>
    public int? Threads { get; set; }

    /// <summary>Throws if an option is out of range or names a provider this machine lacks.</summary>
    public void Validate()
    {
        if (Threads is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), $"Threads must be at least 1 (or null for all cores); got {Threads}.");
        }

        if (!Enum.IsDefined(GemmProvider))
        {
            throw new ArgumentOutOfRangeException(nameof(GemmProvider), $"Unknown GEMM provider {GemmProvider}.");
        }

        if (GemmProvider == GemmProvider.OpenBlas && !OpenBlasGemm.IsAvailable)
        {
            throw new InvalidOperationException($"GemmProvider.OpenBlas was selected but OpenBLAS cannot be used: {OpenBlasGemm.LoadError}");
        }
    }
}
