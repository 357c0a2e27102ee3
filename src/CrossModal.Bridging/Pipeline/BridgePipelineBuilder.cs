using System;
using System.Collections.Generic;
using CrossModal.Abstractions;

namespace CrossModal.Bridging;

/// <summary>
/// Builds a <see cref="BridgePipeline"/> without dependency injection:
/// <c>new BridgePipelineBuilder().AddCollapse().AddGaussianNoise().Build()</c> is C3.
/// </summary>
public sealed class BridgePipelineBuilder
{
    private readonly List<IModalityBridge> _stages = new();

    /// <summary>Appends any bridge, including one of your own.</summary>
    /// <param name="bridge">The stage; applied after those added before it.</param>
    /// <returns>This builder.</returns>
    public BridgePipelineBuilder AddBridge(IModalityBridge bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        _stages.Add(bridge);
        return this;
    }

    /// <summary>Appends every stage of a preset.</summary>
    /// <param name="preset">A paper's recipe.</param>
    /// <returns>This builder.</returns>
    public BridgePipelineBuilder AddPreset(BridgePreset preset)
    {
        foreach (var stage in BridgePresets.Create(preset).Stages)
        {
            _stages.Add(stage);
        }

        return this;
    }

    /// <summary>The pipeline of the stages added so far (each stage is used by this pipeline only).</summary>
    public BridgePipeline Build() => new(_stages);
}
