using System;

namespace CrossModal.Bridging;

/// <summary>Adds SynTIC's synthetic-pair alignment and projection to a <see cref="BridgePipelineBuilder"/>.</summary>
public static class SyntheticPairAlignmentPipelineBuilderExtensions
{
    /// <summary>Appends a SyntheticPairAlignment stage.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Its options; defaults when omitted. Validated now.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static BridgePipelineBuilder AddSyntheticPairAlignment(this BridgePipelineBuilder builder, SyntheticPairAlignmentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStrategy(options ?? new SyntheticPairAlignmentOptions(), (o, backend) => new SyntheticPairAlignmentBridge(o, backend));
    }
}
