using System;
using System.Linq;
using CrossModal.ShapesWorld.Data;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.World;
using Xunit;

namespace CrossModal.ShapesWorld.Tests;

public class ObjectKindsTests
{
    [Fact]
    public void Default_is_five_shapes_by_five_colours_and_all_is_every_value()
    {
        Assert.Equal([Shape.Circle, Shape.Square, Shape.Triangle, Shape.Star, Shape.Cross], ObjectKinds.Default.Shapes);
        Assert.Equal([ShapeColor.Red, ShapeColor.Yellow, ShapeColor.Green, ShapeColor.Blue, ShapeColor.Purple], ObjectKinds.Default.Colors);
        Assert.Equal(Enum.GetValues<Shape>(), ObjectKinds.All.Shapes);
        Assert.Equal(Enum.GetValues<ShapeColor>(), ObjectKinds.All.Colors);
        Assert.Equal("circle, square, triangle, star, cross × red, yellow, green, blue, purple", ObjectKinds.Default.ToString());
    }

    [Fact]
    public void Generator_draws_only_its_kinds_and_every_one_of_them()
    {
        foreach (var kinds in new[] { ObjectKinds.Default, ObjectKinds.All, ObjectKinds.Parse("star,heart", "pink,blue") })
        {
            var g = new SceneGenerator(kinds: kinds);
            var random = new WorldRandom(4);
            var objects = Enumerable.Range(0, 2000).SelectMany(_ => g.NextDescription(random).Objects).ToArray();
            Assert.Equal(kinds.Shapes.Order(), objects.Select(o => o.Shape).Distinct().Order());
            Assert.Equal(kinds.Colors.Order(), objects.Select(o => o.Color).Distinct().Order());
        }
    }

    [Fact]
    public void Hard_negatives_redraw_within_the_kinds()
    {
        var kinds = ObjectKinds.Parse("circle,square,star", "red,green");
        var g = new SceneGenerator(kinds: kinds);
        var random = new WorldRandom(8);
        for (var n = 0; n < 300; n++)
        {
            var scene = g.Next(random);
            foreach (var variant in SceneVariants.HardNegativeGroup(scene, 4, random, kinds: kinds))
            {
                Assert.All(variant.Description.Objects, o => Assert.True(kinds.Contains(o.Shape) && kinds.Contains(o.Color), o.ToString()));
            }
        }
    }

    [Fact]
    public void A_world_of_the_default_kinds_never_shows_the_others()
    {
        var world = ShapesWorldDataset.Generate(new ShapesWorldOptions
        {
            WebPairs = 300, CorpusCaptions = 300, AuxiliaryPairs = 0, UnpairedPhotos = 0, ValidationScenes = 20, TestScenes = 20,
        });
        var words = string.Join(' ', world.Web.Captions.Concat(world.Corpus.Captions).Concat(world.WebHardNegativeGroups(4).Captions));
        foreach (var word in new[] { "diamond", "heart", "orange", "pink" })
        {
            Assert.DoesNotContain(word, words, StringComparison.Ordinal);
        }

        Assert.Contains("star", words, StringComparison.Ordinal);
        Assert.Contains("purple", words, StringComparison.Ordinal);
        // An unstated colour is filled in from the world's colours too.
        var filled = CaptionParser.Parse("a small star").ToSceneDescription(new WorldRandom(1), ObjectKinds.Parse("star,cross", "pink,blue"));
        Assert.Contains(filled!.Objects[0].Color, new[] { ShapeColor.Pink, ShapeColor.Blue });
    }

    [Fact]
    public void Bad_kinds_are_rejected_with_the_argument_named()
    {
        var e = Assert.Throws<ArgumentException>(() => ObjectKinds.Parse("circle,rhombus", "red,blue"));
        Assert.Equal("shapes", e.ParamName);
        Assert.Contains("rhombus", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => ObjectKinds.Parse("circle,square", "red"));
        Assert.Equal("colors", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new ObjectKinds([Shape.Star, Shape.Star], [ShapeColor.Red, ShapeColor.Blue]));
        Assert.Equal("shapes", e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new ObjectKinds([Shape.Star, (Shape)42], [ShapeColor.Red, ShapeColor.Blue]));
        Assert.Equal("shapes", e.ParamName);
        Assert.Equal(ObjectKinds.All.Shapes, ObjectKinds.Parse("all", "default").Shapes);
        Assert.Equal(ObjectKinds.Default.Colors, ObjectKinds.Parse("all", "default").Colors);
        Assert.Throws<ArgumentException>(() => ShapesWorldDataset.Generate(new ShapesWorldOptions { Kinds = null! }));
    }
}
