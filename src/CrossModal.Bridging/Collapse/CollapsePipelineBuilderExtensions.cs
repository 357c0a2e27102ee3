using System;

namespace CrossModal.Bridging;

/// <summary>Adds C3's collapse (mean removal per modality) to a <see cref="BridgePipelineBuilder"/>.</summary>
public static class CollapsePipelineBuilderExtensions
{
    /// <summary>Appends a Collapse stage.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Its options; defaults when omitted. Validated now.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static BridgePipelineBuilder AddCollapse(this BridgePipelineBuilder builder, CollapseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStrategy(options ?? new CollapseOptions(), (o, _) => new CollapseBridge(o));
    }
}
