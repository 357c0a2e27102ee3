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
using CrossModal.ShapesWorld.Rendering;
using CrossModal.Training.Captioning;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>
/// Writes an experiment's outputs to a folder: <c>results.md</c> (table, gap reports, ten test photos with every
/// system's caption), <c>results.json</c> (every number), <c>pca.svg</c> (2-D PCA of test image and text embeddings
/// before and after Collapse), <c>curves.svg</c> (training losses), <c>photos/test_NNN.png</c> (<c>validation_NNN.png</c> when scored on the validation split) and
/// <c>showcase.png</c>, and the trained models as safetensors under <c>models/</c>. Every file is written atomically.
/// </summary>
public static class ShapesReportWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Writes everything to <paramref name="directory"/> (created if needed).</summary>
    /// <param name="result">The experiment's result.</param>
    /// <param name="directory">The output folder.</param>
    /// <returns>The paths written, relative to <paramref name="directory"/>.</returns>
    public static IReadOnlyList<string> Write(ShapesExperimentResult result, string directory)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentException.ThrowIfNullOrEmpty(directory);
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        void Text(string name, string content)
        {
            var path = Path.Combine(directory, name);
            WriteAtomically(path, s => s.Write(Encoding.UTF8.GetBytes(content)));
            written.Add(name);
        }

        var showcase = Math.Min(result.Options.ShowcaseCount, result.TestPhotos.Count);
        Directory.CreateDirectory(Path.Combine(directory, "photos"));
        for (var i = 0; i < result.TestPhotos.Count; i++)
        {
            var name = PhotoName(result.Options, i);
            WriteAtomically(Path.Combine(directory, name), s => PngEncoder.Write(s, result.TestPhotos[i]));
            written.Add(name);
        }

        if (showcase > 0)
        {
            var sheet = ContactSheet.Compose(result.TestPhotos.Take(showcase).ToArray(), columns: showcase, scale: 4);
            WriteAtomically(Path.Combine(directory, "showcase.png"), s => PngEncoder.Write(s, sheet));
            written.Add("showcase.png");
        }

        Text("results.json", ShapesExperimentJson.Full(result));
        Text("pca.svg", PcaSvg(result));
        Text("curves.svg", CurvesSvg(result));
        Text("results.md", Markdown(result));

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

    /// <summary>The Markdown table of mean ± std per system (what the CLI prints).</summary>
    /// <param name="result">The experiment's result.</param>
    public static string Table(ShapesExperimentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var sb = new StringBuilder();
        sb.AppendLine("| system | CIDEr-D | BLEU-4 | scene F1 | CLIP-score | paired cos after | centroid dist after |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var system in result.Systems)
        {
            var (mean, std) = result.Summary(system);
            var runs = result.RunsOf(system).ToArray();
            var cos = runs.Average(r => r.Gap.MeanPairedCosine);
            var dist = runs.Average(r => r.Gap.CentroidDistance);
            sb.Append(Inv, $"| {system} | {Pm(mean.CiderD * 100, std.CiderD * 100, 1)} | {Pm(mean.Bleu4 * 100, std.Bleu4 * 100, 1)} | ");
            sb.AppendLine(Inv, $"{Pm(mean.SceneF1 * 100, std.SceneF1 * 100, 1)} | {Pm(mean.ClipScore, std.ClipScore, 3)} | {cos:F3} | {dist:F3} |");
        }

        var h = result.HumanScores;
        sb.AppendLine(Inv, $"| ground truth (1 reference vs the other 4) | {h.CiderD * 100:F1} | {h.Bleu4 * 100:F1} | {h.SceneF1 * 100:F1} | – | – | – |");
        return sb.ToString();
    }

    private static string Pm(double mean, double std, int digits) =>
        string.Create(Inv, $"{mean.ToString("F" + digits, Inv)} ± {std.ToString("F" + digits, Inv)}");

    // Temp file + rename, so an interrupted run never leaves a half-written output that looks complete.
    private static void WriteAtomically(string path, Action<Stream> write)
    {
        var temporary = path + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            write(stream);
        }

        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>"test" or "validation": the evaluation split's name in file names, reports and JSON.</summary>
    internal static string SplitName(ShapesExperimentOptions o) => o.EvaluationSplit == ShapesEvaluationSplit.Validation ? "validation" : "test";

    private static string PhotoName(ShapesExperimentOptions o, int i) => string.Create(Inv, $"photos/{SplitName(o)}_{i:D3}.png");

    private static string Markdown(ShapesExperimentResult result)
    {
        var o = result.Options;
        var split = SplitName(o);
        var heading = string.Concat(split[..1].ToUpperInvariant(), split[1..]);
        var sb = new StringBuilder();
        sb.AppendLine("# ShapesWorld: text-only captioning end to end");
        sb.AppendLine();
        sb.AppendLine(Inv, $"World seed {o.World.Seed}, {o.World.ImageSize}×{o.World.ImageSize} photos; {o.World.WebPairs} web pairs, {o.World.CorpusCaptions} corpus captions, {o.World.AuxiliaryPairs} auxiliary pairs, {o.World.UnpairedPhotos} unpaired photos, {result.TestPhotos.Count} {split} photos (5 references each).");
        sb.AppendLine(Inv, $"CLIP: width {o.ClipWidth}, {o.ClipLayers} layers per tower, D = {o.EmbeddingDimension}, {o.ClipSteps} steps of batch {o.ClipBatchSize}, logit scale {(o.ClipLogitScale is { } ls ? ls.ToString("0.#", Inv) + " (fixed)" : "learned")}, final {result.Clip.CurrentLogitScale.ToString("0.0", Inv)}. Captioners: prefix LM (MLP mapper, 4 prefix vectors, {o.DecoderLayers}-layer width-{o.DecoderWidth} decoder from scratch), {o.CaptionerSteps} steps of batch {o.CaptionerBatchSize} each, greedy decoding; {o.Seeds} seed(s) (mean ± std over captioner seeds; world and CLIP shared).");
        sb.AppendLine();
        sb.AppendLine(Inv, $"Scores on the {split} photos (CIDEr-D, BLEU-4 and scene F1 ×100). \"after\" columns: the gap report of the {split} pairs after the system's transforms (images: inference transform; texts: training transform).");
        sb.AppendLine();
        sb.Append(Table(result));
        sb.AppendLine();
        sb.AppendLine(Inv, $"## Modality gap after the connect step ({split} pairs: photo, first reference)");
        sb.AppendLine();
        AppendGap(sb, result.Gap);
        sb.AppendLine();
        sb.AppendLine("The same report with the CLIP as initialised, before any contrastive step:");
        sb.AppendLine();
        AppendGap(sb, result.InitialGap);
        sb.AppendLine();
        sb.AppendLine(Inv, $"![PCA of {split} embeddings before and after Collapse](pca.svg)");
        sb.AppendLine();
        sb.AppendLine("![Training curves](curves.svg)");
        sb.AppendLine();
        sb.AppendLine("## Gap reports after each strategy (first seed)");
        sb.AppendLine();
        sb.AppendLine("| system | paired cos | unpaired cos | centroid dist | i→t R@1 | t→i R@1 | gap dims 90 % |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var system in result.Systems)
        {
            var g = result.RunsOf(system).First().Gap;
            sb.AppendLine(Inv, $"| {system} | {g.MeanPairedCosine:F3} | {g.MeanUnpairedCosine:F3} | {g.CentroidDistance:F3} | {g.ImageToTextRecallAt1:F3} | {g.TextToImageRecallAt1:F3} | {g.GapDims90} |");
        }

        sb.AppendLine();
        sb.AppendLine(Inv, $"## {heading} photos and every system's caption (first seed)");
        sb.AppendLine();
        var showcase = Math.Min(o.ShowcaseCount, result.TestPhotos.Count);
        for (var i = 0; i < showcase; i++)
        {
            sb.AppendLine(Inv, $"### {heading} photo {i}");
            sb.AppendLine();
            sb.AppendLine(Inv, $"<img src=\"{PhotoName(o, i)}\" width=\"128\" style=\"image-rendering: pixelated\" alt=\"{split} photo {i}\">");
            sb.AppendLine();
            sb.AppendLine("| system | caption |");
            sb.AppendLine("|---|---|");
            sb.AppendLine(Inv, $"| reference | {result.TestReferences[i][0]} |");
            foreach (var system in result.Systems)
            {
                sb.AppendLine(Inv, $"| {system} | {result.RunsOf(system).First().Captions[i]} |");
            }

            sb.AppendLine();
        }

        sb.AppendLine("## Stage timings");
        sb.AppendLine();
        foreach (var (stage, seconds) in result.StageSeconds)
        {
            sb.AppendLine(Inv, $"- {stage}: {seconds:F1} s");
        }

        return sb.ToString();
    }

    private static void AppendGap(StringBuilder sb, ModalityGapReport g)
    {
        sb.AppendLine("| n | mean paired cos | mean unpaired cos | centroid distance | i→t R@1 | t→i R@1 | i→t R@5 | t→i R@5 | gap dims 90 % / 99 % |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|---|");
        sb.AppendLine(Inv, $"| {g.N} | {g.MeanPairedCosine:F3} | {g.MeanUnpairedCosine:F3} | {g.CentroidDistance:F3} | {g.ImageToTextRecallAt1:F3} | {g.TextToImageRecallAt1:F3} | {g.ImageToTextRecallAt5:F3} | {g.TextToImageRecallAt5:F3} | {g.GapDims90} / {g.GapDims99} |");
    }

    private static string PcaSvg(ShapesExperimentResult result)
    {
        var images = result.TestImageEmbeddings;
        var texts = result.TestTextEmbeddings;
        var collapse = result.RunsOf("C2-collapse").FirstOrDefault()?.Bridge;
        var panels = new List<(string Title, EmbeddingMatrix Images, EmbeddingMatrix Texts)> { ("before (raw CLIP embeddings)", images, texts) };
        if (collapse is not null)
        {
            panels.Add(("after Collapse (C3: n(n(x) − μ))", collapse.TransformForInference(images), collapse.TransformForTraining(texts, new Random(0))));
        }

        const int size = 360;
        const int margin = 30;
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{panels.Count * (size + margin) + margin}\" height=\"{size + 2 * margin + 20}\" font-family=\"sans-serif\" font-size=\"12\">");
        sb.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        for (var p = 0; p < panels.Count; p++)
        {
            var (title, im, tx) = panels[p];
            var points = Pca2(im, tx);
            var x0 = margin + p * (size + margin);
            var maxAbs = 1e-9;
            foreach (var (a, b) in points)
            {
                maxAbs = Math.Max(maxAbs, Math.Max(Math.Abs(a), Math.Abs(b)));
            }

            sb.AppendLine(Inv, $"<rect x=\"{x0}\" y=\"{margin}\" width=\"{size}\" height=\"{size}\" fill=\"none\" stroke=\"#999\"/>");
            sb.AppendLine(Inv, $"<text x=\"{x0}\" y=\"{margin - 8}\">{title}</text>");
            for (var i = 0; i < points.Length; i++)
            {
                var cx = x0 + size / 2.0 + points[i].X / maxAbs * (size / 2.0 - 6);
                var cy = margin + size / 2.0 - points[i].Y / maxAbs * (size / 2.0 - 6);
                var colour = i < im.Rows ? "#1f77b4" : "#ff7f0e";
                sb.AppendLine(Inv, $"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"2\" fill=\"{colour}\" fill-opacity=\"0.6\"/>");
            }
        }

        var ly = size + 2 * margin;
        sb.AppendLine(Inv, $"<circle cx=\"{margin + 5}\" cy=\"{ly}\" r=\"4\" fill=\"#1f77b4\"/><text x=\"{margin + 14}\" y=\"{ly + 4}\">{SplitName(result.Options)} photo embeddings</text>");
        sb.AppendLine(Inv, $"<circle cx=\"{margin + 185}\" cy=\"{ly}\" r=\"4\" fill=\"#ff7f0e\"/><text x=\"{margin + 194}\" y=\"{ly + 4}\">their first caption's embeddings (2-D PCA of both together)</text>");
        sb.AppendLine("</svg>");
        return sb.ToString();
    }

    /// <summary>Projects the rows of both matrices onto the top two principal components of their union
    /// (power iteration with deflation on the D×D covariance).</summary>
    private static (double X, double Y)[] Pca2(EmbeddingMatrix a, EmbeddingMatrix b)
    {
        var d = a.Dimension;
        var n = a.Rows + b.Rows;
        var rows = new double[n][];
        var mean = new double[d];
        for (var i = 0; i < n; i++)
        {
            var src = i < a.Rows ? a.Row(i) : b.Row(i - a.Rows);
            rows[i] = new double[d];
            for (var j = 0; j < d; j++)
            {
                rows[i][j] = src[j];
                mean[j] += src[j] / n;
            }
        }

        var cov = new double[d, d];
        foreach (var r in rows)
        {
            for (var j = 0; j < d; j++)
            {
                r[j] -= mean[j];
            }

            for (var j = 0; j < d; j++)
            {
                for (var k = 0; k < d; k++)
                {
                    cov[j, k] += r[j] * r[k];
                }
            }
        }

        var components = new double[2][];
        for (var c = 0; c < 2; c++)
        {
            var v = new double[d];
            var rng = new Random(c + 1);
            for (var j = 0; j < d; j++)
            {
                v[j] = rng.NextDouble() - 0.5;
            }

            for (var iteration = 0; iteration < 200; iteration++)
            {
                var w = new double[d];
                for (var j = 0; j < d; j++)
                {
                    for (var k = 0; k < d; k++)
                    {
                        w[j] += cov[j, k] * v[k];
                    }
                }

                for (var prev = 0; prev < c; prev++)
                {
                    var dot = 0.0;
                    for (var j = 0; j < d; j++)
                    {
                        dot += w[j] * components[prev][j];
                    }

                    for (var j = 0; j < d; j++)
                    {
                        w[j] -= dot * components[prev][j];
                    }
                }

                var norm = Math.Sqrt(w.Sum(x => x * x));
                if (norm < 1e-300)
                {
                    break;
                }

                for (var j = 0; j < d; j++)
                {
                    v[j] = w[j] / norm;
                }
            }

            components[c] = v;
        }

        var result = new (double, double)[n];
        for (var i = 0; i < n; i++)
        {
            double x = 0, y = 0;
            for (var j = 0; j < d; j++)
            {
                x += rows[i][j] * components[0][j];
                y += rows[i][j] * components[1][j];
            }

            result[i] = (x, y);
        }

        return result;
    }

    private static string CurvesSvg(ShapesExperimentResult result)
    {
        const int w = 420, h = 300, margin = 40;
        string[] palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
        var panels = new List<(string Title, List<(string Name, IReadOnlyList<float> Values)> Series)>
        {
            ("CLIP contrastive loss", [("clip", result.ClipLosses)]),
            ("captioner cross-entropy (first seed)", result.Systems.Select(s => (s, result.RunsOf(s).First().Losses)).ToList()),
        };
        var sb = new StringBuilder();
        sb.AppendLine(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{panels.Count * (w + margin) + margin}\" height=\"{h + 2 * margin + 20 * 3}\" font-family=\"sans-serif\" font-size=\"11\">");
        sb.AppendLine("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        for (var p = 0; p < panels.Count; p++)
        {
            var (title, series) = panels[p];
            var x0 = margin + p * (w + margin);
            var smoothed = series.Select(s => (s.Name, Values: Smooth(s.Values, 15))).ToArray();
            var all = smoothed.SelectMany(s => s.Values).Where(double.IsFinite).DefaultIfEmpty(0).ToArray();
            var lo = all.Min();
            var hi = Math.Max(all.Max(), lo + 1e-6);
            sb.AppendLine(Inv, $"<rect x=\"{x0}\" y=\"{margin}\" width=\"{w}\" height=\"{h}\" fill=\"none\" stroke=\"#999\"/>");
            sb.AppendLine(Inv, $"<text x=\"{x0}\" y=\"{margin - 8}\">{title} (moving average of 15 steps)</text>");
            sb.AppendLine(Inv, $"<text x=\"{x0 - 4}\" y=\"{margin + 10}\" text-anchor=\"end\">{hi:F2}</text><text x=\"{x0 - 4}\" y=\"{margin + h}\" text-anchor=\"end\">{lo:F2}</text>");
            for (var s = 0; s < smoothed.Length; s++)
            {
                var values = smoothed[s].Values;
                if (values.Length == 0)
                {
                    continue;
                }

                var path = new StringBuilder();
                var stride = Math.Max(1, values.Length / 300);
                for (var i = 0; i < values.Length; i += stride)
                {
                    var x = x0 + (values.Length == 1 ? 0 : (double)i / (values.Length - 1) * w);
                    var y = margin + h - (values[i] - lo) / (hi - lo) * h;
                    path.Append(Inv, $"{(path.Length == 0 ? "M" : " L")}{x:F1},{y:F1}");
                }

                var colour = palette[s % palette.Length];
                sb.AppendLine(Inv, $"<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>");
                if (smoothed.Length > 1)
                {
                    var lx = x0 + (s % 4) * (w / 4);
                    var ly = margin + h + 18 + (s / 4) * 16;
                    sb.AppendLine(Inv, $"<rect x=\"{lx}\" y=\"{ly - 8}\" width=\"10\" height=\"3\" fill=\"{colour}\"/><text x=\"{lx + 14}\" y=\"{ly - 3}\">{smoothed[s].Name}</text>");
                }
            }

            sb.AppendLine(Inv, $"<text x=\"{x0 + w}\" y=\"{margin + h + 12}\" text-anchor=\"end\">step</text>");
        }

        sb.AppendLine("</svg>");
        return sb.ToString();
    }

    private static double[] Smooth(IReadOnlyList<float> values, int window)
    {
        var result = new double[values.Count];
        double sum = 0;
        for (var i = 0; i < values.Count; i++)
        {
            sum += values[i];
            if (i >= window)
            {
                sum -= values[i - window];
            }

            result[i] = sum / Math.Min(i + 1, window);
        }

        return result;
    }
}
