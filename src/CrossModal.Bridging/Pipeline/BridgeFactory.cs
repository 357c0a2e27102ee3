using System;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Tensors;

namespace CrossModal.Bridging.Internal;

/// <summary>Recreates a built-in strategy from its saved name and options JSON.</summary>
internal static class BridgeFactory
{
    public static IModalityBridge Create(string name, string optionsJson, IComputeBackend? backend) => name switch
    {
        CollapseBridge.StrategyName => new CollapseBridge(Read<CollapseOptions>(optionsJson)),
        GaussianNoiseBridge.StrategyName => new GaussianNoiseBridge(Read<GaussianNoiseOptions>(optionsJson)),
        MeanShiftBridge.StrategyName => new MeanShiftBridge(Read<MeanShiftOptions>(optionsJson)),
        LinearAdapterBridge.StrategyName => new LinearAdapterBridge(Read<LinearAdapterOptions>(optionsJson), backend),
        CovarianceNoiseBridge.StrategyName => new CovarianceNoiseBridge(Read<CovarianceNoiseOptions>(optionsJson), backend),
        SupportSetProjectionBridge.StrategyName => new SupportSetProjectionBridge(Read<SupportSetProjectionOptions>(optionsJson), backend),
        SyntheticPairAlignmentBridge.StrategyName => new SyntheticPairAlignmentBridge(Read<SyntheticPairAlignmentOptions>(optionsJson), backend),
        _ => throw new ArgumentException(
            $"The bridge state names the strategy '{name}', which is not built in; build the pipeline yourself and call ImportState.",
            nameof(name)),
    };

    private static T Read<T>(string json)
        where T : BridgeOptions
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json) ?? throw new ArgumentException($"The saved {typeof(T).Name} is null.", nameof(json));
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"The saved {typeof(T).Name} is not valid JSON: {e.Message}", nameof(json), e);
        }
    }
}
