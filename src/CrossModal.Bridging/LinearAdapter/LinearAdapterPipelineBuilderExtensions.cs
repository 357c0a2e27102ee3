using System;

namespace CrossModal.Bridging;

/// <summary>Adds CLOSE's ridge-regression linear adapter to a <see cref="BridgePipelineBuilder"/>.</summary>
public static class LinearAdapterPipelineBuilderExtensions
{
    /// <summary>Appends a LinearAdapter stage.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Its options; defaults when omitted. Validated now.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static BridgePipelineBuilder AddLinearAdapter(this BridgePipelineBuilder builder, LinearAdapterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStrategy(options ?? new LinearAdapterOptions(), (o, backend) => new LinearAdapterBridge(o, backend));
    }
}
