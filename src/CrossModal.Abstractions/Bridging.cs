using System;
using System.Collections.Generic;

namespace CrossModal.Abstractions;

/// <summary>
/// A gap-bridging strategy: it transforms text embeddings at training time and image embeddings at inference time
/// so that a decoder trained on the former can read the latter despite the modality gap between them.
/// </summary>
public interface IModalityBridge
{
    /// <summary>A short stable name (e.g. <c>"collapse"</c>) used in saved state and reports.</summary>
    string Name { get; }

    /// <summary>Whether <see cref="Fit"/> has run (or state was loaded), so the transforms may be used.</summary>
    bool IsFitted { get; }

    /// <summary>Estimates the strategy's statistics from whatever it needs in <paramref name="data"/>.</summary>
    /// <param name="data">Fitting data; a strategy lacking a piece it needs throws naming that piece.</param>
    void Fit(BridgeFitData data);

    /// <summary>Transforms caption (text) embeddings used to train a decoder.</summary>
    /// <param name="texts">Text embeddings; not modified.</param>
    /// <param name="rng">Randomness for noise-based strategies (seed it for determinism).</param>
    EmbeddingMatrix TransformForTraining(EmbeddingMatrix texts, Random rng);

    /// <summary>Transforms image embeddings fed to a trained decoder.</summary>
    /// <param name="images">Image embeddings; not modified.</param>
    EmbeddingMatrix TransformForInference(EmbeddingMatrix images);

    /// <summary>The fitted state as named tensors, for saving beside a model.</summary>
    BridgeState ExportState();

    /// <summary>Restores state written by <see cref="ExportState"/>.</summary>
    /// <param name="state">Previously exported state.</param>
    void ImportState(BridgeState state);
}

/// <summary>
/// Everything a strategy may be fitted on. Each strategy reads only what it needs and names the missing piece
/// when something required is absent.
/// </summary>
public sealed class BridgeFitData
{
    /// <summary>Text embeddings without paired images (Collapse's text mean, MeanShift).</summary>
    public EmbeddingMatrix? UnpairedTexts { get; init; }

    /// <summary>Image embeddings without paired texts (Collapse's image mean, MeanShift).</summary>
    public EmbeddingMatrix? UnpairedImages { get; init; }

    /// <summary>Text embeddings of a small paired set; row i pairs with <see cref="PairedImages"/> row i (CLOSE).</summary>
    public EmbeddingMatrix? PairedTexts { get; init; }

    /// <summary>Image embeddings of a small paired set; row i pairs with <see cref="PairedTexts"/> row i (CLOSE).</summary>
    public EmbeddingMatrix? PairedImages { get; init; }

    /// <summary>Text embeddings forming the support set for projection (DeCap, SynTIC).</summary>
    public EmbeddingMatrix? SupportTexts { get; init; }

    /// <summary>Pseudo-image features of synthetic images; row i pairs with <see cref="PseudoImageTexts"/> row i (SynTIC).</summary>
    public EmbeddingMatrix? PseudoImages { get; init; }

    /// <summary>Text embeddings the pseudo-image features were generated from (SynTIC).</summary>
    public EmbeddingMatrix? PseudoImageTexts { get; init; }
}

/// <summary>
/// A bridge's fitted state: named float32 tensors with shapes, plus string metadata. Serialised to safetensors
/// by the Bridging package so a trained captioner ships with its bridge.
/// </summary>
public sealed class BridgeState
{
    /// <summary>Named tensors: name → (shape, row-major values).</summary>
    public Dictionary<string, (int[] Shape, float[] Values)> Tensors { get; } = new(StringComparer.Ordinal);

    /// <summary>String metadata (strategy name, options).</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);
}
