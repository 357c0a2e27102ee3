using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.ShapesWorld.Rendering;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Scoring;

/// <summary>Test accuracy of one linear probe and its chance level (the test share of the most frequent training label).</summary>
/// <param name="Name">What is probed: <c>shape</c>, <c>colour</c>, <c>size</c>, <c>relation axis</c>, <c>relation</c>.</param>
/// <param name="Accuracy">Test accuracy.</param>
/// <param name="Chance">Accuracy of always answering the most frequent training label.</param>
/// <param name="Train">Training examples.</param>
/// <param name="Test">Test examples.</param>
public sealed record ProbeResult(string Name, double Accuracy, double Chance, int Train, int Test);

/// <summary>
/// Linear probes of a CLIP's image embeddings (Alain and Bengio, 2016, "Understanding intermediate layers using linear
/// classifier probes"): freshly rendered photos with known contents are embedded, a softmax regression is fitted on
/// 75 % of them and scored on the rest. What a linear read-out cannot find in the embedding, no captioner fed that
/// embedding can state reliably; the probes therefore say, cheaply and per attribute, what the image tower sees.
/// Attributes come from single-object photos; relations from two-object photos: <c>relation axis</c> (side by side or
/// one above the other) and <c>relation</c> (where the object of the earlier colour, in <see cref="ShapeColor"/>'s
/// order, is relative to the other; only photos of two different colours, so the subject is identifiable).
/// </summary>
public static class ClipProbe
{
    /// <summary>Renders the probe photos, embeds them with <paramref name="encoder"/> and fits every probe.</summary>
    /// <param name="encoder">The CLIP's image side.</param>
    /// <param name="imageSize">Side of the photos (the world's image size).</param>
    /// <param name="photos">Photos per kind (single-object and two-object); 1,204 by default, 900 train / 304 test.</param>
    /// <param name="seed">Seed of the scenes and renders (use one the world's splits do not use).</param>
    /// <param name="kinds">The world's shapes and colours, the labels the probes read (default <see cref="ObjectKinds.Default"/>).</param>
    /// <returns>One result per probe, in the order shape, colour, size, relation axis, relation.</returns>
    public static IReadOnlyList<ProbeResult> Run(IImageEncoder encoder, int imageSize, int photos = 1204, ulong seed = 0x9E0BE, ObjectKinds? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        kinds ??= ObjectKinds.Default;
        ArgumentOutOfRangeException.ThrowIfLessThan(photos, 8);
        var renderer = new ShapesRenderer(imageSize);
        var singles = new List<(ImageData Image, ObjectDescription Object)>(photos);
        var pairs = new List<(ImageData Image, SpatialRelation Relation, bool Ordered)>(photos);
        var random = new WorldRandom(seed);
        while (singles.Count < photos)
        {
            var o = new ObjectDescription(random.Pick(kinds.Shapes), random.Pick(kinds.Colors), random.Pick(WorldVocabulary.Sizes));
            if (SceneLayout.TryPlace(new SceneDescription([o], []), random, 1f, out var scene))
            {
                singles.Add((renderer.Render(scene!, RenderStyle.Photo, random.NextUInt64()), o));
            }
        }

        while (pairs.Count < photos)
        {
            var a = new ObjectDescription(random.Pick(kinds.Shapes), random.Pick(kinds.Colors), random.Pick(WorldVocabulary.Sizes));
            var b = new ObjectDescription(random.Pick(kinds.Shapes), random.Pick(kinds.Colors), random.Pick(WorldVocabulary.Sizes));
            var relation = random.Pick(WorldVocabulary.Relations);
            if (a == b || !SceneLayout.TryPlace(new SceneDescription([a, b], [new RelationDescription(0, relation, 1)]), random, 1f, out var scene))
            {
                continue;
            }

            // Put the object of the earlier colour first; its relation to the other is then readable from the photo.
            var ordered = a.Color != b.Color;
            if (ordered && b.Color < a.Color)
            {
                relation = WorldVocabulary.Converse(relation);
            }

            pairs.Add((renderer.Render(scene!, RenderStyle.Photo, random.NextUInt64()), relation, ordered));
        }

        var single = encoder.EncodeImages(singles.Select(s => s.Image).ToArray());
        var pair = encoder.EncodeImages(pairs.Select(p => p.Image).ToArray());
        var orderedRows = Enumerable.Range(0, pairs.Count).Where(i => pairs[i].Ordered).ToArray();
        var orderedEmbeddings = new EmbeddingMatrix(orderedRows.Length, pair.Dimension);
        for (var i = 0; i < orderedRows.Length; i++)
        {
            pair.Row(orderedRows[i]).CopyTo(orderedEmbeddings.Row(i));
        }

        return
        [
            Fit("shape", single, singles.Select(s => (int)s.Object.Shape).ToArray()),
            Fit("colour", single, singles.Select(s => (int)s.Object.Color).ToArray()),
            Fit("size", single, singles.Select(s => (int)s.Object.Size).ToArray()),
            Fit("relation axis", pair, pairs.Select(p => p.Relation is SpatialRelation.LeftOf or SpatialRelation.RightOf ? 0 : 1).ToArray()),
            Fit("relation", orderedEmbeddings, orderedRows.Select(i => (int)pairs[i].Relation).ToArray()),
        ];
    }

    /// <summary>
    /// The retrieval ceiling: each photo is captioned with the corpus caption nearest to it in the CLIP space (largest
    /// cosine), and those captions are scored against the photos' scenes. It bounds what a captioner that can only
    /// repeat corpus captions could reach from this CLIP.
    /// </summary>
    /// <param name="images">(N, D) L2-normalised photo embeddings.</param>
    /// <param name="corpusTexts">(M, D) L2-normalised caption embeddings.</param>
    /// <param name="corpus">The M captions.</param>
    /// <param name="scenes">The N photos' scenes.</param>
    /// <returns>The scene accuracy of the retrieved captions.</returns>
    public static SceneAccuracyReport RetrievalCeiling(EmbeddingMatrix images, EmbeddingMatrix corpusTexts, IReadOnlyList<string> corpus, IReadOnlyList<SceneDescription> scenes)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(corpusTexts);
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(scenes);
        if (corpus.Count != corpusTexts.Rows || scenes.Count != images.Rows || images.Dimension != corpusTexts.Dimension)
        {
            throw new ArgumentException($"Expected {corpusTexts.Rows} captions and {images.Rows} scenes of dimension {images.Dimension}.", nameof(corpus));
        }

        var captions = new string[images.Rows];
        for (var i = 0; i < images.Rows; i++)
        {
            var image = images.Row(i);
            var best = 0;
            var bestScore = float.NegativeInfinity;
            for (var j = 0; j < corpusTexts.Rows; j++)
            {
                var score = System.Numerics.Tensors.TensorPrimitives.Dot<float>(image, corpusTexts.Row(j));
                if (score > bestScore)
                {
                    (best, bestScore) = (j, score);
                }
            }

            captions[i] = corpus[best];
        }

        return SceneAccuracy.Evaluate(captions, scenes);
    }

    /// <summary>
    /// Fits a multinomial logistic regression (softmax over W·x + b, L2 penalty 1e-4, full-batch gradient descent with
    /// Nesterov momentum, 400 steps) on the first 75 % of the rows after standardising every feature on them, and
    /// returns its accuracy on the remaining rows.
    /// </summary>
    /// <param name="name">The probe's name.</param>
    /// <param name="embeddings">(N, D) features.</param>
    /// <param name="labels">(N) classes from 0.</param>
    /// <returns>The probe's test accuracy and chance level.</returns>
    public static ProbeResult Fit(string name, EmbeddingMatrix embeddings, IReadOnlyList<int> labels)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Count != embeddings.Rows || labels.Count < 4)
        {
            throw new ArgumentException($"Expected one label per row (at least 4) but got {labels.Count} labels for {embeddings.Rows} rows.", nameof(labels));
        }

        int n = embeddings.Rows, d = embeddings.Dimension, classes = labels.Max() + 1, train = n * 3 / 4;
        var mean = new double[d];
        var std = new double[d];
        for (var i = 0; i < train; i++)
        {
            var row = embeddings.Row(i);
            for (var j = 0; j < d; j++)
            {
                mean[j] += row[j] / train;
            }
        }

        for (var i = 0; i < train; i++)
        {
            var row = embeddings.Row(i);
            for (var j = 0; j < d; j++)
            {
                std[j] += (row[j] - mean[j]) * (row[j] - mean[j]) / train;
            }
        }

        var x = new double[n, d + 1];
        for (var i = 0; i < n; i++)
        {
            var row = embeddings.Row(i);
            for (var j = 0; j < d; j++)
            {
                x[i, j] = (row[j] - mean[j]) / Math.Sqrt(std[j] + 1e-12);
            }

            x[i, d] = 1;
        }

        var w = new double[classes, d + 1];
        var velocity = new double[classes, d + 1];
        var gradient = new double[classes, d + 1];
        var p = new double[classes];
        const double rate = 0.5, momentum = 0.9, penalty = 1e-4;
        for (var step = 0; step < 400; step++)
        {
            Array.Clear(gradient);
            for (var i = 0; i < train; i++)
            {
                Softmax(x, i, w, velocity, momentum, p);
                p[labels[i]] -= 1;
                for (var c = 0; c < classes; c++)
                {
                    for (var j = 0; j <= d; j++)
                    {
                        gradient[c, j] += p[c] * x[i, j] / train;
                    }
                }
            }

            for (var c = 0; c < classes; c++)
            {
                for (var j = 0; j <= d; j++)
                {
                    var g = gradient[c, j] + penalty * (w[c, j] + momentum * velocity[c, j]);
                    velocity[c, j] = momentum * velocity[c, j] - rate * g;
                    w[c, j] += velocity[c, j];
                }
            }
        }

        var counts = new int[classes];
        for (var i = 0; i < train; i++)
        {
            counts[labels[i]]++;
        }

        var majority = Array.IndexOf(counts, counts.Max());
        int correct = 0, chance = 0;
        for (var i = train; i < n; i++)
        {
            Softmax(x, i, w, null, 0, p);
            var predicted = Array.IndexOf(p, p.Max());
            correct += predicted == labels[i] ? 1 : 0;
            chance += labels[i] == majority ? 1 : 0;
        }

        var test = n - train;
        return new ProbeResult(name, (double)correct / test, (double)chance / test, train, test);
    }

    /// <summary>Class probabilities of row <paramref name="i"/> at the look-ahead point w + μ·v (Nesterov).</summary>
    private static void Softmax(double[,] x, int i, double[,] w, double[,]? velocity, double momentum, double[] p)
    {
        int classes = p.Length, d = x.GetLength(1);
        var max = double.NegativeInfinity;
        for (var c = 0; c < classes; c++)
        {
            double z = 0;
            for (var j = 0; j < d; j++)
            {
                z += (w[c, j] + (velocity is null ? 0 : momentum * velocity[c, j])) * x[i, j];
            }

            p[c] = z;
            max = Math.Max(max, z);
        }

        double sum = 0;
        for (var c = 0; c < classes; c++)
        {
            p[c] = Math.Exp(p[c] - max);
            sum += p[c];
        }

        for (var c = 0; c < classes; c++)
        {
            p[c] /= sum;
        }
    }
}
