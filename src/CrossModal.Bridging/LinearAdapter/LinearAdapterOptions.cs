using System.Collections.Generic;

namespace CrossModal.Bridging;

/// <summary>
/// Options of <c>LinearAdapter</c> (CLOSE, Gu et al., 2023, §3.2 "linear adapter"): a map W, b fitted by ridge
/// least squares on a small paired set so that W·n(t) + b ≈ n(v).
/// </summary>
public sealed class LinearAdapterOptions : BridgeOptions
{
    /// <summary>Ridge penalty λ on ‖W‖²_F (the bias is not penalised).</summary>
    /// <value>Default 0.1. With fewer pairs than dimensions the normal equations are singular and λ &gt; 0 is required.</value>
    public double Lambda { get; set; } = 0.1;

    /// <summary>Whether to fit the bias b (through an augmented constant column).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool FitBias { get; set; } = true;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors() => RequireNonNegative(Lambda, nameof(Lambda));
}
