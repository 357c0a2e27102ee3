using System;
using System.Globalization;
using CrossModal.Bridging;
using CrossModal.Tensors.Cuda;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CrossModal.DependencyInjection;

/// <summary>
/// Adds strategies to a bridge pipeline registered in DI: the default <c>IModalityBridge</c> (from
/// <c>AddCrossModal</c>) or a keyed one (from <see cref="AddPipeline"/>). Each strategy's options are named options
/// validated when the application starts (<c>ValidateOnStart</c>).
/// </summary>
public sealed class CrossModalBuilder
{
    private readonly PipelineRegistry _registry;

    internal CrossModalBuilder(IServiceCollection services, PipelineRegistry registry, string? pipelineName)
    {
        Services = services;
        _registry = registry;
        PipelineName = pipelineName;
    }

    /// <summary>The service collection being configured.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The key of the pipeline this builder adds to; <see langword="null"/> for the default pipeline.</summary>
    public string? PipelineName { get; }

    /// <summary>
    /// Computes on an NVIDIA GPU: sets <see cref="ComputeOptions.Device"/> to <c>cuda:N</c> (N from
    /// <see cref="CudaBackendOptions.DeviceIndex"/>, 0 by default) and <see cref="ComputeOptions.Cuda"/>. Resolving
    /// <see cref="Tensors.IComputeBackend"/> throws <see cref="InvalidOperationException"/> naming what is missing
    /// when this machine cannot run CUDA.
    /// </summary>
    /// <param name="configure">Adjusts the CUDA options, e.g. <c>o => o.UseTf32 = true</c>.</param>
    public CrossModalBuilder UseCuda(Action<CudaBackendOptions>? configure = null)
    {
        Services.Configure<CrossModalOptions>(options =>
        {
            var cuda = new CudaBackendOptions();
            configure?.Invoke(cuda);
            options.Compute ??= new ComputeOptions();
            options.Compute.Cuda = cuda;
            options.Compute.Device = string.Create(CultureInfo.InvariantCulture, $"{ComputeOptions.CudaDevice}:{cuda.DeviceIndex}");
        });
        return this;
    }

    /// <summary>Appends C3's Collapse.</summary>
    /// <param name="configure">Adjusts the options.</param>
    public CrossModalBuilder AddCollapse(Action<CollapseOptions>? configure = null) =>
        AddStage(configure, static (builder, options) => builder.AddCollapse(options));

    /// <summary>Appends Gaussian noise (CapDec / CLOSE / C3 "corrupt").</summary>
    /// <param name="configure">Adjusts the options, e.g. <c>o => o.Sigma = 0.08</c>.</param>
    public CrossModalBuilder AddGaussianNoise(Action<GaussianNoiseOptions>? configure = null) =>
        AddStage(configure, static (builder, options) => builder.AddGaussianNoise(options));

    /// <summary>Appends the mean shift μ_v − μ_t.</summary>
    /// <param name="configure">Adjusts the options.</param>
    public CrossModalBuilder AddMeanShift(Action<MeanShiftOptions>? configure = null) =>
        AddStage(configure, static (builder, options) => builder.AddMeanShift(options));

    /// <summary>Appends CLOSE's linear adapter.</summary>
    /// <param name="configure">Adjusts the options.</param>
    public CrossModalBuilder AddLinearAdapter(Action<LinearAdapterOptions>? configure = null) =>
        AddStage(configure, static (builder, options) => builder.AddLinearAdapter(options));

    /// <summary>Appends CLOSE's covariance noise.</summary>
    /// <param name="configure">Adjusts the options.</param>
    public CrossModalBuilder AddCovarianceNoise(Action<CovarianceNoiseOptions>? configure = null) =>
        AddStage(configure, static (builder, options) => builder.AddCovarianceNoise(options));

    /// <summary>Appends DeCap's support-set projection.</summary>
    /// <param name="configure">Adjusts the options.</param>
    public CrossModalBuilder AddSupportSetProjection(Action<SupportSetProjectionOptions>? configure = null) =>
        AddStage(configure, static (builder, options) => builder.AddSupportSetProjection(options));

    /// <summary>Appends SynTIC's synthetic-pair alignment.</summary>
    /// <param name="configure">Adjusts the options.</param>
    public CrossModalBuilder AddSyntheticPairAlignment(Action<SyntheticPairAlignmentOptions>? configure = null) =>
        AddStage(configure, static (builder, options) => builder.AddSyntheticPairAlignment(options));

    /// <summary>Appends the stages of a published recipe (with its fixed options).</summary>
    /// <param name="preset">The recipe.</param>
    public CrossModalBuilder AddPreset(BridgePreset preset)
    {
        _registry.AddStage(PipelineName, (_, builder) => builder.AddPreset(preset));
        return this;
    }

    /// <summary>
    /// Registers a named pipeline, resolved as a keyed service: <c>[FromKeyedServices("c3")] IModalityBridge</c>.
    /// </summary>
    /// <param name="name">The service key.</param>
    /// <param name="configure">Adds the pipeline's stages.</param>
    /// <param name="statePath">Optional bridge state file the pipeline is restored from when first resolved (checked at start).</param>
    /// <returns>This builder (of the default pipeline).</returns>
    public CrossModalBuilder AddPipeline(string name, Action<CrossModalBuilder> configure, string? statePath = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(configure);
        if (PipelineName is not null)
        {
            throw new InvalidOperationException($"AddPipeline(\"{name}\") was called inside pipeline '{PipelineName}'; pipelines do not nest.");
        }

        _registry.Register(Services, name, statePath);
        configure(new CrossModalBuilder(Services, _registry, name));
        return this;
    }

    private CrossModalBuilder AddStage<TOptions>(Action<TOptions>? configure, Action<BridgePipelineBuilder, TOptions> add)
        where TOptions : BridgeOptions, new()
    {
        var optionsName = _registry.NextStageOptionsName(PipelineName);
        var optionsBuilder = Services.AddOptions<TOptions>(optionsName);
        if (configure is not null)
        {
            optionsBuilder.Configure(configure);
        }

        // BridgeOptionsValidator reports every invalid setting by name; ValidateOnStart runs it when the host starts
        // (and IOptionsMonitor.Get runs it on first use without a host).
        Services.AddSingleton<IValidateOptions<TOptions>>(new BridgeOptionsValidator<TOptions>(optionsName));
        optionsBuilder.ValidateOnStart();
        _registry.AddStage(PipelineName, (provider, builder) =>
            add(builder, provider.GetRequiredService<IOptionsMonitor<TOptions>>().Get(optionsName)));
        return this;
    }
}
