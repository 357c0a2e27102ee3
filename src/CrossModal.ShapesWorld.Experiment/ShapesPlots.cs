using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using ScottPlot;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>The report's figures, drawn with ScottPlot (each rendered as SVG and PNG by <see cref="ShapesReportWriter"/>).</summary>
internal static class ShapesPlots
{
    private static readonly string[] Palette =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf", "#000000"];

    /// <summary>A figure: its file stem and the plot with its size in pixels.</summary>
    internal sealed record Figure(string Name, Plot Plot, int Width, int Height);

    /// <summary>Every figure of the report.</summary>
    public static IReadOnlyList<Figure> All(ShapesStudy study)
    {
        var first = study.Worlds[0];
        var split = ShapesReportWriter.SplitName(study.Options);
        var figures = new List<Figure>
        {
            new("pca", Pca(first.TestImageEmbeddings, first.TestTextEmbeddings, $"{split} embeddings, raw CLIP (2-D PCA of both modalities)", split), 640, 560),
        };
        if (first.RunsOf("C2-collapse").FirstOrDefault()?.Bridge is { } collapse)
        {
            figures.Add(new("pca_collapse", Pca(collapse.TransformForInference(first.TestImageEmbeddings),
                                                collapse.TransformForTraining(first.TestTextEmbeddings, new Random(0)),
                                                $"{split} embeddings after Collapse (C3: n(n(x) − μ))", split), 640, 560));
        }

        figures.Add(new("clip_loss", Curves([("clip", first.ClipLosses)], "CLIP contrastive loss (moving average of 15 steps)"), 640, 420));
        figures.Add(new("curves", Curves(first.Systems.Select(s => (s, first.RunsOf(s).First().Losses)).ToArray(),
                                         "captioner cross-entropy, first seed (moving average of 15 steps)"), 760, 480));
        if (study.Comparisons.Count > 0)
        {
            figures.Add(new("differences", Differences(study), 720, 420));
        }

        figures.Add(new("gap_study", GapStudy(study), 1000, 520));
        figures.AddRange(ShapesAdversarial.Figures(study));
        return figures;
    }

    /// <summary>Image (blue) and text (orange) rows projected on the top two principal components of both together:
    /// the eigenvectors of their covariance with the largest eigenvalues (<see cref="SymmetricEigenvalues.ComputeWithVectors"/>).</summary>
    private static Plot Pca(EmbeddingMatrix images, EmbeddingMatrix texts, string title, string split)
    {
        var (xs, ys) = ProjectOnTopComponents(images, texts);
        var plot = new Plot();
        var n = images.Rows;
        var im = plot.Add.ScatterPoints(xs[..n], ys[..n], Color.FromHex(Palette[0]).WithAlpha(0.6));
        im.MarkerSize = 4;
        im.LegendText = $"{split} photo embeddings";
        var tx = plot.Add.ScatterPoints(xs[n..], ys[n..], Color.FromHex(Palette[1]).WithAlpha(0.6));
        tx.MarkerSize = 4;
        tx.LegendText = "their first caption's embeddings";
        plot.Title(title);
        plot.XLabel("PC 1");
        plot.YLabel("PC 2");
        plot.ShowLegend();
        return plot;
    }

    /// <summary>The coordinates of every row of both matrices on the top two principal components of their union.</summary>
    internal static (double[] X, double[] Y) ProjectOnTopComponents(EmbeddingMatrix a, EmbeddingMatrix b)
    {
        var d = a.Dimension;
        var n = a.Rows + b.Rows;
        var mean = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = i < a.Rows ? a.Row(i) : b.Row(i - a.Rows);
            for (var j = 0; j < d; j++)
            {
                mean[j] += row[j] / (double)n;
            }
        }

        var covariance = new double[d * d];
        var centred = new double[d];
        for (var i = 0; i < n; i++)
        {
            var row = i < a.Rows ? a.Row(i) : b.Row(i - a.Rows);
            for (var j = 0; j < d; j++)
            {
                centred[j] = row[j] - mean[j];
            }

            for (var j = 0; j < d; j++)
            {
                for (var k = 0; k < d; k++)
                {
                    covariance[j * d + k] += centred[j] * centred[k];
                }
            }
        }

        SymmetricEigenvalues.ComputeWithVectors(covariance, d);
        var xs = new double[n];
        var ys = new double[n];
        for (var i = 0; i < n; i++)
        {
            var row = i < a.Rows ? a.Row(i) : b.Row(i - a.Rows);
            for (var j = 0; j < d; j++)
            {
                xs[i] += (row[j] - mean[j]) * covariance[j * d];
                ys[i] += (row[j] - mean[j]) * covariance[j * d + 1];
            }
        }

        return (xs, ys);
    }

    private static Plot Curves(IReadOnlyList<(string Name, IReadOnlyList<float> Values)> series, string title)
    {
        var plot = new Plot();
        for (var s = 0; s < series.Count; s++)
        {
            var values = Smooth(series[s].Values, 15);
            if (values.Length == 0)
            {
                continue;
            }

            var steps = Enumerable.Range(1, values.Length).Select(i => (double)i).ToArray();
            var line = plot.Add.ScatterLine(steps, values, Color.FromHex(Palette[s % Palette.Length]));
            line.LineWidth = 1.5f;
            line.LegendText = series.Count > 1 ? series[s].Name : string.Empty;
        }

        plot.Title(title);
        plot.XLabel("step");
        plot.YLabel("loss");
        if (series.Count > 1)
        {
            plot.ShowLegend(Alignment.UpperRight);
        }

        return plot;
    }

    /// <summary>Each bridge's scene-F1 difference to C1 (×100), pooled over worlds, with its 95 % paired-bootstrap interval.</summary>
    private static Plot Differences(ShapesStudy study)
    {
        var plot = new Plot();
        var comparisons = study.Comparisons;
        var ys = Enumerable.Range(0, comparisons.Count).Select(i => (double)(comparisons.Count - i)).ToArray();
        var xs = comparisons.Select(c => c.Difference.Estimate * 100).ToArray();
        var bars = plot.Add.ErrorBar(xs, ys, comparisons.Select(c => 0.0).ToArray());
        bars.XErrorNegative = comparisons.Select(c => (c.Difference.Estimate - c.Difference.Lower) * 100).ToArray();
        bars.XErrorPositive = comparisons.Select(c => (c.Difference.Upper - c.Difference.Estimate) * 100).ToArray();
        bars.Color = Color.FromHex(Palette[0]);
        var points = plot.Add.ScatterPoints(xs, ys, Color.FromHex(Palette[0]));
        points.MarkerSize = 8;
        var zero = plot.Add.VerticalLine(0, color: Color.FromHex(Palette[7]));
        zero.LinePattern = LinePattern.Dashed;
        var ticks = comparisons.Select((c, i) => new Tick(ys[i], c.System)).ToArray();
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.SetLimitsY(0.3, comparisons.Count + 0.7);
        var resamples = study.Options.BootstrapResamples;
        plot.Title("scene F1 − C1's scene F1 (×100), 95 % paired bootstrap");
        plot.XLabel($"difference in scene F1 (×100); {resamples} resamples over photos and seeds, {study.Worlds.Count} world(s) × {study.Options.Seeds} seed(s)");
        return plot;
    }

    /// <summary>Scene F1 (×100) of the natural arm's systems (C1, C3, paired by default) and the retrieval ceiling against
    /// the centroid distance: the emulated arm as lines (one per system and world), the natural arm as open diamonds.
    /// Every other bridge is in the report's table.</summary>
    private static Plot GapStudy(ShapesStudy study)
    {
        var plot = new Plot();
        var points = study.GapStudy;
        var systems = study.Options.NaturalGapSystems.ToList();
        systems.Add("retrieval ceiling");
        double Score(GapStudyPoint p, string system) =>
            system == "retrieval ceiling" ? p.RetrievalCeiling.SceneF1 * 100 : p.Scores.TryGetValue(system, out var s) ? s.SceneF1 * 100 : double.NaN;

        for (var s = 0; s < systems.Count; s++)
        {
            var colour = Color.FromHex(Palette[s % Palette.Length]);
            var system = systems[s];
            var legend = true;
            foreach (var world in points.Select(p => p.WorldSeed).Distinct())
            {
                var emulated = points.Where(p => p.WorldSeed == world && (p.Arm == "emulated" || (p.Arm == "natural" && p.LogitScale == study.Options.ClipLogitScale)))
                                     .OrderBy(p => p.CentroidDistance).Where(p => !double.IsNaN(Score(p, system))).ToArray();
                if (emulated.Length > 1)
                {
                    var line = plot.Add.Scatter(emulated.Select(p => p.CentroidDistance).ToArray(), emulated.Select(p => Score(p, system)).ToArray(), colour);
                    line.MarkerSize = 4;
                    line.LineWidth = 1.5f;
                    line.LegendText = legend ? system + (s == 0 ? " (lines: emulated arm)" : string.Empty) : string.Empty;
                    legend = false;
                }
            }

            var natural = points.Where(p => p.Arm == "natural" && !double.IsNaN(Score(p, system))).ToArray();
            if (natural.Length > 0)
            {
                var markers = plot.Add.ScatterPoints(natural.Select(p => p.CentroidDistance).ToArray(), natural.Select(p => Score(p, system)).ToArray(), colour);
                markers.MarkerSize = 11;
                markers.MarkerShape = MarkerShape.OpenDiamond;
                markers.LegendText = s == 0 ? "◇ natural arm (a CLIP trained at that temperature)" : string.Empty;
            }
        }

        plot.Title("scene F1 against the modality gap (first captioner seed)");
        plot.XLabel("centroid distance of the evaluation pairs");
        plot.YLabel("scene F1 (×100)");
        // Outside the data area: inside, it covered the paired and ceiling lines, which start at the top left.
        plot.ShowLegend(Edge.Right);
        return plot;
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
