using System.Collections.Generic;
using System.Linq;
using CrossModal.ShapesWorld.Data;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.World;
using Xunit;

namespace CrossModal.ShapesWorld.Tests;

public class SceneVariantsTests
{
    private static IEnumerable<Scene> Scenes(int count)
    {
        var generator = new SceneGenerator();
        return Enumerable.Range(0, count).Select(i => generator.Next(new WorldRandom((ulong)(100 + i))));
    }

    [Fact]
    public void Redrawn_shapes_change_every_shape_and_nothing_else()
    {
        var random = new WorldRandom(1);
        foreach (var scene in Scenes(200))
        {
            var variant = SceneVariants.WithShapesRedrawn(scene, random);
            Assert.Equal(scene.Placements.Count, variant.Placements.Count);
            for (var i = 0; i < scene.Placements.Count; i++)
            {
                var (a, b) = (scene.Placements[i], variant.Placements[i]);
                Assert.NotEqual(a.Object.Shape, b.Object.Shape);
                Assert.Equal((a.Object.Color, a.Object.Size, a.X, a.Y, a.Radius), (b.Object.Color, b.Object.Size, b.X, b.Y, b.Radius));
            }

            Assert.Equal(scene.Description.Relations, variant.Description.Relations);
            Assert.Equal(variant.Description.Objects.Count, variant.Description.Objects.Distinct().Count());
        }
    }

    [Fact]
    public void Redrawn_colours_change_every_colour_and_nothing_else()
    {
        var random = new WorldRandom(2);
        foreach (var scene in Scenes(200))
        {
            var variant = SceneVariants.WithColorsRedrawn(scene, random);
            for (var i = 0; i < scene.Placements.Count; i++)
            {
                Assert.NotEqual(scene.Placements[i].Object.Color, variant.Placements[i].Object.Color);
                Assert.Equal(scene.Placements[i].Object.Shape, variant.Placements[i].Object.Shape);
            }
        }
    }

    [Fact]
    public void A_mirrored_scene_swaps_left_and_right_and_keeps_above_and_below()
    {
        var horizontal = 0;
        foreach (var scene in Scenes(200))
        {
            var mirrored = SceneVariants.Mirrored(scene);
            Assert.Equal(scene.Description.Objects, mirrored.Description.Objects);
            for (var r = 0; r < scene.Description.Relations.Count; r++)
            {
                var before = scene.Description.Relations[r].Relation;
                var after = mirrored.Description.Relations[r].Relation;
                var expected = before is SpatialRelation.LeftOf or SpatialRelation.RightOf ? WorldVocabulary.Converse(before) : before;
                horizontal += expected != before ? 1 : 0;
                Assert.Equal(expected, after);
            }

            // The mirrored caption parses back to the mirrored scene: the variant is a valid scene of the world.
            var caption = CaptionGrammar.Sample(mirrored.Description, new WorldRandom(3));
            Assert.Equal(mirrored.Description, CaptionParser.Parse(caption).ToSceneDescription());
        }

        Assert.True(horizontal > 50, $"only {horizontal} horizontal relations in 200 scenes");
    }

    [Fact]
    public void A_flipped_scene_swaps_above_and_below_and_keeps_left_and_right()
    {
        foreach (var scene in Scenes(200))
        {
            var flipped = SceneVariants.Flipped(scene);
            for (var r = 0; r < scene.Description.Relations.Count; r++)
            {
                var before = scene.Description.Relations[r].Relation;
                var expected = before is SpatialRelation.Above or SpatialRelation.Below ? WorldVocabulary.Converse(before) : before;
                Assert.Equal(expected, flipped.Description.Relations[r].Relation);
            }
        }
    }

    [Fact]
    public void Swapped_colours_keep_the_bag_of_colours_and_shapes_but_bind_them_differently()
    {
        var random = new WorldRandom(5);
        var swaps = 0;
        foreach (var scene in Scenes(200))
        {
            var swapped = SceneVariants.WithColorsSwapped(scene, random);
            if (scene.Placements.Count == 1)
            {
                Assert.Null(swapped);
                continue;
            }

            if (swapped is null)
            {
                continue;
            }

            swaps++;
            Assert.NotEqual(scene.Description, swapped.Description);
            Assert.Equal(scene.Description.Objects.Select(o => o.Color).Order(), swapped.Description.Objects.Select(o => o.Color).Order());
            Assert.Equal(scene.Description.Objects.Select(o => (o.Shape, o.Size)), swapped.Description.Objects.Select(o => (o.Shape, o.Size)));
            Assert.Equal(1, scene.Description.Objects.Zip(swapped.Description.Objects).Count(p => p.First.Color != p.Second.Color) / 2);
        }

        Assert.True(swaps > 100, $"only {swaps} swaps in 200 scenes");
    }

    [Fact]
    public void Swapped_sizes_exchange_two_objects_sizes_keep_everything_else_and_still_fit()
    {
        var random = new WorldRandom(6);
        var swaps = 0;
        foreach (var scene in Scenes(300))
        {
            var swapped = SceneVariants.WithSizesSwapped(scene, random);
            if (scene.Placements.Select(p => p.Object.Size).Distinct().Count() < 2)
            {
                Assert.Null(swapped);
                continue;
            }

            if (swapped is null)
            {
                continue;
            }

            swaps++;
            Assert.NotEqual(scene.Description, swapped.Description);
            Assert.Equal(scene.Description.Relations, swapped.Description.Relations);
            Assert.Equal(scene.Description.Objects.Select(o => (o.Shape, o.Color)), swapped.Description.Objects.Select(o => (o.Shape, o.Color)));
            Assert.Equal(scene.Description.Objects.Select(o => o.Size).Order(), swapped.Description.Objects.Select(o => o.Size).Order());
            Assert.Equal(2, scene.Description.Objects.Zip(swapped.Description.Objects).Count(p => p.First.Size != p.Second.Size));
            var radii = scene.Placements.Select(p => p.Radius).Order().ToArray();
            Assert.Equal(radii, swapped.Placements.Select(p => p.Radius).Order().ToArray());
            for (var i = 0; i < swapped.Placements.Count; i++)
            {
                var (a, b) = (scene.Placements[i], swapped.Placements[i]);
                Assert.Equal((a.X, a.Y), (b.X, b.Y));
                Assert.InRange(b.X, b.Radius, 1f - b.Radius);
                Assert.InRange(b.Y, b.Radius, 1f - b.Radius);
                for (var j = i + 1; j < swapped.Placements.Count; j++)
                {
                    var c = swapped.Placements[j];
                    var min = b.Radius + c.Radius + 0.02f;
                    Assert.True((b.X - c.X) * (b.X - c.X) + (b.Y - c.Y) * (b.Y - c.Y) >= min * min, "the swapped objects overlap");
                }
            }

            // Positions are kept, so every stated relation reads the same from the swapped layout.
            foreach (var relation in swapped.Description.Relations)
            {
                Assert.Equal(relation.Relation, SceneLayout.Relate(swapped.Placements[relation.Subject], swapped.Placements[relation.Landmark]));
            }
        }

        Assert.True(swaps > 50, $"only {swaps} size swaps in 300 scenes");
    }

    [Fact]
    public void A_hard_negative_group_holds_different_admitted_scenes_binding_swaps_first_and_no_mirror()
    {
        var random = new WorldRandom(4);
        var (colorSwaps, sizeSwaps) = (0, 0);
        foreach (var scene in Scenes(200))
        {
            var group = SceneVariants.HardNegativeGroup(scene, 4, random);
            Assert.Equal(4, group.Count);
            Assert.Same(scene, group[0]);
            Assert.Equal(4, group.Select(s => s.Description.Key).Distinct().Count());
            var objects = scene.Description.Objects;
            foreach (var variant in group.Skip(1))
            {
                // Every variant changes what the objects are or which attribute goes with which; none is the same
                // objects in other places (a mirror or flip).
                Assert.NotEqual(objects, variant.Description.Objects);
                Assert.Equal(scene.Description.Relations, variant.Description.Relations);
            }

            // The binding swaps come first: a colour swap keeps every shape and size, a size swap every shape and colour.
            bool IsColorSwap(Scene v) => v.Description.Objects.Select(o => (o.Shape, o.Size)).SequenceEqual(objects.Select(o => (o.Shape, o.Size)));
            bool IsSizeSwap(Scene v) => v.Description.Objects.Select(o => (o.Shape, o.Color)).SequenceEqual(objects.Select(o => (o.Shape, o.Color)));
            var firstRedraw = group.Skip(1).TakeWhile(v => IsColorSwap(v) || IsSizeSwap(v)).Count() + 1;
            Assert.All(group.Skip(firstRedraw), v => Assert.False(IsSizeSwap(v), "a size swap after a redrawn variant"));
            colorSwaps += group.Skip(1).Count(IsColorSwap);
            sizeSwaps += group.Skip(1).Count(IsSizeSwap);
        }

        Assert.True(colorSwaps > 80, $"only {colorSwaps} colour swaps in 200 groups");
        Assert.True(sizeSwaps > 20, $"only {sizeSwaps} size swaps in 200 groups");

        // An admission rule that refuses every variant leaves the scene alone.
        Assert.Single(SceneVariants.HardNegativeGroup(Scenes(1).First(), 4, random, _ => false));
    }

    [Fact]
    public void The_web_hard_negative_groups_are_deterministic_captioned_and_never_a_validation_or_test_scene()
    {
        var options = ShapesWorldOptions.Quick();
        options.WebPairs = 4_000;
        var world = ShapesWorldDataset.Generate(options);
        var pairs = world.WebHardNegativeGroups(4);
        Assert.Equal(4, pairs.GroupSize);
        Assert.Equal(4 * (4_000 - pairs.LeftOut), pairs.Photos.Count);
        Assert.InRange(pairs.LeftOut, 0, 40);
        var others = world.Validation.Scenes.Concat(world.Test.Scenes).Select(d => d.Key).ToHashSet();
        for (var g = 0; g < pairs.Photos.Count / 4; g++)
        {
            var keys = new HashSet<string>();
            for (var v = 0; v < 4; v++)
            {
                var scene = CaptionParser.Parse(pairs.Captions[4 * g + v]).ToSceneDescription();
                Assert.NotNull(scene);
                Assert.DoesNotContain(scene.Key, others);
                Assert.True(keys.Add(scene.Key));
            }
        }

        var again = world.WebHardNegativeGroups(4);
        Assert.Equal(pairs.Captions, again.Captions);
        Assert.Equal(pairs.Photos[5].Pixels.ToArray(), again.Photos[5].Pixels.ToArray());
        var ungrouped = world.WebHardNegativeGroups(1);
        Assert.Equal(world.Web.Captions, ungrouped.Captions);
    }
}
