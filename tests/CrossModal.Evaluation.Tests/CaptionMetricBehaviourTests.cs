using System;
using System.Collections.Generic;
using CrossModal.Abstractions;
using CrossModal.Evaluation.Captioning;
using Xunit;

namespace CrossModal.Evaluation.Tests;

public sealed class CaptionMetricBehaviourTests
{
    [Fact]
    public void Identical_captions_score_one_on_bleu_and_rouge()
    {
        var refs = new List<IReadOnlyList<string>> { new[] { "a dog runs on the grass" }, new[] { "two cats sleep on a red sofa" } };
        var scores = CaptionMetrics.Score(refs, ["a dog runs on the grass", "two cats sleep on a red sofa"]);
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(1.0, scores.Bleu[k], 8);
        }

        Assert.Equal(1.0, scores.RougeL, 12);
    }

    [Fact]
    public void Ptb_tokenization_makes_case_and_punctuation_irrelevant()
    {
        var refs = new List<IReadOnlyList<string>> { new[] { "a dog runs on the grass", "a brown dog is running" }, new[] { "two cats sleep on a red sofa", "cats sleeping" } };
        var plain = CaptionMetrics.Score(refs, ["a dog runs on grass", "two cats on a sofa"]);
        var messy = CaptionMetrics.Score(refs, ["A dog runs, on GRASS.", "Two cats on a sofa!"], CaptionTokenization.Ptb);
        Assert.Equal(plain.ToDictionary(), messy.ToDictionary());
        var unmatched = CaptionMetrics.Score(refs, ["A dog runs, on GRASS.", "Two cats on a sofa!"]);
        Assert.True(unmatched.CiderD < plain.CiderD);
    }

    [Fact]
    public void Empty_candidate_scores_zero_and_does_not_throw()
    {
        var refs = new List<IReadOnlyList<string>> { new[] { "a dog" }, new[] { "a cat" } };
        var scores = CaptionMetrics.Score(refs, ["", "a cat"]);
        Assert.Equal(0.0, scores.RougeLPerImage[0]);
        Assert.Equal(0.0, scores.CiderDPerImage[0]);
        Assert.True(scores.BleuPerImage[0][0] < 1e-5);
        Assert.True(double.IsFinite(scores.CiderD));
    }

    [Fact]
    public void Mismatched_ids_and_empty_reference_lists_are_errors_naming_the_image()
    {
        var refs = new Dictionary<string, IReadOnlyList<string>> { ["a"] = new[] { "x y" }, ["b"] = new[] { "y z" } };
        var missing = Assert.Throws<ArgumentException>(() => CaptionMetrics.Score(refs, new Dictionary<string, string> { ["a"] = "x" }));
        Assert.Contains("'b'", missing.Message);
        var extra = Assert.Throws<ArgumentException>(() =>
            CaptionMetrics.Score(refs, new Dictionary<string, string> { ["a"] = "x", ["b"] = "y", ["c"] = "z" }));
        Assert.Contains("'c'", extra.Message);
        var empty = new Dictionary<string, IReadOnlyList<string>> { ["a"] = Array.Empty<string>() };
        Assert.Contains("'a' has no references", Assert.Throws<ArgumentException>(() =>
            CaptionMetrics.Score(empty, new Dictionary<string, string> { ["a"] = "x" })).Message);
        Assert.Throws<ArgumentException>(() => CaptionMetrics.Score(new List<IReadOnlyList<string>> { new[] { "a" } }, ["a", "b"]));
    }

    [Fact]
    public void Cider_depends_on_the_reference_set_through_document_frequency()
    {
        var refs = new List<IReadOnlyList<string>> { new[] { "a dog runs" }, new[] { "a cat sits" } };
        var two = CaptionMetrics.Score(refs, ["a dog runs", "a cat sits"]);
        var one = CaptionMetrics.Score(refs.GetRange(0, 1), ["a dog runs"]);

        // With one image, log(#images) = 0: every idf is 0 and CIDEr-D is 0 (as pycocoevalcap).
        Assert.Equal(0.0, one.CiderD);
        Assert.True(two.CiderD > 0);
    }

    [Fact]
    public void ClipScore_is_w_times_clamped_cosine()
    {
        var images = EmbeddingMatrix.FromRows([new float[] { 1, 0, 0 }, new float[] { 0, 2, 0 }, new float[] { 3, 4, 0 }]);
        var captions = EmbeddingMatrix.FromRows([new float[] { 1, 1, 0 }, new float[] { 0, -1, 0 }, new float[] { 3, 4, 0 }]);
        var scores = ClipScore.Compute(images, captions);
        Assert.Equal(2.5f * MathF.Sqrt(0.5f), scores[0], 5);
        Assert.Equal(0f, scores[1]);
        Assert.Equal(2.5f, scores[2], 5);
        Assert.Equal((scores[0] + scores[1] + scores[2]) / 3.0, ClipScore.Mean(images, captions), 6);
        Assert.Throws<ArgumentException>(() => ClipScore.Compute(images, EmbeddingMatrix.FromRows([new float[] { 1, 0, 0 }])));
        var zero = EmbeddingMatrix.FromRows([new float[] { 0, 0, 0 }, new float[] { 0, 1, 0 }, new float[] { 1, 0, 0 }]);
        Assert.Contains("Row 0", Assert.Throws<ArgumentException>(() => ClipScore.Compute(zero, captions)).Message);
    }
}
