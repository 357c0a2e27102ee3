using System;
using System.Linq;

namespace CrossModal.Bridging;

/// <summary>Builds the pipeline of a <see cref="BridgePreset"/> and parses preset names.</summary>
public static class BridgePresets
{
    /// <summary>CLOSE's isotropic noise level (its best "w" on COCO captioning).</summary>
    public const double CloseSigma = 0.08;

    /// <summary>A new, unfitted pipeline for <paramref name="preset"/>.</summary>
    /// <param name="preset">The recipe.</param>
    /// <param name="backend">Where the strategies' bulk work runs; <see cref="Tensors.Cpu.CpuBackend.Default"/> when null.</param>
    public static BridgePipeline Create(BridgePreset preset, Tensors.IComputeBackend? backend = null)
    {
        var builder = new BridgePipelineBuilder(backend);
        switch (preset)
        {
            case BridgePreset.C1:
                break;
            case BridgePreset.C2Collapse:
                builder.AddCollapse();
                break;
            case BridgePreset.C2Noise:
                builder.AddGaussianNoise();
                break;
            case BridgePreset.C3:
                builder.AddCollapse().AddGaussianNoise();
                break;
            case BridgePreset.CapDec:
                builder.AddGaussianNoise(new GaussianNoiseOptions { Renormalize = false });
                break;
            case BridgePreset.CloseNoise:
                builder.AddGaussianNoise(new GaussianNoiseOptions { Sigma = CloseSigma });
                break;
            case BridgePreset.CloseLinear:
                builder.AddLinearAdapter().AddGaussianNoise(new GaussianNoiseOptions { Sigma = CloseSigma });
                break;
            case BridgePreset.CloseCovariance:
                builder.AddCovarianceNoise(new CovarianceNoiseOptions { Scale = 3.0 });
                break;
            case BridgePreset.DeCap:
                builder.AddSupportSetProjection();
                break;
            case BridgePreset.SynTic:
                builder.AddSyntheticPairAlignment();
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(preset), preset, "Unknown preset.");
        }

        return builder.Build();
    }

    /// <summary>
    /// Parses a preset name, ignoring case, '-' and '_' ("c3", "c2-collapse", "close_linear", "decap").
    /// </summary>
    /// <param name="name">The name.</param>
    /// <exception cref="ArgumentException">No preset has that name; the message lists them.</exception>
    public static BridgePreset Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var key = name.Replace("-", string.Empty, StringComparison.Ordinal).Replace("_", string.Empty, StringComparison.Ordinal);
        foreach (var preset in Enum.GetValues<BridgePreset>())
        {
            if (string.Equals(preset.ToString(), key, StringComparison.OrdinalIgnoreCase))
            {
                return preset;
            }
        }

        throw new ArgumentException(
            $"Unknown bridge '{name}'; expected one of {string.Join(", ", Enum.GetValues<BridgePreset>().Select(p => p.ToString().ToLowerInvariant()))}.",
            nameof(name));
    }
}
