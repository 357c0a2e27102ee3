using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossModal.ShapesWorld.World;

/// <summary>
/// Minimal-pair variants of a placed scene: the same layout with one property of the scene changed. Put in one
/// contrastive batch with the scene they come from, they are <em>hard negatives</em>: the only way to tell the pairs
/// apart is the changed property. Contrastive learners read what is cheapest first; in ShapesWorld colour, size, the
/// object count and the layout already tell almost every random pair from every other, so a CLIP trained on random
/// batches alone learns shape late and the spatial relations hardly at all. Hard negatives of this kind are the
/// remedy of NegCLIP (Yuksekgonul et al., ICLR 2023) for CLIP's bag-of-words behaviour on relations and attributes.
/// </summary>
public static class SceneVariants
{
    /// <summary>Free space a size swap keeps between objects, as a fraction of the image side (and none at the border:
    /// the objects stay inside the image). Looser than the layout's own spacing, which leaves room for the renderer's
    /// jitter next to a relation's margin; a training variant needs only objects that do not overlap. Of the 10,392 in
    /// 20,000 generated scenes that hold objects of two sizes, 52.8 % have a swap that fits this way and 33.6 % one
    /// that keeps the layout's spacing.</summary>
    private const float SizeSwapGap = 0.02f;

    /// <summary>The same scene with every object's shape redrawn to a different shape (colours, sizes and positions
    /// kept), the objects staying pairwise different.</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="random">The generator; the variant is a pure function of its state.</param>
    /// <param name="kinds">The shapes to draw from (default <see cref="ObjectKinds.Default"/>).</param>
    /// <returns>A scene whose description differs from <paramref name="scene"/>'s in every object's shape.</returns>
    public static Scene WithShapesRedrawn(Scene scene, WorldRandom random, ObjectKinds? kinds = null)
    {
        var shapes = (kinds ?? ObjectKinds.Default).Shapes;
        return Redrawn(scene, random, (o, r) => o with { Shape = Other(shapes, o.Shape, r) });
    }

    /// <summary>The same scene with every object's colour redrawn to a different colour (shapes, sizes and positions
    /// kept), the objects staying pairwise different.</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="random">The generator; the variant is a pure function of its state.</param>
    /// <param name="kinds">The colours to draw from (default <see cref="ObjectKinds.Default"/>).</param>
    /// <returns>A scene whose description differs from <paramref name="scene"/>'s in every object's colour.</returns>
    public static Scene WithColorsRedrawn(Scene scene, WorldRandom random, ObjectKinds? kinds = null)
    {
        var colors = (kinds ?? ObjectKinds.Default).Colors;
        return Redrawn(scene, random, (o, r) => o with { Color = Other(colors, o.Color, r) });
    }

    private static Scene Redrawn(Scene scene, WorldRandom random, Func<ObjectDescription, WorldRandom, ObjectDescription> change)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        var placements = scene.Placements;
        var redrawn = new PlacedObject[placements.Count];
        while (true)
        {
            for (var i = 0; i < redrawn.Length; i++)
            {
                redrawn[i] = placements[i] with { Object = change(placements[i].Object, random) };
            }

            if (redrawn.Select(p => p.Object).Distinct().Count() == redrawn.Length)
            {
                break;
            }
        }

        return new Scene(new SceneDescription(redrawn.Select(p => p.Object), scene.Description.Relations), redrawn);
    }

    // One of the other values, uniformly: draw among n − 1 and skip the current value's index (any of the n when the
    // current value is not among them).
    private static T Other<T>(IReadOnlyList<T> values, T current, WorldRandom random)
    {
        var index = -1;
        for (var i = 0; i < values.Count; i++)
        {
            if (EqualityComparer<T>.Default.Equals(values[i], current))
            {
                index = i;
            }
        }

        if (index < 0)
        {
            return values[random.Next(values.Count)];
        }

        var pick = random.Next(values.Count - 1);
        return values[pick >= index ? pick + 1 : pick];
    }

    /// <summary>The scene mirrored left to right: every object keeps what it is, x becomes 1 − x, and every stated
    /// relation is read again from the mirrored positions (left of ↔ right of; above and below stay).</summary>
    /// <param name="scene">The scene.</param>
    /// <returns>The mirrored scene; its description equals <paramref name="scene"/>'s when no relation is horizontal.</returns>
    public static Scene Mirrored(Scene scene) => Reflected(scene, static p => p with { X = 1f - p.X });

    /// <summary>The scene flipped top to bottom: every object keeps what it is, y becomes 1 − y, and every stated
    /// relation is read again from the flipped positions (above ↔ below; left of and right of stay).</summary>
    /// <param name="scene">The scene.</param>
    /// <returns>The flipped scene; its description equals <paramref name="scene"/>'s when no relation is vertical.</returns>
    public static Scene Flipped(Scene scene) => Reflected(scene, static p => p with { Y = 1f - p.Y });

    // Moves every object and reads each stated relation again from the moved positions.
    private static Scene Reflected(Scene scene, Func<PlacedObject, PlacedObject> reflect)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var moved = scene.Placements.Select(reflect).ToArray();
        var relations = scene.Description.Relations
            .Select(r => r with { Relation = SceneLayout.Relate(moved[r.Subject], moved[r.Landmark]) });
        return new Scene(new SceneDescription(scene.Description.Objects, relations), moved);
    }

    /// <summary>The scene with the colours of two objects exchanged (which two is drawn), everything else kept: the
    /// same bag of shapes and colours bound differently, the negative that tells whether a model binds each colour to
    /// its object.</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="random">The generator.</param>
    /// <returns>The swapped scene, or null when the scene has fewer than two objects or every pair shares its colour.</returns>
    public static Scene? WithColorsSwapped(Scene scene, WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        var placements = scene.Placements;
        var pairs = PairsDiffering(placements, o => o.Color);

        if (pairs.Count == 0)
        {
            return null;
        }

        var (i, j) = pairs[random.Next(pairs.Count)];
        var swapped = placements.ToArray();
        swapped[i] = placements[i] with { Object = placements[i].Object with { Color = placements[j].Object.Color } };
        swapped[j] = placements[j] with { Object = placements[j].Object with { Color = placements[i].Object.Color } };
        if (swapped.Select(p => p.Object).Distinct().Count() != swapped.Length)
        {
            return null;
        }

        return new Scene(new SceneDescription(swapped.Select(p => p.Object), scene.Description.Relations), swapped);
    }

    /// <summary>The scene with the sizes of two objects exchanged, everything else kept (positions included): the
    /// same bag of shapes, colours and sizes bound differently, the negative that tells whether a model binds each
    /// size to its object. Of the pairs of objects with different sizes, tried in an order drawn from
    /// <paramref name="random"/>, the first whose exchange leaves every object inside the image and every two objects
    /// at least 0.02 of the side apart is used. Positions do not move, so every stated relation still holds.</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="random">The generator.</param>
    /// <returns>The swapped scene, or null when no pair of objects differs in size or no exchange fits.</returns>
    public static Scene? WithSizesSwapped(Scene scene, WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        var placements = scene.Placements;
        var pairs = PairsDiffering(placements, o => o.Size);

        for (var k = pairs.Count - 1; k > 0; k--)
        {
            var m = random.Next(k + 1);
            (pairs[k], pairs[m]) = (pairs[m], pairs[k]);
        }

        foreach (var (i, j) in pairs)
        {
            var swapped = placements.ToArray();
            swapped[i] = placements[i] with { Object = placements[i].Object with { Size = placements[j].Object.Size }, Radius = placements[j].Radius };
            swapped[j] = placements[j] with { Object = placements[j].Object with { Size = placements[i].Object.Size }, Radius = placements[i].Radius };
            if (swapped.Select(p => p.Object).Distinct().Count() == swapped.Length && SceneLayout.Fits(swapped, SizeSwapGap, 0f))
            {
                return new Scene(new SceneDescription(swapped.Select(p => p.Object), scene.Description.Relations), swapped);
            }
        }

        return null;
    }

    // The index pairs (a < b) of objects whose property differs, in index order.
    private static List<(int A, int B)> PairsDiffering<T>(IReadOnlyList<PlacedObject> placements, Func<ObjectDescription, T> property)
    {
        var pairs = new List<(int A, int B)>();
        for (var a = 0; a < placements.Count; a++)
        {
            for (var b = a + 1; b < placements.Count; b++)
            {
                if (!EqualityComparer<T>.Default.Equals(property(placements[a].Object), property(placements[b].Object)))
                {
                    pairs.Add((a, b));
                }
            }
        }

        return pairs;
    }

    /// <summary>A scene and up to <paramref name="size"/> − 1 hard negatives of it, all different as descriptions and
    /// all admitted by <paramref name="admit"/>, in this order: two objects' colours swapped and two objects' sizes
    /// swapped (binding-only differences: the same bag of attributes bound differently), then shape-only differences
    /// (shapes redrawn), and when those run out (a single object has only four other shapes in the default kinds)
    /// colour-only ones (colours redrawn). A mirrored or flipped scene (a relation-only difference, <see cref="Mirrored"/>)
    /// is not among them: on the validation photos a CLIP trained with the size swap in the mirror's place retrieved
    /// captions as well or better, and no tower trained here learnt relation direction even from fresh scenes, so the
    /// slot is better spent on what the towers can learn.</summary>
    /// <param name="scene">The scene, first in the result.</param>
    /// <param name="size">Scenes wanted in the group, at least 1.</param>
    /// <param name="random">The generator.</param>
    /// <param name="admit">Which variant descriptions may be used (a dataset admits only scenes of the split being
    /// built, so splits stay disjoint by scene), or null for all.</param>
    /// <param name="kinds">The shapes and colours variants are redrawn from: the world's (default <see cref="ObjectKinds.Default"/>).</param>
    /// <returns>At most <paramref name="size"/> scenes with pairwise different descriptions; fewer when not enough
    /// admissible variants were found in 64 draws of each kind.</returns>
    public static IReadOnlyList<Scene> HardNegativeGroup(Scene scene, int size, WorldRandom random, Func<SceneDescription, bool>? admit = null, ObjectKinds? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        const int drawsPerKind = 64;
        var group = new List<Scene>(size) { scene };
        var keys = new HashSet<string>(StringComparer.Ordinal) { scene.Description.Key };
        void TryAdd(Scene variant)
        {
            if (group.Count < size && (admit is null || admit(variant.Description)) && keys.Add(variant.Description.Key))
            {
                group.Add(variant);
            }
        }

        if (WithColorsSwapped(scene, random) is { } colorsSwapped)
        {
            TryAdd(colorsSwapped);
        }

        if (WithSizesSwapped(scene, random) is { } sizesSwapped)
        {
            TryAdd(sizesSwapped);
        }

        for (var i = 0; i < drawsPerKind && group.Count < size; i++)
        {
            TryAdd(WithShapesRedrawn(scene, random, kinds));
        }

        for (var i = 0; i < drawsPerKind && group.Count < size; i++)
        {
            TryAdd(WithColorsRedrawn(scene, random, kinds));
        }

        return group;
    }
}
