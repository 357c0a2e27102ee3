using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Tensors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CrossModal.DependencyInjection;

/// <summary>The stages registered for each pipeline (the default one under the empty key), built on first resolution.</summary>
internal sealed class PipelineRegistry
{
    private const string DefaultKey = "";
    private readonly Dictionary<string, List<Action<IServiceProvider, BridgePipelineBuilder>>> _stages = new(StringComparer.Ordinal)
    {
        [DefaultKey] = new(),
    };

    private readonly Dictionary<string, string?> _statePaths = new(StringComparer.Ordinal);

    public void Register(IServiceCollection services, string name, string? statePath)
    {
        if (!_stages.TryAdd(name, new()))
        {
            throw new InvalidOperationException($"A CrossModal pipeline named '{name}' is already registered.");
        }

        _statePaths[name] = statePath;
        services.AddKeyedSingleton<IModalityBridge>(name, (provider, _) => Build(provider, name));
        if (statePath is not null)
        {
            // Checked at start like the options: a missing file fails the host before any request.
            services.AddOptions<PipelineStateOptions>(name)
                .Configure(o => o.Path = statePath)
                .Validate(o => File.Exists(o.Path), $"The state file '{statePath}' of CrossModal pipeline '{name}' does not exist.")
                .ValidateOnStart();
        }
    }

    public string NextStageOptionsName(string? pipeline) =>
        $"crossmodal:{pipeline ?? "default"}:{_stages[pipeline ?? DefaultKey].Count.ToString(CultureInfo.InvariantCulture)}";

    public void AddStage(string? pipeline, Action<IServiceProvider, BridgePipelineBuilder> stage) => _stages[pipeline ?? DefaultKey].Add(stage);

    public BridgePipeline Build(IServiceProvider provider, string? pipeline)
    {
        // The container's backend, so a pipeline built here does its bulk work where the models do.
        var builder = new BridgePipelineBuilder(provider.GetService<IComputeBackend>());
        foreach (var stage in _stages[pipeline ?? DefaultKey])
        {
            stage(provider, builder);
        }

        var result = builder.Build();
        var statePath = pipeline is null
            ? provider.GetRequiredService<IOptions<CrossModalOptions>>().Value.BridgeStatePath
            : _statePaths[pipeline];
        if (statePath is not null)
        {
            BridgeStateFile.Import(statePath, result);
        }

        return result;
    }
}

/// <summary>The state file of a named pipeline (named options, so it is validated at start).</summary>
internal sealed class PipelineStateOptions
{
    public string Path { get; set; } = string.Empty;
}
