using CrossModal.Tensors.Cpu;
using Xunit;

namespace CrossModal.Tensors.Tests.Cpu;

/// <summary>A fact that is skipped, with the reason, where OpenBLAS (Debian/Ubuntu package <c>libopenblas0</c>) is not installed.</summary>
public sealed class OpenBlasFactAttribute : FactAttribute
{
    public OpenBlasFactAttribute()
    {
        if (!OpenBlasGemm.IsAvailable)
        {
            Skip = $"OpenBLAS is not installed (apt-get install libopenblas0): {OpenBlasGemm.LoadError}";
        }
    }
}
