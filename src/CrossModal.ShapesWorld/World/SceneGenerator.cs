using System;
using System.Collections.Generic;

namespace CrossModal.ShapesWorld.World;

/// <summary>
/// Samples scenes: an object count from <see cref="ObjectCountWeights"/>, that many distinct (shape, colour, size)
/// objects of <see cref="Kinds"/>, a chain of uniformly drawn relations (object 0–1, 1–2), and a layout where they hold. A description
/// with no layout (three large objects in a row) is redrawn, so such scenes never occur.
/// </summary>
public sealed class SceneGenerator
{
    private readonly double[] _cumulative;

    /// <summary>Creates a generator.</summary>
    /// <param name="objectCountWeights">Relative frequency of scenes with 1, 2 and 3 objects (default 0.2, 0.4, 0.4).</param>
    /// <param name="kinds">The shapes and colours objects are drawn from (default <see cref="ObjectKinds.Default"/>).</param>
    /// <exception cref="ArgumentException">Not 1–3 weights, a negative weight, or all zero.</exception>
    public SceneGenerator(IReadOnlyList<double>? objectCountWeights = null, ObjectKinds? kinds = null)
    {
        IReadOnlyList<double> w = objectCountWeights ?? DefaultObjectCountWeights;
        if (w.Count is < 1 or > 3)
        {
            throw new ArgumentException($"Expected 1 to 3 object-count weights (for 1, 2, 3 objects) but got {w.Count}.", nameof(objectCountWeights));
        }

        _cumulative = new double[w.Count];
        double total = 0;
        for (int i = 0; i < w.Count; i++)
        {
            if (!(w[i] >= 0) || double.IsInfinity(w[i]))
            {
                throw new ArgumentException($"Object-count weight {i} must be finite and ≥ 0 but is {w[i]}.", nameof(objectCountWeights));
            }

            total += w[i];
            _cumulative[i] = total;
        }

        if (total <= 0)
        {
            throw new ArgumentException("At least one object-count weight must be positive.", nameof(objectCountWeights));
        }

        for (int i = 0; i < _cumulative.Length; i++)
        {
            _cumulative[i] /= total;
        }

        ObjectCountWeights = [.. w];
        Kinds = kinds ?? ObjectKinds.Default;
    }

    /// <summary>The default object-count weights: 20 % one object, 40 % two, 40 % three.</summary>
    public static IReadOnlyList<double> DefaultObjectCountWeights { get; } = [0.2, 0.4, 0.4];

    /// <summary>Relative frequency of scenes with 1, 2 and 3 objects.</summary>
    public IReadOnlyList<double> ObjectCountWeights { get; }

    /// <summary>The shapes and colours objects are drawn from.</summary>
    public ObjectKinds Kinds { get; }

    /// <summary>Samples one placed scene.</summary>
    /// <param name="random">The generator; the scene is a pure function of its state.</param>
    /// <returns>A scene.</returns>
    public Scene Next(WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        // The object count is kept while descriptions without a layout are redrawn, so the count weights hold exactly.
        int count = NextCount(random);
        while (true)
        {
            SceneDescription description = NextDescription(random, count);
            if (SceneLayout.TryPlace(description, random, 1f, out Scene? scene))
            {
                return scene!;
            }
        }
    }

    /// <summary>Samples a scene description (no layout).</summary>
    /// <param name="random">The generator.</param>
    /// <returns>A description with distinct objects and a chain of relations.</returns>
    public SceneDescription NextDescription(WorldRandom random) => NextDescription(random, NextCount(random));

    private int NextCount(WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(random);
        double u = random.NextDouble();
        int count = 1;
        while (count < _cumulative.Length && u >= _cumulative[count - 1])
        {
            count++;
        }

        return count;
    }

    private SceneDescription NextDescription(WorldRandom random, int count)
    {
        var objects = new List<ObjectDescription>(count);
        while (objects.Count < count)
        {
            var o = new ObjectDescription(
                random.Pick(Kinds.Shapes), random.Pick(Kinds.Colors), random.Pick(WorldVocabulary.Sizes));
            if (!objects.Contains(o))
            {
                objects.Add(o);
            }
        }

        var relations = new List<RelationDescription>(count - 1);
        for (int i = 1; i < count; i++)
        {
            relations.Add(new RelationDescription(i - 1, random.Pick(WorldVocabulary.Relations), i));
        }

        return new SceneDescription(objects, relations);
    }
}
