using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>The four test-set scores of one captioner.</summary>
/// <param name="CiderD">CIDEr-D (×100 is not applied: pycocoevalcap's scale, e.g. 0.93 for C3 on COCO).</param>
/// <param name="Bleu4">Corpus BLEU-4 in [0, 1].</param>
/// <param name="SceneF1">Mean scene F1 in [0, 1] (<see cref="Scoring.SceneAccuracy"/>).</param>
/// <param name="ClipScore">Mean CLIP-score (2.5·max(cos, 0)) with the ShapesWorld CLIP.</param>
public sealed record ShapesScores(double CiderD, double Bleu4, double SceneF1, double ClipScore)
{
    /// <summary>The metric names in report order, as JSON keys.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["cider_d", "bleu_4", "scene_f1", "clip_score"];

    /// <summary>The scores in <see cref="Keys"/> order.</summary>
    public double[] ToArray() => [CiderD, Bleu4, SceneF1, ClipScore];
}

/// <summary>One trained captioner (one system, one seed) and what it produced on the test photos.</summary>
public sealed class ShapesSystemRun
{
    /// <summary>The system: a strategy name or <c>paired</c>.</summary>
    public required string System { get; init; }

    /// <summary>The captioner seed.</summary>
    public required int Seed { get; init; }

    /// <summary>Test-set scores.</summary>
    public required ShapesScores Scores { get; init; }

    /// <summary>The modality-gap report of the test pairs after the system's transforms (images: inference transform,
    /// texts: training transform); for <c>paired</c> and C1 the raw embeddings.</summary>
    public required ModalityGapReport Gap { get; init; }

    /// <summary>The training loss of every step.</summary>
    public required IReadOnlyList<float> Losses { get; init; }

    /// <summary>The generated caption of every test photo.</summary>
    public required IReadOnlyList<string> Captions { get; init; }

    /// <summary>Seconds spent training.</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>The trained model (kept for the first seed only; null otherwise).</summary>
    public PrefixLanguageModel? Model { get; init; }

    /// <summary>The fitted bridge (null for <c>paired</c>).</summary>
    public IModalityBridge? Bridge { get; init; }
}

/// <summary>Everything <see cref="ShapesExperiment.Run"/> measured.</summary>
public sealed class ShapesExperimentResult
{
    /// <summary>The options it ran with.</summary>
    public required ShapesExperimentOptions Options { get; init; }

    /// <summary>The trained ShapesWorld CLIP.</summary>
    public required ShapesClip Clip { get; init; }

    /// <summary>The contrastive loss of every CLIP step.</summary>
    public required IReadOnlyList<float> ClipLosses { get; init; }

    /// <summary>The gap report of the test pairs (photo, first reference) straight after the connect step.</summary>
    public required ModalityGapReport Gap { get; init; }

    /// <summary>The same report with the CLIP as initialised, before any contrastive step (the cone effect's gap).</summary>
    public required ModalityGapReport InitialGap { get; init; }

    /// <summary>The systems in report order.</summary>
    public required IReadOnlyList<string> Systems { get; init; }

    /// <summary>Every trained captioner.</summary>
    public required IReadOnlyList<ShapesSystemRun> Runs { get; init; }

    /// <summary>The evaluation photos: the test split's, or the validation split's when
    /// <see cref="ShapesExperimentOptions.EvaluationSplit"/> says so (so are the references and scenes below).</summary>
    public required IReadOnlyList<ImageData> TestPhotos { get; init; }

    /// <summary>The five references of every evaluation photo.</summary>
    public required IReadOnlyList<IReadOnlyList<string>> TestReferences { get; init; }

    /// <summary>The scene of every evaluation photo.</summary>
    public required IReadOnlyList<SceneDescription> TestScenes { get; init; }

    /// <summary>Test photo embeddings (L2-normalised).</summary>
    public required EmbeddingMatrix TestImageEmbeddings { get; init; }

    /// <summary>Test first-reference embeddings (L2-normalised).</summary>
    public required EmbeddingMatrix TestTextEmbeddings { get; init; }

    /// <summary>The scores of the ground truth: each test photo's first reference scored against the other four
    /// (BLEU/CIDEr-D) and its scene — what a perfect captioner of this world reaches.</summary>
    public required ShapesScores HumanScores { get; init; }

    /// <summary>Seconds per stage (world, connect, encode, captioners).</summary>
    public required IReadOnlyDictionary<string, double> StageSeconds { get; init; }

    /// <summary>The runs of <paramref name="system"/>.</summary>
    public IEnumerable<ShapesSystemRun> RunsOf(string system) => Runs.Where(r => r.System == system);

    /// <summary>Mean and (sample) standard deviation of each score of <paramref name="system"/> over its seeds.</summary>
    public (ShapesScores Mean, ShapesScores Std) Summary(string system)
    {
        var rows = RunsOf(system).Select(r => r.Scores.ToArray()).ToArray();
        if (rows.Length == 0)
        {
            throw new ArgumentException($"No runs of system '{system}'.", nameof(system));
        }

        var mean = new double[4];
        var std = new double[4];
        for (var m = 0; m < 4; m++)
        {
            mean[m] = rows.Average(r => r[m]);
            std[m] = rows.Length > 1 ? Math.Sqrt(rows.Sum(r => (r[m] - mean[m]) * (r[m] - mean[m])) / (rows.Length - 1)) : 0;
        }

        return (new ShapesScores(mean[0], mean[1], mean[2], mean[3]), new ShapesScores(std[0], std[1], std[2], std[3]));
    }
}
