using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Scoring;

/// <summary>The features of a scene that <see cref="CorpusRetrievalBounds.IdealEmbedding"/> puts in its hand-made
/// embedding: a count per feature, compared by cosine.</summary>
[Flags]
public enum SceneFeatures
{
    /// <summary>No feature (not a valid embedding).</summary>
    None = 0,

    /// <summary>One feature per object: its (shape, colour, size) bound together. Two captions share it only when they
    /// name the same object.</summary>
    BoundObjects = 1,

    /// <summary>Three features per object: its shape, its colour and its size, each alone — a bag of words that does not
    /// know which colour goes with which shape.</summary>
    Attributes = 2,

    /// <summary>Three features per object: (shape, colour), (colour, size) and (shape, size) — binding by pairs.</summary>
    AttributePairs = 4,

    /// <summary>One feature per relation: (object, relation, object) with the objects bound, in the canonical direction
    /// <see cref="SceneAccuracy"/> scores.</summary>
    Relations = 8,
}

/// <summary>
/// What captioning a photo with a caption retrieved from a text corpus can reach at best, measured without any model.
/// <see cref="Oracle"/> picks, for every scene, the corpus caption with the highest scene F1; <see cref="IdealEmbedding"/>
/// picks the corpus caption nearest by cosine under a hand-made embedding of the true scene (a count per
/// <see cref="SceneFeatures"/> feature). A CLIP's retrieval ceiling (<see cref="ClipProbe.RetrievalCeiling"/>) is read
/// against them: the oracle bounds every embedding, and the ideal embeddings show how much of that bound a cosine over
/// features can keep when it binds attributes to objects, binds them only in pairs, or does not bind them at all.
/// </summary>
public static class CorpusRetrievalBounds
{
    private const int BoundTag = 1;
    private const int ShapeTag = 2;
    private const int ColorTag = 3;
    private const int SizeTag = 4;
    private const int ShapeColorTag = 5;
    private const int ColorSizeTag = 6;
    private const int ShapeSizeTag = 7;
    private const int RelationTag = 8;

    /// <summary>The best the corpus holds: each scene is captioned with the corpus caption of highest scene F1 (the
    /// first such caption on ties).</summary>
    /// <param name="corpus">The caption corpus.</param>
    /// <param name="scenes">The scenes to caption.</param>
    /// <returns>The scene accuracy of those captions.</returns>
    /// <exception cref="ArgumentException"><paramref name="corpus"/> or <paramref name="scenes"/> is empty.</exception>
    public static SceneAccuracyReport Oracle(IReadOnlyList<string> corpus, IReadOnlyList<SceneDescription> scenes)
    {
        Validate(corpus, scenes);
        var parsed = new ParsedCaption[corpus.Count];
        Parallel.For(0, corpus.Count, j => parsed[j] = CaptionParser.Parse(corpus[j]));
        var captions = new string[scenes.Count];
        Parallel.For(0, scenes.Count, i =>
        {
            var scene = scenes[i] ?? throw new ArgumentException($"Scene {i} is null.", nameof(scenes));
            var best = 0;
            var bestF1 = double.NegativeInfinity;
            for (var j = 0; j < parsed.Length; j++)
            {
                var f1 = SceneAccuracy.Score(parsed[j], scene).F1;
                if (f1 > bestF1)
                {
                    (best, bestF1) = (j, f1);
                }
            }

            captions[i] = corpus[best];
        });
        return SceneAccuracy.Evaluate(captions, scenes);
    }

    /// <summary>Retrieval with a hand-made embedding: each scene is captioned with the corpus caption whose feature
    /// counts have the highest cosine with the scene's (the first such caption on ties). Captions are read with
    /// <see cref="CaptionParser"/>; an attribute a caption does not state matches nothing.</summary>
    /// <param name="corpus">The caption corpus.</param>
    /// <param name="scenes">The scenes to caption.</param>
    /// <param name="features">The features the embedding counts.</param>
    /// <returns>The scene accuracy of the retrieved captions.</returns>
    /// <exception cref="ArgumentException"><paramref name="corpus"/> or <paramref name="scenes"/> is empty, or
    /// <paramref name="features"/> is <see cref="SceneFeatures.None"/>.</exception>
    public static SceneAccuracyReport IdealEmbedding(IReadOnlyList<string> corpus, IReadOnlyList<SceneDescription> scenes, SceneFeatures features)
    {
        Validate(corpus, scenes);
        if ((features & (SceneFeatures.BoundObjects | SceneFeatures.Attributes | SceneFeatures.AttributePairs | SceneFeatures.Relations)) == 0)
        {
            throw new ArgumentException($"features is {features}; expected at least one of BoundObjects, Attributes, AttributePairs, Relations.", nameof(features));
        }

        // An inverted index from feature to (caption, count): a query only visits the captions it shares a feature with.
        var index = new Dictionary<(int Tag, long Payload), List<(int Caption, int Count)>>();
        var norms = new double[corpus.Count];
        for (var j = 0; j < corpus.Count; j++)
        {
            var parsed = CaptionParser.Parse(corpus[j]);
            var counts = Count(parsed.Objects, parsed.Relations, features);
            double squares = 0;
            foreach (var (feature, count) in counts)
            {
                squares += (double)count * count;
                if (!index.TryGetValue(feature, out var postings))
                {
                    postings = [];
                    index.Add(feature, postings);
                }

                postings.Add((j, count));
            }

            norms[j] = Math.Sqrt(squares);
        }

        var captions = new string[scenes.Count];
        Parallel.For(0, scenes.Count, () => new double[corpus.Count], (i, _, dots) =>
        {
            var scene = scenes[i] ?? throw new ArgumentException($"Scene {i} is null.", nameof(scenes));
            var objects = new ParsedObject[scene.Objects.Count];
            for (var k = 0; k < objects.Length; k++)
            {
                var o = scene.Objects[k];
                objects[k] = new ParsedObject(o.Shape, o.Color, o.Size);
            }

            Array.Clear(dots);
            foreach (var (feature, count) in Count(objects, scene.Relations, features))
            {
                if (index.TryGetValue(feature, out var postings))
                {
                    foreach (var (caption, c) in postings)
                    {
                        dots[caption] += (double)count * c;
                    }
                }
            }

            // The query's own norm scales every cosine alike, so it does not change the argmax.
            var best = 0;
            var bestScore = double.NegativeInfinity;
            for (var j = 0; j < dots.Length; j++)
            {
                var score = norms[j] > 0 ? dots[j] / norms[j] : 0;
                if (score > bestScore)
                {
                    (best, bestScore) = (j, score);
                }
            }

            captions[i] = corpus[best];
            return dots;
        }, _ => { });
        return SceneAccuracy.Evaluate(captions, scenes);
    }

    private static void Validate(IReadOnlyList<string> corpus, IReadOnlyList<SceneDescription> scenes)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(scenes);
        if (corpus.Count == 0)
        {
            throw new ArgumentException("The corpus is empty; expected at least one caption.", nameof(corpus));
        }

        if (scenes.Count == 0)
        {
            throw new ArgumentException("No scenes; expected at least one.", nameof(scenes));
        }
    }

    // A feature is (tag, payload): the payloads are SceneAccuracy's object and relation keys, or parts of an object key.
    private static Dictionary<(int Tag, long Payload), int> Count(IReadOnlyList<ParsedObject> objects, IReadOnlyList<RelationDescription> relations, SceneFeatures features)
    {
        var counts = new Dictionary<(int, long), int>();
        void Add(int tag, long payload) => counts[(tag, payload)] = counts.GetValueOrDefault((tag, payload)) + 1;

        var keys = new long[objects.Count];
        for (var k = 0; k < objects.Count; k++)
        {
            var key = keys[k] = SceneAccuracy.ObjectKey(objects[k]);
            long shape = key & 0xFF, color = (key >> 8) & 0xFF, size = (key >> 16) & 0xFF;
            if ((features & SceneFeatures.BoundObjects) != 0)
            {
                Add(BoundTag, key);
            }

            if ((features & SceneFeatures.Attributes) != 0)
            {
                Add(ShapeTag, shape);
                Add(ColorTag, color);
                Add(SizeTag, size);
            }

            if ((features & SceneFeatures.AttributePairs) != 0)
            {
                Add(ShapeColorTag, shape | (color << 8));
                Add(ColorSizeTag, color | (size << 8));
                Add(ShapeSizeTag, shape | (size << 8));
            }
        }

        if ((features & SceneFeatures.Relations) != 0)
        {
            foreach (var r in relations)
            {
                Add(RelationTag, SceneAccuracy.RelationKey(keys[r.Subject], r.Relation, keys[r.Landmark]));
            }
        }

        return counts;
    }
}
