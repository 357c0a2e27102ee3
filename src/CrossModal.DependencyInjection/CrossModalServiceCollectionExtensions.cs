using System;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.DependencyInjection;
using CrossModal.Tensors;
using CrossModal.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers CrossModal in a service collection.</summary>
public static class CrossModalServiceCollectionExtensions
{
    /// <summary>
    /// Registers the library configured in code; see <see cref="AddCrossModal(IServiceCollection, IConfiguration)"/>
    /// for the services.
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
        return AddCore(services, builder =>
        {
            if (configure is not null)
            {
                builder.Configure(configure);
            }
        });
    }

    /// <summary>
    /// Registers the library configured from a configuration section (an <c>appsettings.json</c> "CrossModal"
    /// object whose shape is <see cref="CrossModalOptions"/>). Every option is validated when the host starts
    /// (<c>ValidateOnStart</c>); models load on first resolution. Singletons registered:
    /// <list type="bullet">
    /// <item><see cref="IComputeBackend"/> from <see cref="CrossModalOptions.Compute"/>;</item>
    /// <item><see cref="TokenizerProvider"/>, and <see cref="ITokenizer"/> keyed by name (<c>gpt2</c>, <c>clip</c>,
    /// and <see cref="CrossModalOptions.Tokenizers"/>);</item>
    /// <item><see cref="ITextEncoder"/> and <see cref="IImageEncoder"/>: the CLIP model of <see cref="CrossModalOptions.Clip"/>;</item>
    /// <item><see cref="IImageDecoder"/>: PNG, PNM and (with libturbojpeg) JPEG;</item>
    /// <item><see cref="ICaptioner"/> from <see cref="CrossModalOptions.Captioner"/>, and <see cref="ImageCaptioningService"/>
    /// (image bytes → caption);</item>
    /// <item><see cref="CaptionTrainerFactory"/> with <see cref="CrossModalOptions.Training"/>;</item>
    /// <item><see cref="AdversarialTrainerFactory"/> (CgT-GAN: discriminator, CLIP rewards, caption embedder, trainer) with <see cref="CrossModalOptions.Adversarial"/>;</item>
    /// <item><see cref="IModalityBridge"/> / <see cref="BridgePipeline"/>: the default pipeline of the returned builder's
    /// stages (none: the C1 identity), and keyed pipelines from <see cref="CrossModalBuilder.AddPipeline"/>.</item>
    /// </list>
    /// Services the application registered before this call (e.g. its own <see cref="IComputeBackend"/>) are kept.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section, e.g. <c>builder.Configuration.GetSection("CrossModal")</c>.</param>
    /// <returns>A builder for the default pipeline's stages and for named pipelines.</returns>
    public static CrossModalBuilder AddCrossModal(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return AddCore(services, builder => builder.Bind(configuration));
    }

    private static CrossModalBuilder AddCore(IServiceCollection services, Action<OptionsBuilder<CrossModalOptions>> configure)
    {
        if (services.Any(d => d.ServiceType == typeof(PipelineRegistry)))
        {
            throw new InvalidOperationException("AddCrossModal was already called on this service collection.");
        }

        var registry = new PipelineRegistry();
        services.AddSingleton(registry);
        var options = services.AddOptions<CrossModalOptions>();
        configure(options);
        services.AddSingleton<IValidateOptions<CrossModalOptions>, CrossModalOptionsValidator>();
        options.ValidateOnStart();

        services.AddSingleton(provider => registry.Build(provider, null));
        services.AddSingleton<IModalityBridge>(provider => provider.GetRequiredService<BridgePipeline>());

        services.TryAddSingleton(provider => ModelFactory.CreateBackend(Options(provider).Compute));
        services.TryAddSingleton<TokenizerProvider>();
        services.TryAddKeyedSingleton<ITokenizer>(KeyedService.AnyKey, (provider, key) =>
            provider.GetRequiredService<TokenizerProvider>().Get(key as string ?? throw new ArgumentException("Tokenizers are keyed by name (a string).", nameof(key))));

        services.TryAddSingleton(provider => ModelFactory.LoadClip(
            Require(Options(provider).Clip, o => o.ModelDirectory, "Clip:ModelDirectory"), provider.GetRequiredService<IComputeBackend>()));
        services.TryAddSingleton<ITextEncoder>(provider => ModelFactory.ClipEncoders(provider).Text);
        services.TryAddSingleton<IImageEncoder>(provider => ModelFactory.ClipEncoders(provider).Image);
        services.TryAddSingleton(_ => ModelFactory.ImageDecoder);

        services.TryAddSingleton(provider => new LoadedCaptioner(
            ModelFactory.LoadCaptioner(Require(Options(provider).Captioner, o => o.CheckpointPath, "Captioner:CheckpointPath"),
                provider.GetRequiredService<IComputeBackend>(), out var dimension),
            dimension));
        services.TryAddSingleton(provider => provider.GetRequiredService<LoadedCaptioner>().Captioner);
        services.TryAddSingleton(provider =>
        {
            var captioner = provider.GetRequiredService<LoadedCaptioner>();
            var encoder = provider.GetRequiredService<IImageEncoder>();
            if (encoder.Dimension != captioner.EmbeddingDimension)
            {
                throw new InvalidOperationException(
                    $"{CrossModalOptions.SectionName}:Clip:ModelDirectory embeds images in {encoder.Dimension} dimensions but the captioner of " +
                    $"{CrossModalOptions.SectionName}:Captioner:CheckpointPath was trained on {captioner.EmbeddingDimension}; use the CLIP it was trained with.");
            }

            return new ImageCaptioningService(provider.GetRequiredService<IImageDecoder>(), encoder, captioner.Captioner);
        });

        services.TryAddSingleton(provider => new CaptionTrainerFactory(
            provider.GetRequiredService<IComputeBackend>(), provider.GetRequiredService<IOptions<CrossModalOptions>>(),
            provider.GetRequiredService<IModalityBridge>));
        services.TryAddSingleton(provider => new AdversarialTrainerFactory(
            provider.GetRequiredService<IComputeBackend>(), provider.GetRequiredService<IOptions<CrossModalOptions>>(),
            provider.GetRequiredService<ITextEncoder>));
        return new CrossModalBuilder(services, registry, null);
    }

    private static CrossModalOptions Options(IServiceProvider provider) => provider.GetRequiredService<IOptions<CrossModalOptions>>().Value;

    private static T Require<T>(T options, Func<T, string?> value, string setting) =>
        value(options) is null
            ? throw new InvalidOperationException($"{CrossModalOptions.SectionName}:{setting} is not set, so this service cannot be made.")
            : options;
}
