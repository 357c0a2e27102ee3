using System;

namespace CrossModal.Bridging;

/// <summary>Adds Gaussian noise injection (CapDec, CLOSE, C3 "corrupt") to a <see cref="BridgePipelineBuilder"/>.</summary>
public static class GaussianNoisePipelineBuilderExtensions
{
    /// <summary>Appends a GaussianNoise stage.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Its options; defaults when omitted. Validated now.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static BridgePipelineBuilder AddGaussianNoise(this BridgePipelineBuilder builder, GaussianNoiseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStrategy(options ?? new GaussianNoiseOptions(), (o, _) => new GaussianNoiseBridge(o));
    }
}
