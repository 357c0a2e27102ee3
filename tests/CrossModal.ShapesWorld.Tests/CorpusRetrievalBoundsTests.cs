using System;
using System.Linq;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.Scoring;
using CrossModal.ShapesWorld.World;
using Xunit;

namespace CrossModal.ShapesWorld.Tests;

public class CorpusRetrievalBoundsTests
{
    // A small red circle to the left of a large blue square.
    private static readonly SceneDescription CircleLeftOfSquare = new(
        [new ObjectDescription(Shape.Circle, ShapeColor.Red, ShapeSize.Small), new ObjectDescription(Shape.Square, ShapeColor.Blue, ShapeSize.Large)],
        [new RelationDescription(0, SpatialRelation.LeftOf, 1)]);

    private static readonly string[] Corpus =
    [
        "a small blue circle to the left of a large red square",    // 0: the same words, colours bound the other way: F1 0
        "a small red circle to the left of a large green triangle", // 1: one object right: F1 1/3
        "a large yellow star",                                      // 2: nothing right
        "a small red circle to the right of a large blue square",   // 3: both objects right, the relation reversed: F1 2/3
        "a small red circle to the left of a large blue square",    // 4: the scene: F1 1
    ];

    [Theory]
    [InlineData(SceneFeatures.Attributes, 0.0)]                            // captions 0, 3 and 4 tie at cosine 1; the first wins
    [InlineData(SceneFeatures.AttributePairs, 2.0 / 3)]                    // caption 0 shares 2 of 6 pairs; 3 and 4 all six
    [InlineData(SceneFeatures.BoundObjects, 2.0 / 3)]                      // 3 and 4 tie: a bag of objects cannot see the relation
    [InlineData(SceneFeatures.BoundObjects | SceneFeatures.Relations, 1.0)]
    [InlineData(SceneFeatures.Attributes | SceneFeatures.BoundObjects | SceneFeatures.Relations, 1.0)]
    public void An_ideal_embedding_retrieves_what_its_features_can_tell_apart(SceneFeatures features, double expectedF1)
    {
        var report = CorpusRetrievalBounds.IdealEmbedding(Corpus, [CircleLeftOfSquare], features);
        Assert.Equal(expectedF1, report.MeanF1, 12);
    }

    [Fact]
    public void The_oracle_takes_the_best_caption_the_corpus_holds()
    {
        Assert.Equal(1.0, CorpusRetrievalBounds.Oracle(Corpus, [CircleLeftOfSquare]).MeanF1, 12);
        Assert.Equal(2.0 / 3, CorpusRetrievalBounds.Oracle(Corpus[..4], [CircleLeftOfSquare]).MeanF1, 12);
        Assert.Equal(1.0 / 3, CorpusRetrievalBounds.Oracle(Corpus[..3], [CircleLeftOfSquare]).MeanF1, 12);
    }

    [Fact]
    public void No_embedding_beats_the_oracle_and_a_full_one_finds_every_scene_the_corpus_holds()
    {
        var generator = new SceneGenerator();
        var random = new WorldRandom(5);
        var corpusScenes = Enumerable.Range(0, 400).Select(_ => generator.NextDescription(random)).ToArray();
        var corpus = corpusScenes.Select(s => CaptionGrammar.Sample(s, random)).ToArray();
        var queries = Enumerable.Range(0, 40).Select(_ => generator.NextDescription(random)).ToArray();
        var oracle = CorpusRetrievalBounds.Oracle(corpus, queries).MeanF1;
        foreach (var features in new[]
                 {
                     SceneFeatures.Attributes, SceneFeatures.AttributePairs, SceneFeatures.BoundObjects,
                     SceneFeatures.BoundObjects | SceneFeatures.Relations, SceneFeatures.Attributes | SceneFeatures.AttributePairs,
                 })
        {
            Assert.True(CorpusRetrievalBounds.IdealEmbedding(corpus, queries, features).MeanF1 <= oracle + 1e-12, features.ToString());
        }

        // Scenes the corpus describes are found exactly, in another wording.
        var held = corpusScenes.Take(30).ToArray();
        Assert.Equal(1.0, CorpusRetrievalBounds.IdealEmbedding(corpus, held, SceneFeatures.BoundObjects | SceneFeatures.Relations).MeanF1, 12);
        Assert.Equal(1.0, CorpusRetrievalBounds.Oracle(corpus, held).MeanF1, 12);
    }

    [Fact]
    public void Bad_arguments_name_the_parameter()
    {
        Assert.Equal("features", Assert.Throws<ArgumentException>(() => CorpusRetrievalBounds.IdealEmbedding(Corpus, [CircleLeftOfSquare], SceneFeatures.None)).ParamName);
        Assert.Equal("corpus", Assert.Throws<ArgumentException>(() => CorpusRetrievalBounds.Oracle([], [CircleLeftOfSquare])).ParamName);
        Assert.Equal("scenes", Assert.Throws<ArgumentException>(() => CorpusRetrievalBounds.IdealEmbedding(Corpus, [], SceneFeatures.BoundObjects)).ParamName);
    }
}
