using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Bridging;

/// <summary>
/// Options of <c>SupportSetProjection</c> (DeCap, Li et al., ICLR 2023; SynTIC; CgT-GAN's CLIP-agg): an image
/// embedding is replaced by n(Σ_j softmax_j(cos(v, t_j)/τ)·t_j) over a text support set.
/// </summary>
public sealed class SupportSetProjectionOptions : BridgeOptions
{
    /// <summary>Softmax temperature τ.</summary>
    /// <value>Default 0.01 (DeCap's code divides the similarities by 1/100).</value>
    public double Temperature { get; set; } = 0.01;

    /// <summary>When positive, only the k most similar support texts take part.</summary>
    /// <value>Default 0: all of them.</value>
    public int TopK { get; set; }

    /// <summary>Whether training texts are projected too (otherwise they are only normalised, as DeCap trains on raw text embeddings).</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool ProjectTrainingTexts { get; set; }

    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors() =>
        RequirePositive(Temperature, nameof(Temperature))
            .Concat(TopK < 0 ? new[] { $"TopK must be 0 (all) or positive (got {TopK})." } : Enumerable.Empty<string>());
}
