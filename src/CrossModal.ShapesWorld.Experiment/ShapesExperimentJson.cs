using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CrossModal.Bridging;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>JSON views of a <see cref="ShapesExperimentResult"/>: the CLI summary (<c>crossmodal shapes --json</c>, a
/// public interface: keys are stable) and the full <c>results.json</c>.</summary>
public static class ShapesExperimentJson
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary><c>{"strategies": {"C1": {"cider_d", "bleu_4", "scene_f1", "clip_score"}, …, "paired": {…}}, "gap": {…}}</c>
    /// with seed means, and the connect step's gap report of the test pairs under <c>gap</c>.</summary>
    /// <param name="result">The experiment's result.</param>
    public static string Summary(ShapesExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("strategies");
            foreach (var system in result.Systems)
            {
                writer.WritePropertyName(system);
                WriteScores(writer, result.Summary(system).Mean);
            }

            writer.WriteEndObject();
            writer.WritePropertyName("gap");
            result.Gap.WriteJson(writer);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Every number: options, stage timings, the CLIP loss curve, the connect gap report, per system the mean,
    /// std and per-seed scores, gap reports after the strategy and loss curves, and the ground-truth scores.</summary>
    /// <param name="result">The experiment's result.</param>
    public static string Full(ShapesExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var o = result.Options;
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Indented))
        {
            writer.WriteStartObject();
            writer.WriteStartObject("options");
            writer.WriteNumber("world_seed", o.World.Seed);
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
            if (o.ClipLogitScale is { } fixedScale)
            {
                writer.WriteNumber("clip_logit_scale", fixedScale);
            }
            else
            {
                writer.WriteString("clip_logit_scale", "learned");
            }

            writer.WriteNumber("clip_final_logit_scale", result.Clip.CurrentLogitScale);
            writer.WriteNumber("captioner_workers", o.CaptionerWorkers);
            writer.WriteNumber("clip_batch", o.ClipBatchSize);
            writer.WriteNumber("clip_width", o.ClipWidth);
            writer.WriteNumber("clip_layers", o.ClipLayers);
            writer.WriteNumber("embedding_dim", o.EmbeddingDimension);
            writer.WriteNumber("captioner_steps", o.CaptionerSteps);
            writer.WriteNumber("captioner_batch", o.CaptionerBatchSize);
            writer.WriteNumber("decoder_width", o.DecoderWidth);
            writer.WriteNumber("decoder_layers", o.DecoderLayers);
            writer.WriteNumber("synthetic_renders", o.SyntheticRenders);
            writer.WriteEndObject();

            writer.WriteStartObject("stage_seconds");
            foreach (var (stage, seconds) in result.StageSeconds)
            {
                writer.WriteNumber(stage, Math.Round(seconds, 2));
            }

            writer.WriteEndObject();
            writer.WritePropertyName("gap");
            result.Gap.WriteJson(writer);
            writer.WritePropertyName("gap_at_init");
            result.InitialGap.WriteJson(writer);
            writer.WritePropertyName("clip_losses");
            WriteArray(writer, result.ClipLosses.Select(l => (double)l));
            writer.WritePropertyName("ground_truth");
            WriteScores(writer, result.HumanScores);

            writer.WriteStartObject("systems");
            foreach (var system in result.Systems)
            {
                var (mean, std) = result.Summary(system);
                writer.WriteStartObject(system);
                writer.WritePropertyName("mean");
                WriteScores(writer, mean);
                writer.WritePropertyName("std");
                WriteScores(writer, std);
                writer.WriteStartArray("seeds");
                foreach (var run in result.RunsOf(system))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("seed", run.Seed);
                    writer.WritePropertyName("scores");
                    WriteScores(writer, run.Scores);
                    writer.WritePropertyName("gap_after");
                    run.Gap.WriteJson(writer);
                    writer.WriteNumber("train_seconds", Math.Round(run.TrainSeconds, 2));
                    writer.WritePropertyName("losses");
                    WriteArray(writer, run.Losses.Select(l => (double)l));
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
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
