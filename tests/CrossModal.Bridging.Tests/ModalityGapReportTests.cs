using System;
using System.Linq;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using Xunit;

namespace CrossModal.Bridging.Tests;

/// <summary>The gap diagnostics, on real CLIP ViT-B/16 COCO embeddings and against plain references.</summary>
public class ModalityGapReportTests
{
    [Fact]
    public void Real_coco_embeddings_reproduce_the_published_gap()
    {
        var (images, texts) = TestData.CocoPairs;
        var report = ModalityGapReport.Compute(images, texts);
        Assert.Equal(500, report.N);
        Assert.Equal(512, report.Dimension);

        // Figures measured with numpy on the same file (the COCO embeddings of data/MANIFEST.md, "Mind the Gap" Fig. 1 data).
        Assert.Equal(0.310, report.MeanPairedCosine, 1e-3);
        Assert.Equal(0.162, report.MeanUnpairedCosine, 1e-3);
        Assert.Equal(0.851, report.CentroidDistance, 1e-3);
        Assert.Equal(0.552, report.ImageToTextRecallAt1, 1e-3);
        Assert.Equal(0.506, report.TextToImageRecallAt1, 1e-3);
        Assert.Equal(0.808, report.ImageToTextRecallAt5, 1e-3);
        Assert.Equal(0.766, report.TextToImageRecallAt5, 1e-3);

        // numpy.linalg.eigvalsh of the centred differences' scatter: 173 and 332 directions (±1 for float32 round-off at the threshold).
        Assert.InRange(report.GapDims90, 172, 174);
        Assert.InRange(report.GapDims99, 331, 333);
        Assert.Equal(1.0, report.GapSpectrum.Sum(), 1e-9);
    }

    [Fact]
    public void Untrained_clip_has_no_alignment()
    {
        var (images, texts) = TestData.LoadPairs("features_clip_random.npy");
        var report = ModalityGapReport.Compute(images, texts);
        Assert.Equal(0.029, report.MeanPairedCosine, 1e-3);
        Assert.True(report.ImageToTextRecallAt1 < 0.01);
    }

    [Fact]
    public void Collapse_on_coco_closes_the_centroid_gap()
    {
        var (images, texts) = TestData.CocoPairs;
        var bridge = BridgePresets.Create(BridgePreset.C2Collapse);
        bridge.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images });
        var report = ModalityGapReport.Compute(images, texts, bridge, new Random(0));
        // numpy on the same file: n(n(v) − μ_v), n(n(t) − μ_t) leave 0.0279 of the 0.851 (the renormalisation
        // after centring keeps it from being exactly 0); the paired cosine becomes 0.3147 and i2t R@1 0.542.
        Assert.Equal(0.0279, report.CentroidDistance, 1e-3);
        Assert.Equal(0.3147, report.MeanPairedCosine, 1e-3);
        Assert.Equal(0.542, report.ImageToTextRecallAt1, 1e-3);
    }

    [Fact]
    public void Small_report_matches_plain_loops()
    {
        var (images, texts) = TestData.Paired(12, 6, seed: 50);
        var report = ModalityGapReport.Compute(images, texts);
        var n = 12;
        var cos = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                cos[i, j] = Reference.Dot(Reference.Normalize(images.Row(i)), Reference.Normalize(texts.Row(j)).Select(x => (float)x).ToArray());
            }
        }

        var paired = Enumerable.Range(0, n).Average(i => cos[i, i]);
        var unpaired = (from i in Enumerable.Range(0, n) from j in Enumerable.Range(0, n) where i != j select cos[i, j]).Average();
        var i2t = Enumerable.Range(0, n).Count(i => Enumerable.Range(0, n).All(j => cos[i, j] <= cos[i, i])) / (double)n;
        var t2i = Enumerable.Range(0, n).Count(i => Enumerable.Range(0, n).All(j => cos[j, i] <= cos[i, i])) / (double)n;
        var mv = Reference.NormalizedMean(images);
        var mt = Reference.NormalizedMean(texts);
        var centroid = Math.Sqrt(mv.Zip(mt, (a, b) => (a - b) * (a - b)).Sum());
        Assert.Equal(paired, report.MeanPairedCosine, 1e-6);
        Assert.Equal(unpaired, report.MeanUnpairedCosine, 1e-6);
        Assert.Equal(centroid, report.CentroidDistance, 1e-6);
        Assert.Equal(i2t, report.ImageToTextRecallAt1);
        Assert.Equal(t2i, report.TextToImageRecallAt1);
        Assert.Equal(6, report.GapSpectrum.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(7)]
    [InlineData(40)]
    public void Eigenvalues_match_jacobi(int n)
    {
        var rng = new Random(n);
        var a = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                a[i, j] = a[j, i] = rng.NextDouble() * 2 - 1;
            }
        }

        var flat = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                flat[i * n + j] = a[i, j];
            }
        }

        var expected = Reference.JacobiEigenvalues(a);
        var actual = SymmetricEigenvalues.Compute(flat, n);
        for (var i = 0; i < n; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) < 1e-9, $"eigenvalue {i}: {actual[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Eigenvectors_are_orthonormal_and_satisfy_the_eigen_equation()
    {
        const int n = 17;
        var rng = new Random(23);
        var a = new double[n * n];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                a[i * n + j] = a[j * n + i] = rng.NextDouble() * 2 - 1;
            }
        }

        var v = (double[])a.Clone();
        var values = SymmetricEigenvalues.ComputeWithVectors(v, n);
        Assert.Equal(SymmetricEigenvalues.Compute((double[])a.Clone(), n), values, new ToleranceComparer(1e-10));
        for (var k = 0; k < n; k++)
        {
            for (var i = 0; i < n; i++)
            {
                double av = 0;
                for (var j = 0; j < n; j++)
                {
                    av += a[i * n + j] * v[j * n + k];
                }

                Assert.True(Math.Abs(av - values[k] * v[i * n + k]) < 1e-9, $"(A·v_{k})[{i}] = {av} but λ·v = {values[k] * v[i * n + k]}");
            }

            for (var m = 0; m <= k; m++)
            {
                double dot = 0;
                for (var i = 0; i < n; i++)
                {
                    dot += v[i * n + k] * v[i * n + m];
                }

                Assert.True(Math.Abs(dot - (m == k ? 1 : 0)) < 1e-10, $"v_{k}·v_{m} = {dot}");
            }
        }
    }

    private sealed class ToleranceComparer(double tolerance) : System.Collections.Generic.IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(double obj) => 0;
    }

    [Fact]
    public void Json_has_exactly_the_cli_keys()
    {
        var (images, texts) = TestData.Paired(10, 4, seed: 51);
        using var doc = JsonDocument.Parse(ModalityGapReport.Compute(images, texts).ToJson());
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(
            new[]
            {
                "n", "dim", "mean_paired_cosine", "mean_unpaired_cosine", "centroid_distance", "i2t_recall_at_1", "t2i_recall_at_1",
                "i2t_recall_at_5", "t2i_recall_at_5", "gap_dims_90", "gap_dims_99",
            },
            keys);
        Assert.Equal(10, doc.RootElement.GetProperty("n").GetInt32());
        Assert.Equal(4, doc.RootElement.GetProperty("dim").GetInt32());
    }
}
