using System;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers CrossModal in a service collection.</summary>
public static class CrossModalServiceCollectionExtensions
{
    /// <summary>
    /// Registers the default bridge pipeline as <see cref="IModalityBridge"/> (and <see cref="BridgePipeline"/>),
    /// a singleton built on first resolution from the stages added to the returned builder — none means the C1
    /// identity. Options are validated when the host starts.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts the application-wide options.</param>
    /// <returns>A builder for the default pipeline's stages and for named pipelines.</returns>
    /// <example><code>
    /// services.AddCrossModal(o => o.BridgeStatePath = "c3.bridge.safetensors")
    ///     .AddCollapse()
    ///     .AddGaussianNoise(o => o.Sigma = 0.1)
    ///     .AddPipeline("decap", p => p.AddSupportSetProjection(o => o.Temperature = 0.01));
    /// </code></example>
    public static CrossModalBuilder AddCrossModal(this IServiceCollection services, Action<CrossModalOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        if (services.Any(d => d.ServiceType == typeof(PipelineRegistry)))
        {
            throw new InvalidOperationException("AddCrossModal was already called on this service collection.");
        }

        var registry = new PipelineRegistry();
        services.AddSingleton(registry);
        var options = services.AddOptions<CrossModalOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.Validate(o => !o.GetValidationErrors().Any(), "CrossModalOptions are invalid (BridgeStatePath must name an existing file).")
            .ValidateOnStart();
        services.AddSingleton(provider => registry.Build(provider, null));
        services.AddSingleton<IModalityBridge>(provider => provider.GetRequiredService<BridgePipeline>());
        return new CrossModalBuilder(services, registry, null);
    }
}
