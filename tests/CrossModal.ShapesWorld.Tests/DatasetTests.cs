using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.ShapesWorld.Data;
using CrossModal.ShapesWorld.Scoring;
using CrossModal.ShapesWorld.World;
using Xunit;

namespace CrossModal.ShapesWorld.Tests;

public class DatasetTests
{
    private static readonly Lazy<ShapesWorldDataset> QuickWorld = new(() => ShapesWorldDataset.Generate(ShapesWorldOptions.Quick()));

    [Fact]
    public void Quick_preset_has_the_requested_sizes_and_kinds_of_item()
    {
        ShapesWorldDataset d = QuickWorld.Value;
        Assert.Equal(2000, d.Web.Count);
        Assert.Equal(2000, d.Corpus.Count);
        Assert.Equal(20, d.Auxiliary.Count);
        Assert.Equal(200, d.Unpaired.Count);
        Assert.Equal(50, d.Validation.Count);
        Assert.Equal(100, d.Test.Count);
        Assert.Equal(["web", "corpus", "auxiliary", "unpaired", "validation", "test"], d.Splits.Select(s => s.Name));
        Assert.All(d.Web.Examples, e => Assert.Single(e.Captions));
        Assert.All(d.Corpus.Examples, e => Assert.Single(e.Captions));
        Assert.All(d.Unpaired.Examples, e => Assert.Empty(e.Captions));
        Assert.False(d.Corpus.HasImages);
        var ex = Assert.Throws<InvalidOperationException>(() => d.Corpus.RenderPhoto(0));
        Assert.Contains("text-only", ex.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => d.Unpaired.Examples[0].Caption);
    }

    [Fact]
    public void Splits_are_disjoint_by_scene_and_test_scenes_are_distinct()
    {
        ShapesWorldDataset d = QuickWorld.Value;
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (ShapesWorldSplit split in d.Splits)
        {
            foreach (ShapesWorldExample e in split.Examples)
            {
                string key = e.Scene.Description.Key;
                if (owner.TryGetValue(key, out string? other))
                {
                    Assert.True(other == split.Name, $"scene '{key}' is in both {other} and {split.Name}");
                }

                owner[key] = split.Name;
            }
        }

        Assert.Equal(d.Test.Count, d.Test.Examples.Select(e => e.Scene.Description.Key).Distinct().Count());
        Assert.Equal(d.Validation.Count, d.Validation.Examples.Select(e => e.Scene.Description.Key).Distinct().Count());

        // Repeats within the big splits exist (one-object scenes are few), so disjointness is not vacuous.
        Assert.True(d.Corpus.Examples.Select(e => e.Scene.Description.Key).Distinct().Count() < d.Corpus.Count);
    }

    [Fact]
    public void Test_and_validation_scenes_have_five_different_exact_references()
    {
        ShapesWorldDataset d = QuickWorld.Value;
        foreach (ShapesWorldSplit split in new[] { d.Validation, d.Test })
        {
            Assert.All(split.Examples, e =>
            {
                Assert.Equal(5, e.Captions.Distinct(StringComparer.Ordinal).Count());
                Assert.All(e.Captions, c => Assert.True(SceneAccuracy.Score(c, e.Scene.Description).IsExact, c));
            });
        }

        // References by the grammar score 1 against the scenes as a whole.
        SceneAccuracyReport r = SceneAccuracy.Evaluate(d.Test.Captions, d.Test.Scenes);
        Assert.Equal(1.0, r.MeanF1);
        Assert.Equal(5, d.Test.References[0].Count);
    }

    [Fact]
    public void Generation_is_deterministic_from_the_seed()
    {
        ShapesWorldOptions Small(ulong seed) => new()
        {
            Seed = seed, WebPairs = 300, CorpusCaptions = 300, AuxiliaryPairs = 5, UnpairedPhotos = 30, ValidationScenes = 10, TestScenes = 20,
        };

        ShapesWorldDataset a = ShapesWorldDataset.Generate(Small(9));
        ShapesWorldDataset b = ShapesWorldDataset.Generate(Small(9));
        ShapesWorldDataset c = ShapesWorldDataset.Generate(Small(10));
        for (int s = 0; s < 6; s++)
        {
            Assert.Equal(a.Splits[s].Examples.Select(e => e.Scene.Description.Key), b.Splits[s].Examples.Select(e => e.Scene.Description.Key));
            Assert.Equal(a.Splits[s].References.SelectMany(r => r), b.Splits[s].References.SelectMany(r => r));
            Assert.Equal(a.Splits[s].Examples.Select(e => e.RenderSeed), b.Splits[s].Examples.Select(e => e.RenderSeed));
        }

        Assert.Equal(a.Test.RenderPhoto(3).Pixels, b.Test.RenderPhoto(3).Pixels);
        Assert.NotEqual(a.Test.Captions, c.Test.Captions);
        ImageData[] photos = a.Test.RenderPhotos();
        Assert.Equal(20, photos.Length);
        Assert.All(Enumerable.Range(0, 20), i => Assert.Equal(a.Test.RenderPhoto(i).Pixels, photos[i].Pixels));
    }

    [Fact]
    public void Options_are_validated_with_the_name_of_the_bad_value()
    {
        var ex = Assert.Throws<ArgumentException>(() => ShapesWorldDataset.Generate(new ShapesWorldOptions { TestScenes = -1 }));
        Assert.Contains("TestScenes", ex.Message, StringComparison.Ordinal);
        ex = Assert.Throws<ArgumentException>(() => ShapesWorldDataset.Generate(new ShapesWorldOptions { ImageSize = 8 }));
        Assert.Contains("ImageSize", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_many_distinct_test_scenes_for_the_world_is_a_clear_error()
    {
        // One-object scenes: only 7 × 7 × 2 = 98 exist, far fewer than 500 distinct test scenes.
        var options = new ShapesWorldOptions
        {
            ObjectCountWeights = [1.0], WebPairs = 0, CorpusCaptions = 0, AuxiliaryPairs = 0, UnpairedPhotos = 0, ValidationScenes = 0, TestScenes = 500,
        };
        var ex = Assert.Throws<InvalidOperationException>(() => ShapesWorldDataset.Generate(options));
        Assert.Contains("too few distinct scenes", ex.Message, StringComparison.Ordinal);
    }
}
