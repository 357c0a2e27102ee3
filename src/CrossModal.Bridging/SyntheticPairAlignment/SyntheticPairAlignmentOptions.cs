using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Bridging;

/// <summary>
/// Options of <c>SyntheticPairAlignment</c> (SynTIC, Liu et al., AAAI 2024): InfoNCE alignment of pseudo-image
/// features to their texts, then projection onto the text support set.
/// </summary>
public sealed class SyntheticPairAlignmentOptions : BridgeOptions
{
    /// <summary>Gradient steps K per batch.</summary>
    /// <value>Default 10.</value>
    public int Steps { get; set; } = 10;

    /// <summary>Step size η of each projected gradient step.</summary>
    /// <value>Default 0.01 (with the loss summed over the batch, a step moves a feature by at most about 2η/τ).</value>
    public double StepSize { get; set; } = 0.01;

    /// <summary>Temperature τ of the InfoNCE loss.</summary>
    /// <value>Default 0.1.</value>
    public double Temperature { get; set; } = 0.1;

    /// <summary>Pairs per InfoNCE batch (the negatives of each pair are the rest of its batch).</summary>
    /// <value>Default 256.</value>
    public int BatchSize { get; set; } = 256;

    /// <summary>Temperature of the projection onto the support set.</summary>
    /// <value>Default 0.01, as <see cref="SupportSetProjectionOptions.Temperature"/>.</value>
    public double ProjectionTemperature { get; set; } = 0.01;

    /// <summary>Top-k of the projection (0: all support texts).</summary>
    /// <value>Default 0.</value>
    public int ProjectionTopK { get; set; }

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors()
    {
        var errors = RequirePositive(StepSize, nameof(StepSize))
            .Concat(RequirePositive(Temperature, nameof(Temperature)))
            .Concat(RequirePositive(ProjectionTemperature, nameof(ProjectionTemperature)))
            .ToList();
        if (Steps < 0)
        {
            errors.Add($"Steps must be 0 or more (got {Steps}).");
        }

        if (BatchSize < 2)
        {
            errors.Add($"BatchSize must be at least 2 so each pair has a negative (got {BatchSize}).");
        }

        if (ProjectionTopK < 0)
        {
            errors.Add($"ProjectionTopK must be 0 (all) or positive (got {ProjectionTopK}).");
        }

        return errors;
    }
}
