using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.Scoring;
using CrossModal.ShapesWorld.World;
using Xunit;

namespace CrossModal.ShapesWorld.Tests;

public class LanguageTests
{
    private static readonly ObjectDescription SmallRedCircle = new(Shape.Circle, ShapeColor.Red, ShapeSize.Small);
    private static readonly ObjectDescription LargeBlueSquare = new(Shape.Square, ShapeColor.Blue, ShapeSize.Large);
    private static readonly ObjectDescription SmallGreenStar = new(Shape.Star, ShapeColor.Green, ShapeSize.Small);

    // A small red circle to the left of a large blue square.
    private static readonly SceneDescription CircleLeftOfSquare =
        new([SmallRedCircle, LargeBlueSquare], [new RelationDescription(0, SpatialRelation.LeftOf, 1)]);

    [Fact]
    public void Every_grammar_caption_parses_back_to_its_scene_exactly()
    {
        // Every shape and colour word the language has, not only the default world's.
        var g = new SceneGenerator(kinds: ObjectKinds.All);
        var random = new WorldRandom(11);
        int captions = 0;
        for (int n = 0; n < 4000; n++)
        {
            SceneDescription scene = g.NextDescription(random);
            for (int k = 0; k < 3; k++)
            {
                string caption = CaptionGrammar.Sample(scene, random);
                SceneScore score = SceneAccuracy.Score(caption, scene);
                Assert.True(score.IsExact, $"'{caption}' of '{scene}' parsed as {score}");
                Assert.Equal(1.0, score.F1);
                SceneDescription? back = CaptionParser.Parse(caption).ToSceneDescription();
                Assert.Equal(scene, back);
                captions++;
            }
        }

        Assert.Equal(12_000, captions);
    }

    [Fact]
    public void Five_references_are_different_captions_of_the_same_scene()
    {
        var g = new SceneGenerator(kinds: ObjectKinds.All);
        var random = new WorldRandom(5);
        for (int n = 0; n < 500; n++)
        {
            SceneDescription scene = g.NextDescription(random);
            IReadOnlyList<string> refs = CaptionGrammar.SampleDistinct(scene, 5, random);
            Assert.Equal(5, refs.Distinct(StringComparer.Ordinal).Count());
            Assert.All(refs, r => Assert.True(SceneAccuracy.Score(r, scene).IsExact, r));
        }
    }

    [Fact]
    public void Grammar_uses_many_constructions()
    {
        var g = new SceneGenerator([0, 1, 0]);
        var random = new WorldRandom(9);
        var all = Enumerable.Range(0, 2000).Select(_ => CaptionGrammar.Sample(g.NextDescription(random), random)).ToArray();
        Assert.Contains(all, c => c.StartsWith("there is ", StringComparison.Ordinal) && c.Contains(" it, ", StringComparison.Ordinal));
        Assert.Contains(all, c => c.Contains(" with ", StringComparison.Ordinal) && c.Contains(" to its ", StringComparison.Ordinal));
        Assert.Contains(all, c => c.StartsWith("to the ", StringComparison.Ordinal));
        Assert.Contains(all, c => c.Contains(" little ", StringComparison.Ordinal));
        Assert.Contains(all, c => c.Contains(" big ", StringComparison.Ordinal));
        Assert.Contains(all, c => c.Contains(" beneath ", StringComparison.Ordinal));
        // Article agreement: "a" before consonants, "an" before vowels.
        Assert.All(all, c => Assert.DoesNotMatch(@"\ban [b-df-hj-np-tv-z]", c));
        Assert.All(all, c => Assert.DoesNotMatch(@"\ba [aeiou]", c));
        Assert.True(all.Distinct().Count() > 1900);
    }

    [Theory]
    [InlineData("a small red circle to the left of a large blue square")]
    [InlineData("a large blue square to the right of a small red circle")]
    [InlineData("there is a big blue square and, left of it, a little red circle")]
    [InlineData("A big blue square with a tiny red circle to its left.")]
    [InlineData("to the left of a large blue square is a small red circle")]
    [InlineData("a small red disc is on the left of a huge blue square")]
    [InlineData("a large blue square. a small red circle is to the left of it")]
    [InlineData("a large blue square and a small red circle, the circle is left of the square")]
    public void Hand_written_paraphrases_parse_to_the_scene(string caption)
    {
        Assert.True(SceneAccuracy.Score(caption, CircleLeftOfSquare).IsExact, SceneAccuracy.Score(caption, CircleLeftOfSquare).ToString());
        ParsedCaption parsed = CaptionParser.Parse(caption);
        Assert.Equal(2, parsed.Objects.Count);
        RelationDescription r = Assert.Single(parsed.Relations);
        var canonical = SceneDescription.Canonical(parsed.Objects[r.Subject].Shape, r.Relation, parsed.Objects[r.Landmark].Shape);
        Assert.Equal((Shape.Circle, SpatialRelation.LeftOf, Shape.Square), canonical);
    }

    [Fact]
    public void Missing_size_leaves_an_incomplete_object_that_matches_nothing()
    {
        // "there is a blue square and …": the square's size is not said, so it and the relation through it miss.
        SceneScore s = SceneAccuracy.Score("there is a blue square and, left of it, a little red circle", CircleLeftOfSquare);
        Assert.Equal(new TupleCounts(1, 2, 2), s.Objects);
        Assert.Equal(new TupleCounts(0, 1, 1), s.Relations);
        Assert.Equal(2 * 1.0 / 3 * (1.0 / 3) / (2.0 / 3), s.F1, 12);
        ParsedCaption p = CaptionParser.Parse("there is a blue square");
        Assert.Null(p.ToSceneDescription());
        Assert.Null(Assert.Single(p.Objects).Size);
    }

    [Fact]
    public void Partial_captions_get_partial_credit()
    {
        var three = new SceneDescription(
            [SmallRedCircle, LargeBlueSquare, SmallGreenStar],
            [new RelationDescription(0, SpatialRelation.LeftOf, 1), new RelationDescription(1, SpatialRelation.Above, 2)]);

        // One object of three, no relation: P = 1, R = 1/5 over the 5 tuples.
        SceneScore one = SceneAccuracy.Score("a small red circle", three);
        Assert.Equal(new TupleCounts(1, 1, 3), one.Objects);
        Assert.Equal(new TupleCounts(0, 0, 2), one.Relations);
        Assert.Equal(2 * 1.0 * 0.2 / 1.2, one.F1, 12);

        // Cut short in the middle of the second clause: the dangling relation is dropped.
        SceneScore cut = SceneAccuracy.Score("a small red circle to the left of a large blue square, which is above a", three);
        Assert.Equal(new TupleCounts(2, 2, 3), cut.Objects);
        Assert.Equal(new TupleCounts(1, 1, 2), cut.Relations);
        Assert.Equal(2 * 1.0 * 0.6 / 1.6, cut.F1, 12);

        // A wrong colour costs that object and the relation through it; the wrong relation costs the relation.
        SceneScore wrong = SceneAccuracy.Score("a small red circle to the left of a large blue square, which is below a small yellow star", three);
        Assert.Equal(new TupleCounts(2, 3, 3), wrong.Objects);
        Assert.Equal(new TupleCounts(1, 2, 2), wrong.Relations);
        Assert.Equal(0.6, wrong.F1, 12);

        // Converse statement of the same fact is the same tuple.
        Assert.True(SceneAccuracy.Score("a large blue square to the right of a small red circle", CircleLeftOfSquare).IsExact);
        // The opposite relation is not.
        Assert.Equal(new TupleCounts(0, 1, 1), SceneAccuracy.Score("a large blue square to the left of a small red circle", CircleLeftOfSquare).Relations);
    }

    [Fact]
    public void Repetition_is_penalised_as_a_multiset()
    {
        var one = new SceneDescription([SmallRedCircle], []);
        SceneScore s = SceneAccuracy.Score("a small red circle and a small red circle and a small red circle", one);
        Assert.Equal(new TupleCounts(1, 3, 1), s.Objects);
        Assert.Equal(0.5, s.F1, 12);
        Assert.True(SceneAccuracy.Score("a small red circle", one).IsExact);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("the of of to left a a a")]
    [InlineData("red small blue large left above")]
    [InlineData("lorem ipsum dolor sit amet")]
    [InlineData("a dog runs on the beach")]
    public void Garbage_scores_zero(string caption)
    {
        SceneScore s = SceneAccuracy.Score(caption, CircleLeftOfSquare);
        Assert.Equal(0.0, s.F1);
        Assert.Equal(0, s.All.Matched);
        Assert.Empty(CaptionParser.Parse(caption).Relations);
    }

    [Fact]
    public void Definite_references_and_pronouns_resolve_to_the_right_object()
    {
        var three = new SceneDescription(
            [SmallRedCircle, LargeBlueSquare, SmallGreenStar],
            [new RelationDescription(0, SpatialRelation.LeftOf, 1), new RelationDescription(2, SpatialRelation.Below, 1)]);
        Assert.True(SceneAccuracy.Score("a small red circle left of a large blue square, and a small green star is under the square", three).IsExact);
        Assert.True(SceneAccuracy.Score("a small red circle left of a large blue square; below the blue square is a small green star", three).IsExact);
        Assert.True(SceneAccuracy.Score("a large blue square with a small red circle to its left, and the square has a little green star beneath it", three).IsExact);
        Assert.True(SceneAccuracy.Score("there is a large blue square and, left of it, a small red circle, and the square is above a tiny green star", three).IsExact);
    }

    [Fact]
    public void Evaluate_averages_per_caption_and_sums_counts()
    {
        var one = new SceneDescription([SmallRedCircle], []);
        SceneAccuracyReport r = SceneAccuracy.Evaluate(
            ["a small red circle", "a large red circle", "a small red circle to the left of a large blue square"],
            [one, one, CircleLeftOfSquare]);
        Assert.Equal(3, r.Count);
        Assert.Equal((1.0 + 0.0 + 1.0) / 3, r.MeanF1, 12);
        Assert.Equal(2.0 / 3, r.ExactFraction, 12);
        Assert.Equal(new TupleCounts(3, 4, 4), r.Objects);
        Assert.Equal(new TupleCounts(1, 1, 1), r.Relations);
        var ex = Assert.Throws<ArgumentException>(() => SceneAccuracy.Evaluate(["a"], []));
        Assert.Equal("references", ex.ParamName);
    }
}
