using System;

namespace CrossModal.Bridging;

/// <summary>Adds CLOSE's structured (covariance) noise to a <see cref="BridgePipelineBuilder"/>.</summary>
public static class CovarianceNoisePipelineBuilderExtensions
{
    /// <summary>Appends a CovarianceNoise stage.</summary>
    /// <param name="builder">The pipeline builder.</param>
    /// <param name="options">Its options; defaults when omitted. Validated now.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static BridgePipelineBuilder AddCovarianceNoise(this BridgePipelineBuilder builder, CovarianceNoiseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddStrategy(options ?? new CovarianceNoiseOptions(), (o, backend) => new CovarianceNoiseBridge(o, backend));
    }
}
