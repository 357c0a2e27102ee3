using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Bridging;

/// <summary>
/// Options of <c>CovarianceNoise</c> (CLOSE, Gu et al., 2023, §3.2 "structured noise"): training
/// x = n(n(t) + μ_Δ + s·z + w·ε) with z ~ N(0, Σ_Δ), Δ = n(v) − n(t) over a paired set.
/// </summary>
public sealed class CovarianceNoiseOptions : BridgeOptions
{
    /// <summary>Scale s of the structured noise z ~ N(0, Σ_Δ).</summary>
    /// <value>Default 1. CLOSE's code hard-codes 3; the <c>CloseCovariance</c> preset uses that.</value>
    public double Scale { get; set; } = 1.0;

    /// <summary>Standard deviation w of additional isotropic noise ε ~ N(0, I).</summary>
    /// <value>Default 0.</value>
    public double IsotropicSigma { get; set; }

    /// <summary>Whether to add the mean difference μ_Δ (the constant part of the gap).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool AddMean { get; set; } = true;

    /// <summary>First jitter tried when Σ_Δ is rank-deficient, relative to the mean of its diagonal (grown tenfold until Cholesky succeeds).</summary>
    /// <value>Default 1e-6. A paired set smaller than the dimension always needs some.</value>
    public double RelativeJitter { get; set; } = 1e-6;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors() =>
        RequireNonNegative(Scale, nameof(Scale))
            .Concat(RequireNonNegative(IsotropicSigma, nameof(IsotropicSigma)))
            .Concat(RequirePositive(RelativeJitter, nameof(RelativeJitter)));
}
