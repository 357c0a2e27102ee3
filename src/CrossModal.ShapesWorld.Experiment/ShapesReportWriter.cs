using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Clip;
using CrossModal.Models.Images;
using CrossModal.Tensors.IO;
using CrossModal.ShapesWorld.Rendering;
using CrossModal.ShapesWorld.Scoring;
using CrossModal.Training.Captioning;
using ScottPlot;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>
/// Writes an experiment's outputs to a folder: <c>results.md</c> (the scene-F1-led table with the retrieval ceiling,
/// each bridge's difference to C1 with its bootstrap interval, the gap study, gap reports, ten evaluation photos with
/// every system's caption, stage timings), <c>results.json</c> (every number), the figures as SVG and PNG (ScottPlot:
/// <c>pca</c> and <c>pca_collapse</c>, 2-D PCA of the evaluation embeddings before and after Collapse; <c>clip_loss</c>
/// and <c>curves</c>, training losses; <c>differences</c>, the bootstrap intervals; <c>gap_study</c>, scene F1 against
/// the centroid distance), <c>photos/test_NNN.png</c> (<c>validation_NNN.png</c> when scored on the validation split)
/// and <c>showcase.png</c> of the first world, and its trained models as safetensors under <c>models/</c>. Every file
/// is written atomically (<see cref="AtomicFile"/>).
/// </summary>
public static class ShapesReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The figures' file stems; each is written as <c>STEM.svg</c> and <c>STEM.png</c>.</summary>
    public static IReadOnlyList<string> FigureNames { get; } = ["pca", "pca_collapse", "clip_loss", "curves", "differences", "gap_study"];

    /// <summary>Writes one world's result (see <see cref="Write(ShapesStudy, string)"/>).</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="directory">The output folder.</param>
    /// <returns>The paths written, relative to <paramref name="directory"/>.</returns>
    public static IReadOnlyList<string> Write(ShapesExperimentResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Write(ShapesStudy.Create([result]), directory);
    }

    /// <summary>Writes everything to <paramref name="directory"/> (created if needed).</summary>
    /// <param name="study">The experiment over one or more worlds.</param>
    /// <param name="directory">The output folder.</param>
    /// <returns>The paths written, relative to <paramref name="directory"/>.</returns>
    public static IReadOnlyList<string> Write(ShapesStudy study, string directory)
    {
        ArgumentNullException.ThrowIfNull(study);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var result = study.Worlds[0];
        var written = new List<string>();
        void File(string name, Action<Stream> write)
        {
            AtomicFile.Write(Path.Combine(directory, name), write);
            written.Add(name);
        }

        void Text(string name, string content) => File(name, s => s.Write(Encoding.UTF8.GetBytes(content)));

        var showcase = Math.Min(result.Options.ShowcaseCount, result.TestPhotos.Count);
        for (var i = 0; i < result.TestPhotos.Count; i++)
        {
            var photo = result.TestPhotos[i];
            File(PhotoName(result.Options, i), s => PngEncoder.Write(s, photo));
        }

        if (showcase > 0)
        {
            var sheet = ContactSheet.Compose(result.TestPhotos.Take(showcase).ToArray(), columns: showcase, scale: 4);
            File("showcase.png", s => PngEncoder.Write(s, sheet));
        }

        Text("results.json", ShapesExperimentJson.Full(study));
        foreach (var figure in ShapesPlots.All(study))
        {
            Text(figure.Name + ".svg", figure.Plot.GetSvgXml(figure.Width, figure.Height));
            var png = figure.Plot.GetImageBytes(figure.Width, figure.Height, ImageFormat.Png);
            File(figure.Name + ".png", s => s.Write(png));
        }

        Text("results.md", Markdown(study));

        var models = Path.Combine(directory, "models");
        Directory.CreateDirectory(models);
        result.Clip.Model.Save(Path.Combine(models, "clip"));
        result.Clip.Tokenizer.Save(Path.Combine(models, "clip", "vocab.txt"));
        written.Add("models/clip/" + ClipCheckpoint.WeightsFileName);
        foreach (var run in result.Runs.Where(r => r.Model is not null))
        {
            var name = $"models/captioner_{run.System}.safetensors";
            new CaptionerCheckpoint(run.Model!, result.Clip.Tokenizer) { Bridge = run.Bridge }.Save(Path.Combine(directory, name));
            written.Add(name);
        }

        return written;
    }

    /// <summary>The Markdown table of one world's result (see <see cref="Table(ShapesStudy)"/>).</summary>
    /// <param name="result">The experiment's result.</param>
    public static string Table(ShapesExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Table(ShapesStudy.Create([result]));
    }

    /// <summary>The Markdown table of mean ± std per system over worlds and seeds, scene F1 first (what the CLI prints):
    /// scene, object and relation F1, the scene-F1 difference to C1 with its 95 % paired-bootstrap interval, CIDEr-D,
    /// BLEU-4, CLIP-score and the gap after the system's transforms; then the retrieval ceiling and the ground truth.</summary>
    /// <param name="study">The experiment over one or more worlds.</param>
    public static string Table(ShapesStudy study)
    {
        ArgumentNullException.ThrowIfNull(study);
        var sb = new StringBuilder();
        sb.AppendLine("| system | scene F1 | object F1 | relation F1 | Δ scene F1 vs C1 [95 % CI] | CIDEr-D | BLEU-4 | CLIP-score | paired cos after | centroid dist after |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var system in study.Systems)
        {
            var (mean, std) = study.Summary(system);
            var runs = study.Worlds.SelectMany(w => w.RunsOf(system)).ToArray();
            var cos = runs.Average(r => r.Gap.MeanPairedCosine);
            var dist = runs.Average(r => r.Gap.CentroidDistance);
            var difference = study.ComparisonOf(system) is { } c ? Interval(c.Difference) : "–";
            sb.Append(Inv, $"| {system} | {Pm(mean.SceneF1 * 100, std.SceneF1 * 100, 1)} | {Pm(mean.ObjectF1 * 100, std.ObjectF1 * 100, 1)} | {Pm(mean.RelationF1 * 100, std.RelationF1 * 100, 1)} | {difference} | ");
            sb.AppendLine(Inv, $"{Pm(mean.CiderD * 100, std.CiderD * 100, 1)} | {Pm(mean.Bleu4 * 100, std.Bleu4 * 100, 1)} | {Pm(mean.ClipScore, std.ClipScore, 3)} | {cos:F3} | {dist:F3} |");
        }

        var r = study.RetrievalCeiling;
        sb.AppendLine(Inv, $"| retrieval ceiling (nearest corpus caption) | {r.SceneF1 * 100:F1} | {r.ObjectF1 * 100:F1} | {r.RelationF1 * 100:F1} | – | {r.CiderD * 100:F1} | {r.Bleu4 * 100:F1} | {r.ClipScore:F3} | – | – |");
        var bounds = study.CorpusBounds;
        sb.AppendLine(Inv, $"| corpus oracle (best corpus caption by scene F1; no model) | {bounds.Oracle.MeanF1 * 100:F1} | {bounds.Oracle.MeanObjectF1 * 100:F1} | {bounds.Oracle.MeanRelationF1 * 100:F1} | – | – | – | – | – | – |");
        sb.AppendLine(Inv, $"| ideal bag of bound objects (nearest corpus caption; no model) | {bounds.BagOfObjects.MeanF1 * 100:F1} | {bounds.BagOfObjects.MeanObjectF1 * 100:F1} | {bounds.BagOfObjects.MeanRelationF1 * 100:F1} | – | – | – | – | – | – |");
        var h = study.HumanScores;
        sb.AppendLine(Inv, $"| ground truth (1 reference vs the other 4) | {h.SceneF1 * 100:F1} | {h.ObjectF1 * 100:F1} | {h.RelationF1 * 100:F1} | – | {h.CiderD * 100:F1} | {h.Bleu4 * 100:F1} | – | – | – |");
        return sb.ToString();
    }

    /// <summary>"+1.2 [+0.3, +2.1] ✓" (×100): the estimate, the interval, and ✓ when it excludes 0.</summary>
    private static string Interval(BootstrapInterval i) =>
        string.Create(Inv, $"{i.Estimate * 100:+0.0;−0.0;0.0} [{i.Lower * 100:+0.0;−0.0;0.0}, {i.Upper * 100:+0.0;−0.0;0.0}]{(i.IsResolved ? " ✓" : string.Empty)}");

    private static string Pm(double mean, double std, int digits) =>
        string.Create(Inv, $"{mean.ToString("F" + digits, Inv)} ± {std.ToString("F" + digits, Inv)}");

    /// <summary>"test" or "validation": the evaluation split's name in file names, reports and JSON.</summary>
    internal static string SplitName(ShapesExperimentOptions o) => o.EvaluationSplit == ShapesEvaluationSplit.Validation ? "validation" : "test";

    private static string PhotoName(ShapesExperimentOptions o, int i) => string.Create(Inv, $"photos/{SplitName(o)}_{i:D3}.png");

    private static string Markdown(ShapesStudy study)
    {
        var o = study.Options;
        var result = study.Worlds[0];
        var split = SplitName(o);
        var heading = string.Concat(split[..1].ToUpperInvariant(), split[1..]);
        var worlds = string.Join(", ", study.Worlds.Select(w => w.WorldSeed.ToString(Inv)));
        var sb = new StringBuilder();
        sb.AppendLine("# ShapesWorld: text-only captioning end to end");
        sb.AppendLine();
        sb.AppendLine(Inv, $"World seed(s) {worlds}; {o.World.ImageSize}×{o.World.ImageSize} photos; {o.World.WebPairs} web pairs, {o.World.CorpusCaptions} corpus captions, {o.World.AuxiliaryPairs} auxiliary pairs, {o.World.UnpairedPhotos} unpaired photos, {result.TestPhotos.Count} {split} photos (5 references each) per world.");
        sb.AppendLine(Inv, $"CLIP: width {o.ClipWidth}, {o.ClipLayers} layers per tower, D = {o.EmbeddingDimension}, {o.ClipSteps} steps of batch {o.ClipBatchSize} in hard-negative groups of {o.ClipHardNegatives} (group loss weight {o.ClipGroupLossWeight.ToString("0.##", Inv)}), logit scale {ScaleName(o.ClipLogitScale)}, final {string.Join(" / ", study.Worlds.Select(w => w.Clip.CurrentLogitScale.ToString("0.0", Inv)))}. Captioners: prefix LM (MLP mapper, 4 prefix vectors, {o.DecoderLayers}-layer width-{o.DecoderWidth} decoder from scratch), {o.CaptionerSteps} steps of batch {o.CaptionerBatchSize} each, greedy decoding; {o.Seeds} seed(s) per world. Mean ± std over {study.Worlds.Count} world(s) × {o.Seeds} seed(s).");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Scores on the {split} photos, scene F1 first (F1 of the object and relation tuples parsed from the caption against the true scene; object and relation F1 are its two parts), then CIDEr-D, BLEU-4 (all ×100) and CLIP-score. \"Δ scene F1 vs C1\": the bridge's scene F1 minus C1's with its 95 % paired-bootstrap interval over {split} photos and captioner seeds ({o.BootstrapResamples} resamples; ✓: the interval excludes 0). \"after\" columns: the gap report of the {split} pairs after the system's transforms. The retrieval ceiling captions each photo with the corpus caption nearest to it in the CLIP space.");
        sb.AppendLine();
        sb.Append(Table(study));
        sb.AppendLine();
        AppendPower(sb, study);
        sb.AppendLine("![Differences to C1](differences.svg)");
        sb.AppendLine();
        AppendGapStudy(sb, study);
        sb.AppendLine(Inv, $"## Modality gap after the connect step ({split} pairs: photo, first reference; world {result.WorldSeed})");
        sb.AppendLine();
        AppendGap(sb, result.Gap);
        sb.AppendLine();
        sb.AppendLine("The same report with the CLIP as initialised, before any contrastive step:");
        sb.AppendLine();
        AppendGap(sb, result.InitialGap);
        sb.AppendLine();
        sb.AppendLine(Inv, $"![PCA of {split} embeddings, raw](pca.svg) ![PCA of {split} embeddings after Collapse](pca_collapse.svg)");
        sb.AppendLine();
        sb.AppendLine("![CLIP loss](clip_loss.svg) ![Captioner losses](curves.svg)");
        sb.AppendLine();
        sb.AppendLine(Inv, $"## Gap reports after each strategy (first seed, world {result.WorldSeed})");
        sb.AppendLine();
        sb.AppendLine("| system | paired cos | unpaired cos | centroid dist | i→t R@1 | t→i R@1 | gap dims 90 % |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var system in result.Systems)
        {
            var g = result.RunsOf(system).First().Gap;
            sb.AppendLine(Inv, $"| {system} | {g.MeanPairedCosine:F3} | {g.MeanUnpairedCosine:F3} | {g.CentroidDistance:F3} | {g.ImageToTextRecallAt1:F3} | {g.TextToImageRecallAt1:F3} | {g.GapDims90} |");
        }

        sb.AppendLine();
        sb.AppendLine(Inv, $"## {heading} photos and every system's caption (first seed, world {result.WorldSeed})");
        sb.AppendLine();
        var showcase = Math.Min(o.ShowcaseCount, result.TestPhotos.Count);
        for (var i = 0; i < showcase; i++)
        {
            sb.AppendLine(Inv, $"### {heading} photo {i}");
            sb.AppendLine();
            sb.AppendLine(Inv, $"<img src=\"{PhotoName(o, i)}\" width=\"128\" style=\"image-rendering: pixelated\" alt=\"{split} photo {i}\">");
            sb.AppendLine();
            sb.AppendLine("| system | caption | scene F1 |");
            sb.AppendLine("|---|---|---|");
            sb.AppendLine(Inv, $"| reference | {result.TestReferences[i][0]} | – |");
            foreach (var system in result.Systems)
            {
                var run = result.RunsOf(system).First();
                sb.AppendLine(Inv, $"| {system} | {run.Captions[i]} | {run.PhotoSceneF1[i]:F2} |");
            }

            sb.AppendLine(Inv, $"| retrieval ceiling | {result.RetrievalCeiling.Captions[i]} | {result.RetrievalCeiling.PhotoSceneF1[i]:F2} |");
            sb.AppendLine();
        }

        ShapesAdversarial.AppendReport(sb, study);
        sb.AppendLine("## Stage timings (seconds, summed over worlds)");
        sb.AppendLine();
        sb.AppendLine("| stage | seconds |");
        sb.AppendLine("|---|---|");
        foreach (var (stage, seconds) in study.StageSeconds)
        {
            sb.AppendLine(Inv, $"| {stage} | {seconds:F1} |");
        }

        return sb.ToString();
    }

    private static void AppendPower(StringBuilder sb, ShapesStudy study)
    {
        if (study.Comparisons.Count == 0)
        {
            return;
        }

        var o = study.Options;
        var resolved = study.Comparisons.Where(c => c.Difference.IsResolved).ToArray();
        var unresolved = study.Comparisons.Where(c => !c.Difference.IsResolved).ToArray();
        sb.AppendLine("## Which differences to C1 are resolved");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Paired bootstrap of the scene-F1 difference to C1: {o.BootstrapResamples} resamples (seed {o.BootstrapSeed}); each draws, within every world, the captioner seeds with replacement and the {SplitName(o)} photos with replacement, and averages system − C1 over the drawn seed × photo grid; worlds weigh equally. 95 % percentile intervals.");
        sb.AppendLine();
        sb.AppendLine(Inv, $"- Resolved (interval excludes 0): {(resolved.Length == 0 ? "none" : string.Join(", ", resolved.Select(c => $"{c.System} {Interval(c.Difference)}")))}.");
        sb.AppendLine(Inv, $"- Not resolved (interval contains 0): {(unresolved.Length == 0 ? "none" : string.Join(", ", unresolved.Select(c => $"{c.System} {Interval(c.Difference)}")))}.");
        sb.AppendLine();
        if (study.Worlds.Count > 1)
        {
            sb.AppendLine("Per world (Δ scene F1 ×100 [95 % CI]):");
            sb.AppendLine();
            sb.AppendLine("| system | " + string.Join(" | ", study.Worlds.Select(w => $"world {w.WorldSeed}")) + " |");
            sb.AppendLine("|---|" + string.Concat(study.Worlds.Select(_ => "---|")));
            foreach (var c in study.Comparisons)
            {
                sb.AppendLine(Inv, $"| {c.System} | {string.Join(" | ", c.PerWorld.Select(Interval))} |");
            }

            sb.AppendLine();
        }
    }

    private static void AppendGapStudy(StringBuilder sb, ShapesStudy study)
    {
        var points = study.GapStudy;
        sb.AppendLine("## Gap study: scene F1 against the modality gap");
        sb.AppendLine();
        sb.AppendLine("Scene F1 (×100) of each system's first-seed captioner as the centroid distance of the evaluation pairs varies. **natural**: a CLIP trained at that logit scale, with the gap its training left (its own captioners). **emulated**: the trained CLIP's image embeddings shifted along the gap vector and renormalised, n(x + λ·g), to the requested centroid distance (as Liang et al., NeurIPS 2022, change the gap); the text-only captioners are reused (they never saw an image), their bridges refitted on the shifted image statistics; the paired ceiling is carried over unchanged (trained and tested on photo embeddings alone, a fixed map of the photo space does not move it). Real CLIP's centroid distance is 0.82–0.86.");
        sb.AppendLine();
        var systems = points.SelectMany(p => p.Scores.Keys).Distinct().ToArray();
        sb.AppendLine("| arm | world | logit scale | centroid distance | paired cos | " + string.Join(" | ", systems) + " | retrieval ceiling |");
        sb.AppendLine("|---|---|---|---|---|" + string.Concat(systems.Select(_ => "---|")) + "---|");
        foreach (var p in points.OrderBy(p => p.WorldSeed).ThenBy(p => p.Arm).ThenBy(p => p.CentroidDistance))
        {
            var distance = p.RequestedCentroidDistance is { } requested
                ? string.Create(Inv, $"{p.CentroidDistance:F3} (asked {requested:F2}, λ = {p.Shift:+0.000;−0.000})")
                : p.CentroidDistance.ToString("F3", Inv);
            var scale = p.LogitScale is { } v ? v.ToString("0.#", Inv) : string.Create(Inv, $"learned ({p.FinalLogitScale:0.0})");
            var scores = string.Join(" | ", systems.Select(s => p.Scores.TryGetValue(s, out var x) ? (x.SceneF1 * 100).ToString("F1", Inv) : "–"));
            sb.AppendLine(Inv, $"| {p.Arm} | {p.WorldSeed} | {scale} | {distance} | {p.MeanPairedCosine:F3} | {scores} | {p.RetrievalCeiling.SceneF1 * 100:F1} |");
        }

        var unreachable = study.Worlds.SelectMany(w => w.UnreachableGapSizes.Select(d => (w.WorldSeed, d))).ToArray();
        if (unreachable.Length > 0)
        {
            sb.AppendLine();
            sb.AppendLine(Inv, $"Not reachable by a shift along the gap vector: {string.Join(", ", unreachable.Select(u => $"{u.d:F2} (world {u.WorldSeed})"))}.");
        }

        sb.AppendLine();
        sb.AppendLine("![Scene F1 against the centroid distance](gap_study.svg)");
        sb.AppendLine();
    }

    private static string ScaleName(float? scale) => scale is { } s ? s.ToString("0.#", Inv) + " (fixed)" : "learned";

    private static void AppendGap(StringBuilder sb, ModalityGapReport g)
    {
        sb.AppendLine("| n | mean paired cos | mean unpaired cos | centroid distance | i→t R@1 | t→i R@1 | i→t R@5 | t→i R@5 | gap dims 90 % / 99 % |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        sb.AppendLine(Inv, $"| {g.N} | {g.MeanPairedCosine:F3} | {g.MeanUnpairedCosine:F3} | {g.CentroidDistance:F3} | {g.ImageToTextRecallAt1:F3} | {g.TextToImageRecallAt1:F3} | {g.ImageToTextRecallAt5:F3} | {g.TextToImageRecallAt5:F3} | {g.GapDims90} / {g.GapDims99} |");
    }
}
