using System.Linq;
using CrossModal.ShapesWorld.Data;
using CrossModal.ShapesWorld.Experiment;
using Xunit;

namespace CrossModal.ShapesWorld.Experiment.Tests;

/// <summary>How the experiment runs, on a world and budgets too small to learn anything: results do not depend on how
/// many captioners train side by side, and a fixed CLIP temperature stays fixed.</summary>
public sealed class ExperimentMechanicsTests
{
    private static ShapesExperimentOptions Tiny(int workers, float? logitScale = 100f) => new()
    {
        World = new ShapesWorldOptions
        {
            WebPairs = 160,
            CorpusCaptions = 160,
            AuxiliaryPairs = 12,
            UnpairedPhotos = 24,
            ValidationScenes = 8,
            TestScenes = 12,
        },
        Seeds = 1,
        ClipSteps = 4,
        ClipBatchSize = 16,
        ClipWidth = 32,
        ClipLayers = 1,
        EmbeddingDimension = 16,
        CaptionerSteps = 5,
        CaptionerBatchSize = 8,
        DecoderWidth = 32,
        DecoderLayers = 1,
        SyntheticRenders = 24,
        ShowcaseCount = 2,
        CaptionerWorkers = workers,
        ClipLogitScale = logitScale,
        GapStudy = ShapesGapStudy.None,
        AdversarialSteps = 3,
    };

    [Fact]
    public void CaptionersGiveIdenticalResultsWhetherTrainedOneAtATimeOrSideBySide()
    {
        var serial = ShapesExperiment.Run(Tiny(workers: 1));
        var parallel = ShapesExperiment.Run(Tiny(workers: 3));
        Assert.Equal(serial.Runs.Count, parallel.Runs.Count);
        for (var i = 0; i < serial.Runs.Count; i++)
        {
            Assert.Equal(serial.Runs[i].System, parallel.Runs[i].System);
            Assert.Equal(serial.Runs[i].Losses, parallel.Runs[i].Losses);
            Assert.Equal(serial.Runs[i].Captions, parallel.Runs[i].Captions);
            Assert.Equal(serial.Runs[i].Scores, parallel.Runs[i].Scores);
        }
    }

    [Fact]
    public void TheConvolutionalTowerIgnoresThePatchSizeAndRejectsBadLayers()
    {
        var options = ShapesExperimentOptions.Quick();
        Assert.Equal(CrossModal.Models.Clip.ClipVisionTower.Convolutional, options.ClipTower);
        options.ClipPatchSize = 5;
        options.Validate();
        options.ClipConvLayers = "16 M M M M M M";
        var error = Assert.Throws<System.ArgumentException>(options.Validate);
        Assert.Equal("ClipConvLayers", error.ParamName);
    }

    [Fact]
    public void AFixedLogitScaleStaysFixedAndALearnedOneMoves()
    {
        var fixedScale = ShapesExperiment.Run(Tiny(workers: 2, logitScale: 100f));
        Assert.Equal(100f, fixedScale.Clip.CurrentLogitScale, 3);
        var learned = ShapesExperiment.Run(Tiny(workers: 2, logitScale: null));
        Assert.True(System.Math.Abs(learned.Clip.CurrentLogitScale - 1 / 0.07) > 1e-3, $"a learned scale should move from 1/0.07; it is {learned.Clip.CurrentLogitScale}");
        Assert.InRange(learned.Clip.CurrentLogitScale, 10f, 20f);
        Assert.True(fixedScale.InitialGap.CentroidDistance > 0, "the initial gap report is computed");
        Assert.Equal(learned.InitialGap.CentroidDistance, fixedScale.InitialGap.CentroidDistance, 6);
        Assert.All(new[] { fixedScale, learned }, r => Assert.Equal(ShapesExperiment.Systems.Count + 1, r.Runs.Select(x => x.System).Distinct().Count())); // + CgT-GAN
    }

    /// <summary>The adversarial stage embeds sampled captions from their ids (no strings): the embeddings must be those
    /// of the decoded text, with start, padding and end ids left out as decoding leaves them out.</summary>
    [Fact]
    public void TheClipEmbedsCaptionIdsExactlyAsItEmbedsTheirDecodedText()
    {
        var result = ShapesExperiment.Run(Tiny(workers: 1));
        var clip = result.Clip;
        var words = clip.Tokenizer;
        string[] captions = [.. result.RunsOf("C1").First().Captions.Take(4), "a small red circle left of a large blue square"];
        var ids = captions.Select((c, i) => (i % 2 == 0 ? new[] { words.StartOfTextId!.Value } : []).Concat(words.Encode(c)).Append(words.PaddingId).ToArray()).ToList();
        var embedded = new CrossModal.Abstractions.EmbeddingMatrix(captions.Length, clip.Dimension);
        clip.Embed(new CrossModal.Training.Adversarial.RewardBatch(ids, Enumerable.Range(0, ids.Count).ToArray()), embedded);
        Assert.Equal(clip.EncodeTexts(captions).Span.ToArray(), embedded.Span.ToArray());
    }

    [Fact]
    public void OptionsRejectABadLogitScaleAndNoWorkers()
    {
        var options = Tiny(workers: 0);
        Assert.Contains("CaptionerWorkers", Assert.ThrowsAny<System.ArgumentException>(options.Validate).Message, System.StringComparison.Ordinal);
        options = Tiny(workers: 1, logitScale: -1f);
        Assert.Contains("ClipLogitScale", Assert.ThrowsAny<System.ArgumentException>(options.Validate).Message, System.StringComparison.Ordinal);
    }

    /// <summary>The natural arm trains one CLIP per other temperature with the natural-arm systems only, reuses the
    /// main run at its own temperature, and the emulated arm reuses the main run's captioners.</summary>
    [Fact]
    public void TheFullGapStudyHasANaturalPointPerTemperatureAndEmulatedPointsAtTheRequestedSizes()
    {
        var options = Tiny(workers: 2);
        options.GapStudy = ShapesGapStudy.Full;
        options.NaturalGapLogitScales = [null, 30f, 100f];
        options.EmulatedCentroidDistances = [0.6, 0.84];
        var result = ShapesExperiment.Run(options);
        var natural = result.GapStudy.Where(p => p.Arm == "natural").ToArray();
        Assert.Equal(new float?[] { 100f, null, 30f }, natural.Select(p => p.LogitScale).ToArray());
        Assert.Equal(ShapesExperiment.Systems.Count, natural[0].Scores.Count);
        Assert.All(natural.Skip(1), p => Assert.Equal(new[] { "C1", "C3", "paired" }, p.Scores.Keys.OrderBy(k => k, System.StringComparer.Ordinal).ToArray()));
        var emulated = result.GapStudy.Where(p => p.Arm == "emulated").ToArray();
        Assert.Equal(2, emulated.Length + result.UnreachableGapSizes.Count);
        Assert.All(emulated, p => Assert.Equal(p.RequestedCentroidDistance!.Value, p.CentroidDistance, 3));
        Assert.All(emulated, p => Assert.Equal(result.RunsOf("paired").First().Scores, p.Scores["paired"]));
        Assert.Single(ShapesStudy.Create([result]).Worlds);
    }

    [Fact]
    public void WorldsArePooledWithTheirOwnSeedsAndEveryBridgeIsComparedWithC1()
    {
        var options = Tiny(workers: 2);
        options.World.Seed = 5;
        options.Worlds = 2;
        options.Seeds = 2;
        var study = ShapesExperiment.RunWorlds(options);
        Assert.Equal(new ulong[] { 5, 6 }, study.Worlds.Select(w => w.WorldSeed).ToArray());
        Assert.Equal(5ul, options.World.Seed);
        Assert.Equal(ShapesExperiment.Systems.Count - 2 + 1, study.Comparisons.Count); // all but C1 and paired, + CgT-GAN
        Assert.Equal(4, study.Worlds.Sum(w => w.RunsOf("CgT-GAN").Count()));
        Assert.All(study.Worlds, w => Assert.Equal(2, w.AdversarialCurves.Count));
        var c3 = study.ComparisonOf("C3")!;
        Assert.Equal(2, c3.PerWorld.Count);
        var expected = study.Worlds.Average(w => w.Summary("C3").Mean.SceneF1 - w.Summary("C1").Mean.SceneF1);
        Assert.Equal(expected, c3.Difference.Estimate, 9);
        Assert.Equal(4, study.Worlds.Sum(w => w.RunsOf("C3").Count()));
        Assert.Equal(study.Worlds.SelectMany(w => w.RunsOf("C3")).Average(r => r.Scores.SceneF1), study.Summary("C3").Mean.SceneF1, 9);
    }

    [Fact]
    public void TheValidationSplitCanBeScoredInsteadOfTheTestSplit()
    {
        var options = Tiny(workers: 2);
        options.EvaluationSplit = ShapesEvaluationSplit.Validation;
        var result = ShapesExperiment.Run(options);
        var world = ShapesWorldDataset.Generate(options.World);
        Assert.Equal(world.Validation.References, result.TestReferences);
        Assert.NotEqual(world.Test.References.Count, result.TestReferences.Count);
        Assert.Equal(world.Validation.Count, result.Gap.N);
        var directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "crossmodal-split-" + System.Guid.NewGuid().ToString("N"));
        try
        {
            var written = ShapesReportWriter.Write(result, directory);
            Assert.Contains("photos/validation_000.png", written);
            Assert.DoesNotContain(written, name => name.StartsWith("photos/test_", System.StringComparison.Ordinal));
            var md = System.IO.File.ReadAllText(System.IO.Path.Combine(directory, "results.md"));
            Assert.Contains("Scores on the validation photos", md, System.StringComparison.Ordinal);
            Assert.Contains("\"evaluation_split\": \"validation\"", System.IO.File.ReadAllText(System.IO.Path.Combine(directory, "results.json")), System.StringComparison.Ordinal);
        }
        finally
        {
            System.IO.Directory.Delete(directory, recursive: true);
        }
    }
}
