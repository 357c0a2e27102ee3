using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.ShapesWorld.Scoring;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>The evaluation scores of one captioner, the headline first.</summary>
/// <param name="SceneF1">Mean scene F1 in [0, 1] over object and relation tuples together (<see cref="Scoring.SceneAccuracy"/>):
/// the headline, because the world's scene is known exactly.</param>
/// <param name="ObjectF1">Mean F1 of the (shape, colour, size) object tuples alone, in [0, 1].</param>
/// <param name="RelationF1">Mean F1 of the (object, relation, object) tuples alone, in [0, 1].</param>
/// <param name="CiderD">CIDEr-D (×100 is not applied: pycocoevalcap's scale, e.g. 0.93 for C3 on COCO).</param>
/// <param name="Bleu4">Corpus BLEU-4 in [0, 1].</param>
/// <param name="ClipScore">Mean CLIP-score (2.5·max(cos, 0)) with the ShapesWorld CLIP.</param>
public sealed record ShapesScores(double SceneF1, double ObjectF1, double RelationF1, double CiderD, double Bleu4, double ClipScore)
{
    /// <summary>The metric names in report order, as JSON keys.</summary>
    public static IReadOnlyList<string> Keys { get; } = ["scene_f1", "object_f1", "relation_f1", "cider_d", "bleu_4", "clip_score"];

    /// <summary>The scores in <see cref="Keys"/> order.</summary>
    public double[] ToArray() => [SceneF1, ObjectF1, RelationF1, CiderD, Bleu4, ClipScore];

    /// <summary>Scores from values in <see cref="Keys"/> order.</summary>
    /// <param name="values">Six values.</param>
    /// <exception cref="ArgumentException">Not six values.</exception>
    public static ShapesScores FromArray(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count != Keys.Count)
        {
            throw new ArgumentException($"Expected {Keys.Count} scores ({string.Join(", ", Keys)}) but got {values.Count}.", nameof(values));
        }

        return new ShapesScores(values[0], values[1], values[2], values[3], values[4], values[5]);
    }

    /// <summary>Mean and sample standard deviation (0 for one row) of each score over <paramref name="rows"/>.</summary>
    /// <param name="rows">At least one set of scores.</param>
    public static (ShapesScores Mean, ShapesScores Std) Summarize(IReadOnlyList<ShapesScores> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("At least one set of scores is needed.", nameof(rows));
        }

        var values = rows.Select(r => r.ToArray()).ToArray();
        var mean = new double[Keys.Count];
        var std = new double[Keys.Count];
        for (var m = 0; m < mean.Length; m++)
        {
            mean[m] = values.Average(r => r[m]);
            std[m] = values.Length > 1 ? Math.Sqrt(values.Sum(r => (r[m] - mean[m]) * (r[m] - mean[m])) / (values.Length - 1)) : 0;
        }

        return (FromArray(mean), FromArray(std));
    }
}

/// <summary>Captions of the evaluation photos from one system, their scores and each photo's scene F1.</summary>
/// <param name="Captions">One caption per evaluation photo.</param>
/// <param name="Scores">The scores.</param>
/// <param name="PhotoSceneF1">The scene F1 of each photo's caption (what the bootstrap resamples).</param>
public sealed record ShapesCaptioning(IReadOnlyList<string> Captions, ShapesScores Scores, IReadOnlyList<double> PhotoSceneF1);

/// <summary>What captioning the evaluation photos with corpus captions can reach without any model
/// (<see cref="CorpusRetrievalBounds"/>): the bounds a CLIP's <see cref="ShapesExperimentResult.RetrievalCeiling"/> is read
/// against.</summary>
/// <param name="Oracle">Each evaluation scene captioned with the corpus caption of highest scene F1: no retrieval does
/// better.</param>
/// <param name="BagOfObjects">Each evaluation scene captioned with the corpus caption nearest by cosine over counts of
/// bound (shape, colour, size) objects, relations left out: an embedding that binds every attribute to its object but,
/// like the ShapesWorld CLIP's text tower, does not read a relation's direction.</param>
public sealed record ShapesCorpusBounds(SceneAccuracyReport Oracle, SceneAccuracyReport BagOfObjects);

/// <summary>One trained captioner (one system, one seed) and what it produced on the test photos.</summary>
public sealed class ShapesSystemRun
{
    /// <summary>The system: a strategy name or <c>paired</c>.</summary>
    public required string System { get; init; }

    /// <summary>The captioner seed.</summary>
    public required int Seed { get; init; }

    /// <summary>Test-set scores.</summary>
    public required ShapesScores Scores { get; init; }

    /// <summary>The scene F1 of the caption of each evaluation photo, in photo order.</summary>
    public required IReadOnlyList<double> PhotoSceneF1 { get; init; }

    /// <summary>The modality-gap report of the test pairs after the system's transforms (images: inference transform,
    /// texts: training transform); for <c>paired</c> and C1 the raw embeddings.</summary>
    public required ModalityGapReport Gap { get; init; }

    /// <summary>The training loss of every step.</summary>
    public required IReadOnlyList<float> Losses { get; init; }

    /// <summary>The generated caption of every test photo.</summary>
    public required IReadOnlyList<string> Captions { get; init; }

    /// <summary>Seconds spent training (0 when the decoder is another system's, <see cref="SharesDecoderWith"/>).</summary>
    public required double TrainSeconds { get; init; }

    /// <summary>The system whose trained decoder this one captions with, because its training inputs are that system's
    /// bit for bit (DeCap's and C1's: both train on the normalised text embeddings; DeCap differs only at inference); null when it trained its own.</summary>
    public string? SharesDecoderWith { get; init; }

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

    /// <summary>The retrieval ceiling: each evaluation photo captioned with the corpus caption nearest to it in the CLIP
    /// space (largest cosine between the photo's embedding and the corpus captions' text embeddings), scored like the systems.</summary>
    public required ShapesCaptioning RetrievalCeiling { get; init; }

    /// <summary>The corpus's own bounds on the evaluation scenes, without a model.</summary>
    public required ShapesCorpusBounds CorpusBounds { get; init; }

    /// <summary>The gap study of this world (empty when <see cref="ShapesExperimentOptions.GapStudy"/> is
    /// <see cref="ShapesGapStudy.None"/>): scores against the modality gap, natural and emulated arms.</summary>
    public required IReadOnlyList<GapStudyPoint> GapStudy { get; init; }

    /// <summary>Emulated gap sizes that no shift along the gap vector reaches in this world (left out of <see cref="GapStudy"/>).</summary>
    public required IReadOnlyList<double> UnreachableGapSizes { get; init; }

    /// <summary>Seconds per stage: <c>world</c>, <c>clip</c>, <c>encode</c>, <c>captioners</c>, <c>scoring</c>, <c>gap_study</c>.</summary>
    public required IReadOnlyDictionary<string, double> StageSeconds { get; init; }

    /// <summary>The adversarial rows' training curves (every variant and seed); empty without the adversarial stage.</summary>
    public IReadOnlyList<ShapesAdversarialCurve> AdversarialCurves { get; init; } = [];

    /// <summary>The world's seed.</summary>
    public ulong WorldSeed => Options.World.Seed;

    /// <summary>The runs of <paramref name="system"/>.</summary>
    public IEnumerable<ShapesSystemRun> RunsOf(string system) => Runs.Where(r => r.System == system);

    /// <summary>Mean and (sample) standard deviation of each score of <paramref name="system"/> over its seeds.</summary>
    public (ShapesScores Mean, ShapesScores Std) Summary(string system)
    {
        var rows = RunsOf(system).Select(r => r.Scores).ToArray();
        if (rows.Length == 0)
        {
            throw new ArgumentException($"No runs of system '{system}'.", nameof(system));
        }

        return ShapesScores.Summarize(rows);
    }
}

/// <summary>One point of the gap study: the scores of the gap-study systems (first captioner seed) at one size of the
/// modality gap.</summary>
public sealed class GapStudyPoint
{
    /// <summary><c>natural</c>: a CLIP trained at <see cref="LogitScale"/>, with the gap that training left;
    /// <c>emulated</c>: the default CLIP's image embeddings shifted along the gap vector to <see cref="RequestedCentroidDistance"/>.</summary>
    public required string Arm { get; init; }

    /// <summary>The world's seed.</summary>
    public required ulong WorldSeed { get; init; }

    /// <summary>The centroid distance of the evaluation pairs measured at this point (<see cref="ModalityGapReport.CentroidDistance"/>).</summary>
    public required double CentroidDistance { get; init; }

    /// <summary>The mean cosine of the evaluation pairs at this point.</summary>
    public required double MeanPairedCosine { get; init; }

    /// <summary>Emulated arm: the centroid distance asked for; null in the natural arm.</summary>
    public double? RequestedCentroidDistance { get; init; }

    /// <summary>Emulated arm: λ in n(x + λ·g), g the unit gap vector; 0 in the natural arm.</summary>
    public double Shift { get; init; }

    /// <summary>Natural arm: the CLIP's fixed logit scale, or null when learned (then <see cref="FinalLogitScale"/> says where it ended).</summary>
    public float? LogitScale { get; init; }

    /// <summary>The logit scale the CLIP ended its training at.</summary>
    public required float FinalLogitScale { get; init; }

    /// <summary>The scores of each system at this point.</summary>
    public required IReadOnlyDictionary<string, ShapesScores> Scores { get; init; }

    /// <summary>The retrieval ceiling at this point (nearest corpus caption to the, possibly shifted, photo embedding).</summary>
    public required ShapesScores RetrievalCeiling { get; init; }
}
