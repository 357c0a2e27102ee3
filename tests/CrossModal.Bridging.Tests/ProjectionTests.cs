using System;
using System.Linq;
using CrossModal.Abstractions;
using Xunit;

namespace CrossModal.Bridging.Tests;

/// <summary>The streaming-softmax projection against a full softmax computed in double.</summary>
public class ProjectionTests
{
    private static double[] ReferenceProjection(ReadOnlySpan<float> query, EmbeddingMatrix support, double tau, int topK)
    {
        var q = Reference.Normalize(query);
        var logits = new double[support.Rows];
        for (var j = 0; j < support.Rows; j++)
        {
            var s = Reference.Normalize(support.Row(j));
            double cos = 0;
            for (var c = 0; c < q.Length; c++)
            {
                cos += q[c] * s[c];
            }

            logits[j] = cos / tau;
        }

        var keep = Enumerable.Range(0, support.Rows).ToArray();
        if (topK > 0 && topK < support.Rows)
        {
            keep = keep.OrderByDescending(j => logits[j]).Take(topK).ToArray();
        }

        var max = keep.Max(j => logits[j]);
        var result = new double[q.Length];
        foreach (var j in keep)
        {
            var w = Math.Exp(logits[j] - max);
            var s = Reference.Normalize(support.Row(j));
            for (var c = 0; c < result.Length; c++)
            {
                result[c] += w * s[c];
            }
        }

        return Reference.Normalize(result);
    }

    [Theory]
    [InlineData(1, 1, 8, 0.01, 0)]
    [InlineData(5, 3, 16, 0.01, 0)]
    [InlineData(300, 2500, 32, 0.01, 0)]   // more than one query block and one support block, ragged ends
    [InlineData(40, 5000, 16, 0.05, 0)]
    [InlineData(300, 2500, 32, 0.01, 7)]   // top-k across support blocks
    [InlineData(9, 20, 16, 1.0, 20)]       // k ≥ N is the dense path
    public void Bridge_projection_matches_reference(int queries, int supportRows, int d, double tau, int topK)
    {
        var support = TestData.Random(supportRows, d, seed: 10);
        var images = TestData.Random(queries, d, seed: 11);
        var bridge = new BridgePipelineBuilder()
            .AddSupportSetProjection(new SupportSetProjectionOptions { Temperature = tau, TopK = topK })
            .Build();
        bridge.Fit(new BridgeFitData { SupportTexts = support });
        var projected = bridge.TransformForInference(images);
        foreach (var i in new[] { 0, queries / 2, queries - 1 }.Distinct())
        {
            Reference.AssertRowClose(ReferenceProjection(images.Row(i), support, tau, topK), projected.Row(i), 2e-5, $"query {i}");
        }
    }

    [Fact]
    public void Low_temperature_picks_the_nearest_support_text()
    {
        var support = TestData.Random(50, 16, seed: 12);
        var queries = support.SliceRows(10, 5);
        var destination = new float[5 * 16];
        var normalizedSupport = new float[50 * 16];
        var normalizedQueries = new float[5 * 16];
        for (var i = 0; i < 50; i++)
        {
            Reference.Normalize(support.Row(i)).Select(x => (float)x).ToArray().CopyTo(normalizedSupport, i * 16);
        }

        Array.Copy(normalizedSupport, 10 * 16, normalizedQueries, 0, 5 * 16);
        SupportSetProjection.Project(destination, normalizedQueries, 5, normalizedSupport, 50, 16, 1e-4f, 0);
        Reference.AssertClose(normalizedQueries.Select(x => (double)x).ToArray(), destination, 1e-5, 0, "projection at τ → 0");
    }

    [Fact]
    public void Training_texts_are_left_alone_unless_asked()
    {
        var support = TestData.Random(30, 8, seed: 13);
        var texts = TestData.Random(4, 8, seed: 14);
        var plain = new BridgePipelineBuilder().AddSupportSetProjection().Build();
        var projecting = new BridgePipelineBuilder().AddSupportSetProjection(new SupportSetProjectionOptions { ProjectTrainingTexts = true }).Build();
        plain.Fit(new BridgeFitData { SupportTexts = support });
        projecting.Fit(new BridgeFitData { SupportTexts = support });
        Reference.AssertRowClose(Reference.Normalize(texts.Row(1)), plain.TransformForTraining(texts, new Random(0)).Row(1), 1e-6, "plain");
        Assert.Equal(projecting.TransformForInference(texts).Array, projecting.TransformForTraining(texts, new Random(0)).Array);
    }

    [Fact]
    public void Kernel_rejects_bad_arguments()
    {
        var q = new float[8];
        var s = new float[8];
        var dst = new float[8];
        Assert.Throws<ArgumentOutOfRangeException>(() => SupportSetProjection.Project(dst, q, 1, s, 1, 8, 0f, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => SupportSetProjection.Project(dst, q, 1, s, 0, 8, 0.01f, 0));
        var e = Assert.Throws<ArgumentException>(() => SupportSetProjection.Project(new float[4], q, 1, s, 1, 8, 0.01f, 0));
        Assert.Equal("destination", e.ParamName);
        Assert.Throws<ArgumentException>(() => SupportSetProjection.Project(q, q, 1, s, 1, 8, 0.01f, 0));
    }
}
