using System;
using System.Collections.Generic;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Bridging;

/// <summary>
/// Builds a <see cref="BridgePipeline"/> without dependency injection:
/// <c>new BridgePipelineBuilder().AddCollapse().AddGaussianNoise().Build()</c> is C3. The builder keeps recipes, not
/// bridges: every <see cref="Build"/> constructs fresh, unfitted stages, so two built pipelines never share fitted state.
/// </summary>
public sealed class BridgePipelineBuilder
{
    private readonly List<Func<IEnumerable<IModalityBridge>>> _stages = new();

    /// <summary>A builder whose strategies run their bulk work on <see cref="CpuBackend.Default"/>.</summary>
    public BridgePipelineBuilder()
        : this(null)
    {
    }

    /// <summary>A builder whose strategies run their bulk work (GEMMs, softmaxes, normalisations) on <paramref name="backend"/>.</summary>
    /// <param name="backend">The compute backend; <see cref="CpuBackend.Default"/> when null.</param>
    public BridgePipelineBuilder(IComputeBackend? backend) => Backend = backend ?? CpuBackend.Default;

    /// <summary>The backend the built-in strategies added to this builder run on.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>Appends a stage made by <paramref name="factory"/>, which each <see cref="Build"/> calls once.</summary>
    /// <param name="factory">Returns a new, unfitted bridge (including one of your own) on every call.</param>
    /// <returns>This builder.</returns>
    public BridgePipelineBuilder AddBridge(Func<IModalityBridge> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _stages.Add(() => [factory() ?? throw new InvalidOperationException("The bridge factory returned null.")]);
        return this;
    }

    /// <summary>
    /// Appends an existing bridge. An instance cannot be copied, so only the first <see cref="Build"/> may use it; a
    /// second one throws <see cref="InvalidOperationException"/> instead of sharing its fitted state. Use
    /// <see cref="AddBridge(Func{IModalityBridge})"/> to build several pipelines.
    /// </summary>
    /// <param name="bridge">The stage; applied after those added before it.</param>
    /// <returns>This builder.</returns>
    public BridgePipelineBuilder AddBridge(IModalityBridge bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        var used = false;
        _stages.Add(() =>
        {
            if (used)
            {
                throw new InvalidOperationException(
                    $"The bridge '{bridge.Name}' was added as an instance and already belongs to a built pipeline; add it as a factory, AddBridge(() => new …), to build more than one.");
            }

            used = true;
            return [bridge];
        });
        return this;
    }

    /// <summary>
    /// Appends a built-in strategy: <paramref name="create"/> runs once now, so invalid options throw here and are
    /// copied (later changes to the caller's object do not reach any build), and once per <see cref="Build"/>.
    /// </summary>
    internal BridgePipelineBuilder AddStrategy<TOptions>(TOptions options, Func<TOptions, IComputeBackend, BridgeBase<TOptions>> create)
        where TOptions : BridgeOptions
    {
        var validated = create(options, Backend).Options;
        return AddBridge(() => create(validated, Backend));
    }

    /// <summary>Appends every stage of a preset.</summary>
    /// <param name="preset">A paper's recipe.</param>
    /// <returns>This builder.</returns>
    public BridgePipelineBuilder AddPreset(BridgePreset preset)
    {
        BridgePresets.Create(preset, Backend); // an unknown preset fails here, not at Build
        _stages.Add(() => BridgePresets.Create(preset, Backend).Stages);
        return this;
    }

    /// <summary>A pipeline of fresh, unfitted stages made from the recipes added so far.</summary>
    public BridgePipeline Build()
    {
        var stages = new List<IModalityBridge>();
        foreach (var stage in _stages)
        {
            stages.AddRange(stage());
        }

        return new BridgePipeline(stages);
    }
}
