using System;

namespace CrossModal.Bridging;

/// <summary>Adds DeCap's projection onto a text support set to a <see cref="BridgePipelineBuilder"/>.</summary>
public static class SupportSetProjectionPipelineBuilderExtensions
{
    /// <summary>Appends a SupportSetProjection stage.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Its options; defaults when omitted. Validated now.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static BridgePipelineBuilder AddSupportSetProjection(this BridgePipelineBuilder builder, SupportSetProjectionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStrategy(options ?? new SupportSetProjectionOptions(), (o, backend) => new SupportSetProjectionBridge(o, backend));
    }
}
