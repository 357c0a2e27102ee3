using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CrossModal.Bridging;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>JSON views of an experiment: the CLI summary (<c>crossmodal shapes --json</c>, a public interface: keys are
/// stable) and the full <c>results.json</c>. Scores are fractions (scene F1, BLEU-4 in [0, 1]; CIDEr-D on
/// pycocoevalcap's scale; CLIP-score in [0, 2.5]).</summary>
public static class ShapesExperimentJson
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary>The summary of one world's result (see <see cref="Summary(ShapesStudy)"/>).</summary>
    /// <param name="result">The experiment's result.</param>
    public static string Summary(ShapesExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Summary(ShapesStudy.Create([result]));
    }

    /// <summary><c>{"strategies": {"C1": {"scene_f1", "object_f1", "relation_f1", "cider_d", "bleu_4", "clip_score"}, …,
    /// "paired": {…}}, "retrieval_ceiling": {…}, "ground_truth": {…}, "differences_to_c1": {"C3": {"scene_f1",
    /// "ci_low", "ci_high", "resolved"}, …}, "gap": {…}, "gap_study": [{"arm", "world_seed", "centroid_distance",
    /// "C1": {…}, …}, …], "worlds", "stage_seconds"}</c>: means over worlds and seeds; <c>gap</c> is the first world's
    /// connect-step gap report of the evaluation pairs.</summary>
    /// <param name="study">The experiment over one or more worlds.</param>
    public static string Summary(ShapesStudy study)
    {
        ArgumentNullException.ThrowIfNull(study);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("strategies");
            foreach (var system in study.Systems)
            {
                writer.WritePropertyName(system);
                WriteScores(writer, study.Summary(system).Mean);
            }

            writer.WriteEndObject();
            writer.WritePropertyName("retrieval_ceiling");
            WriteScores(writer, study.RetrievalCeiling);
            WriteCorpusBounds(writer, study.CorpusBounds);
            writer.WritePropertyName("ground_truth");
            WriteScores(writer, study.HumanScores);
            WriteComparisons(writer, study.Comparisons, c => c.Difference);
            writer.WritePropertyName("gap");
            study.Worlds[0].Gap.WriteJson(writer);
            WriteGapStudy(writer, study.GapStudy);
            writer.WriteNumber("worlds", study.Worlds.Count);
            WriteStages(writer, study.StageSeconds);
            ShapesAdversarial.WriteJson(writer, study);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Every number of one world's result (see <see cref="Full(ShapesStudy)"/>).</summary>
    /// <param name="result">The experiment's result.</param>
    public static string Full(ShapesExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Full(ShapesStudy.Create([result]));
    }

    /// <summary>Every number: options, stage timings, the first world's CLIP loss curve and gap reports, per system the
    /// mean, std, difference to C1 with its bootstrap interval, and per (world, seed) scores, gap reports after the
    /// strategy and loss curves; the retrieval ceiling, the ground truth, the gap study, and each world's own summary.</summary>
    /// <param name="study">The experiment over one or more worlds.</param>
    public static string Full(ShapesStudy study)
    {
        ArgumentNullException.ThrowIfNull(study);
        var o = study.Options;
        var first = study.Worlds[0];
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Indented))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("options");
            writer.WriteNumber("world_seed", o.World.Seed);
            writer.WriteNumber("worlds", study.Worlds.Count);
            writer.WriteNumber("image_size", o.World.ImageSize);
            writer.WriteNumber("web_pairs", o.World.WebPairs);
            writer.WriteNumber("corpus_captions", o.World.CorpusCaptions);
            writer.WriteNumber("auxiliary_pairs", o.World.AuxiliaryPairs);
            writer.WriteNumber("unpaired_photos", o.World.UnpairedPhotos);
            writer.WriteNumber("validation_scenes", o.World.ValidationScenes);
            writer.WriteNumber("test_scenes", o.World.TestScenes);
            writer.WriteString("evaluation_split", ShapesReportWriter.SplitName(o));
            writer.WriteNumber("seeds", o.Seeds);
            writer.WriteNumber("clip_steps", o.ClipSteps);
            WriteScale(writer, "clip_logit_scale", o.ClipLogitScale);
            writer.WriteNumber("clip_final_logit_scale", first.Clip.CurrentLogitScale);
            writer.WriteNumber("captioner_workers", o.CaptionerWorkers);
            writer.WriteNumber("clip_batch", o.ClipBatchSize);
            writer.WriteNumber("clip_hard_negatives", o.ClipHardNegatives);
            writer.WriteNumber("clip_group_loss_weight", o.ClipGroupLossWeight);
            writer.WriteString("clip_conv_layers", o.ClipConvLayers);
            writer.WriteBoolean("clip_conv_global_max_pool", o.ClipConvGlobalMaxPool);
            writer.WriteNumber("clip_width", o.ClipWidth);
            writer.WriteNumber("clip_layers", o.ClipLayers);
            writer.WriteNumber("embedding_dim", o.EmbeddingDimension);
            writer.WriteNumber("captioner_steps", o.CaptionerSteps);
            writer.WriteNumber("captioner_batch", o.CaptionerBatchSize);
            writer.WriteNumber("decoder_width", o.DecoderWidth);
            writer.WriteNumber("decoder_layers", o.DecoderLayers);
            writer.WriteNumber("synthetic_renders", o.SyntheticRenders);
            writer.WriteNumber("bootstrap_resamples", o.BootstrapResamples);
            writer.WriteNumber("bootstrap_seed", o.BootstrapSeed);
            writer.WriteString("gap_study", o.GapStudy.ToString().ToLowerInvariant());
            writer.WritePropertyName("emulated_centroid_distances");
            WriteArray(writer, o.EmulatedCentroidDistances);
            writer.WriteStartArray("natural_gap_logit_scales");
            foreach (var scale in o.NaturalGapLogitScales)
            {
                if (scale is { } v)
                {
                    writer.WriteNumberValue(v);
                }
                else
                {
                    writer.WriteStringValue("learned");
                }
            }

            writer.WriteEndArray();
            writer.WriteEndObject();

            WriteStages(writer, study.StageSeconds);
            writer.WritePropertyName("gap");
            first.Gap.WriteJson(writer);
            writer.WritePropertyName("gap_at_init");
            first.InitialGap.WriteJson(writer);
            writer.WritePropertyName("clip_losses");
            WriteArray(writer, first.ClipLosses.Select(l => (double)l));
            writer.WritePropertyName("ground_truth");
            WriteScores(writer, study.HumanScores);
            writer.WritePropertyName("retrieval_ceiling");
            WriteScores(writer, study.RetrievalCeiling);
            WriteCorpusBounds(writer, study.CorpusBounds);
            WriteComparisons(writer, study.Comparisons, c => c.Difference);

            writer.WriteStartObject("systems");
            foreach (var system in study.Systems)
            {
                var (mean, std) = study.Summary(system);
                writer.WriteStartObject(system);
                writer.WritePropertyName("mean");
                WriteScores(writer, mean);
                writer.WritePropertyName("std");
                WriteScores(writer, std);
                if (study.ComparisonOf(system) is { } comparison)
                {
                    writer.WritePropertyName("scene_f1_difference_to_c1");
                    WriteInterval(writer, comparison.Difference);
                }

                writer.WriteStartArray("seeds");
                foreach (var world in study.Worlds)
                {
                    foreach (var run in world.RunsOf(system))
                    {
                        writer.WriteStartObject();
                        writer.WriteNumber("world_seed", world.WorldSeed);
                        writer.WriteNumber("seed", run.Seed);
                        writer.WritePropertyName("scores");
                        WriteScores(writer, run.Scores);
                        writer.WritePropertyName("gap_after");
                        run.Gap.WriteJson(writer);
                        writer.WriteNumber("train_seconds", Math.Round(run.TrainSeconds, 2));
                        if (run.SharesDecoderWith is { } shared)
                        {
                            writer.WriteString("shares_decoder_with", shared);
                        }

                        writer.WritePropertyName("losses");
                        WriteArray(writer, run.Losses.Select(l => (double)l));
                        writer.WriteEndObject();
                    }
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteStartObject("adversarial");
            ShapesAdversarial.WriteJson(writer, study, curves: true);
            writer.WriteEndObject();
            WriteGapStudy(writer, study.GapStudy);

            writer.WriteStartArray("worlds");
            for (var w = 0; w < study.Worlds.Count; w++)
            {
                var world = study.Worlds[w];
                writer.WriteStartObject();
                writer.WriteNumber("world_seed", world.WorldSeed);
                writer.WriteNumber("clip_final_logit_scale", world.Clip.CurrentLogitScale);
                writer.WritePropertyName("gap");
                world.Gap.WriteJson(writer);
                writer.WritePropertyName("gap_at_init");
                world.InitialGap.WriteJson(writer);
                writer.WriteStartObject("strategies");
                foreach (var system in world.Systems)
                {
                    writer.WritePropertyName(system);
                    WriteScores(writer, world.Summary(system).Mean);
                }

                writer.WriteEndObject();
                writer.WritePropertyName("retrieval_ceiling");
                WriteScores(writer, world.RetrievalCeiling.Scores);
                WriteCorpusBounds(writer, world.CorpusBounds);
                var index = w;
                WriteComparisons(writer, study.Comparisons, c => c.PerWorld[index]);
                writer.WritePropertyName("unreachable_centroid_distances");
                WriteArray(writer, world.UnreachableGapSizes);
                WriteStages(writer, world.StageSeconds);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteComparisons(Utf8JsonWriter writer, IReadOnlyList<BridgeComparison> comparisons, Func<BridgeComparison, BootstrapInterval> pick)
    {
        writer.WriteStartObject("differences_to_c1");
        foreach (var comparison in comparisons)
        {
            writer.WritePropertyName(comparison.System);
            WriteInterval(writer, pick(comparison));
        }

        writer.WriteEndObject();
    }

    private static void WriteInterval(Utf8JsonWriter writer, BootstrapInterval interval)
    {
        writer.WriteStartObject();
        writer.WriteNumber("scene_f1", Math.Round(interval.Estimate, 6));
        writer.WriteNumber("ci_low", Math.Round(interval.Lower, 6));
        writer.WriteNumber("ci_high", Math.Round(interval.Upper, 6));
        writer.WriteNumber("confidence", interval.Confidence);
        writer.WriteNumber("resamples", interval.Resamples);
        writer.WriteBoolean("resolved", interval.IsResolved);
        writer.WriteEndObject();
    }

    private static void WriteGapStudy(Utf8JsonWriter writer, IReadOnlyList<GapStudyPoint> points)
    {
        writer.WriteStartArray("gap_study");
        foreach (var point in points)
        {
            writer.WriteStartObject();
            writer.WriteString("arm", point.Arm);
            writer.WriteNumber("world_seed", point.WorldSeed);
            writer.WriteNumber("centroid_distance", Math.Round(point.CentroidDistance, 6));
            writer.WriteNumber("mean_paired_cosine", Math.Round(point.MeanPairedCosine, 6));
            if (point.RequestedCentroidDistance is { } requested)
            {
                writer.WriteNumber("requested_centroid_distance", requested);
                writer.WriteNumber("shift", Math.Round(point.Shift, 6));
            }

            WriteScale(writer, "logit_scale", point.LogitScale);
            writer.WriteNumber("final_logit_scale", Math.Round(point.FinalLogitScale, 3));
            foreach (var (system, scores) in point.Scores)
            {
                writer.WritePropertyName(system);
                WriteScores(writer, scores);
            }

            writer.WritePropertyName("retrieval_ceiling");
            WriteScores(writer, point.RetrievalCeiling);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteStages(Utf8JsonWriter writer, IReadOnlyDictionary<string, double> stages)
    {
        writer.WriteStartObject("stage_seconds");
        foreach (var (stage, seconds) in stages)
        {
            writer.WriteNumber(stage, Math.Round(seconds, 2));
        }

        writer.WriteEndObject();
    }

    private static void WriteScale(Utf8JsonWriter writer, string name, float? scale)
    {
        if (scale is { } v)
        {
            writer.WriteNumber(name, v);
        }
        else
        {
            writer.WriteString(name, "learned");
        }
    }

    /// <summary>"corpus_bounds": {"oracle": {"scene_f1", "object_f1", "relation_f1"}, "bag_of_objects": {…}}.</summary>
    private static void WriteCorpusBounds(Utf8JsonWriter writer, ShapesCorpusBounds bounds)
    {
        writer.WriteStartObject("corpus_bounds");
        foreach (var (name, report) in new[] { ("oracle", bounds.Oracle), ("bag_of_objects", bounds.BagOfObjects) })
        {
            writer.WriteStartObject(name);
            writer.WriteNumber("scene_f1", Math.Round(report.MeanF1, 6));
            writer.WriteNumber("object_f1", Math.Round(report.MeanObjectF1, 6));
            writer.WriteNumber("relation_f1", Math.Round(report.MeanRelationF1, 6));
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteScores(Utf8JsonWriter writer, ShapesScores scores)
    {
        writer.WriteStartObject();
        var values = scores.ToArray();
        for (var i = 0; i < values.Length; i++)
        {
            if (double.IsFinite(values[i]))
            {
                writer.WriteNumber(ShapesScores.Keys[i], Math.Round(values[i], 6));
            }
            else
            {
                writer.WriteNull(ShapesScores.Keys[i]);
            }
        }

        writer.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter writer, IEnumerable<double> values)
    {
        writer.WriteStartArray();
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                writer.WriteNumberValue(Math.Round(v, 5));
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
    }
}
