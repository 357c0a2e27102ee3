using System.Collections.Generic;

namespace CrossModal.Bridging;

/// <summary>
/// Options of <c>MeanShift</c> (CapDec's offset, CLOSE's mean shift): training x = n(n(t) + s·(μ_v − μ_t)).
/// </summary>
public sealed class MeanShiftOptions : BridgeOptions
{
    /// <summary>Scale s of the shift from the text mean to the image mean.</summary>
    /// <value>Default 1 (move the text cloud's centre exactly onto the image cloud's).</value>
    public double Scale { get; set; } = 1.0;

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors() => RequireNonNegative(Scale, nameof(Scale));
}
