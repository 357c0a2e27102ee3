using System;

namespace CrossModal.Bridging;

/// <summary>Adds the mean shift μ_v − μ_t (CapDec offset, CLOSE) to a <see cref="BridgePipelineBuilder"/>.</summary>
public static class MeanShiftPipelineBuilderExtensions
{
    /// <summary>Appends a MeanShift stage.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Its options; defaults when omitted. Validated now.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static BridgePipelineBuilder AddMeanShift(this BridgePipelineBuilder builder, MeanShiftOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStrategy(options ?? new MeanShiftOptions(), (o, _) => new MeanShiftBridge(o));
    }
}
