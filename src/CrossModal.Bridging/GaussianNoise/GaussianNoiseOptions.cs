using System;
using System.Collections.Generic;

namespace CrossModal.Bridging;

/// <summary>
/// Options of <c>GaussianNoise</c>, the "corrupt" step of CapDec (Nukrai et al., 2022), CLOSE (Gu et al., 2023) and
/// C3: training x = n(n(t) + σ·ε), ε ~ N(0, I).
/// </summary>
public sealed class GaussianNoiseOptions : BridgeOptions
{
    /// <summary>CapDec's default noise variance 0.016, as a standard deviation.</summary>
    public static readonly double CapDecSigma = Math.Sqrt(0.016);

    /// <summary>Standard deviation σ of the noise added to every component.</summary>
    /// <value>Default √0.016 ≈ 0.1265 (CapDec's noise variance 0.016, also used by C3).</value>
    public double Sigma { get; set; } = CapDecSigma;

    /// <summary>Whether the noisy vector is L2-normalised again.</summary>
    /// <value>Default <see langword="true"/>; CapDec feeds the un-normalised noisy vector to its mapper.</value>
    public bool Renormalize { get; set; } = true;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors() => RequireNonNegative(Sigma, nameof(Sigma));
}
