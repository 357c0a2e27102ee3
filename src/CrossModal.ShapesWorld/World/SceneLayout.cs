using System;
using System.Collections.Generic;

namespace CrossModal.ShapesWorld.World;

/// <summary>
/// Places the objects of a <see cref="SceneDescription"/> in the unit square so that every stated relation holds
/// clearly: the dominant axis of each related pair is at least <see cref="DominanceRatio"/> times the other, so the
/// renderer's position jitter can never flip a relation, and no two objects overlap (centres at least
/// r₁ + r₂ + <see cref="MinimumGap"/> apart).
/// </summary>
public static class SceneLayout
{
    /// <summary>Radius of a small object, as a fraction of the image side.</summary>
    public const float SmallRadius = 0.12f;

    /// <summary>Radius of a large object, as a fraction of the image side.</summary>
    public const float LargeRadius = 0.20f;

    /// <summary>Free space kept between any two objects, as a fraction of the image side.</summary>
    public const float MinimumGap = 0.05f;

    /// <summary>Free space kept between an object and the image border.</summary>
    public const float BorderMargin = 0.03f;

    /// <summary>How much larger the offset along a relation's axis is than the offset across it, at least.</summary>
    public const float DominanceRatio = 2.5f;

    private const int AttemptsPerObject = 40;
    private const int Restarts = 25;

    /// <summary>The nominal radius of a size.</summary>
    /// <param name="size">A size.</param>
    /// <returns><see cref="SmallRadius"/> or <see cref="LargeRadius"/>.</returns>
    public static float Radius(ShapeSize size) => size == ShapeSize.Small ? SmallRadius : LargeRadius;

    /// <summary>
    /// The relation the positions show between <paramref name="subject"/> and <paramref name="landmark"/>: along
    /// the axis of larger offset (x to the right, y down), ties going to the horizontal axis.
    /// </summary>
    /// <param name="subject">The subject.</param>
    /// <param name="landmark">The landmark.</param>
    /// <returns>The relation "subject REL landmark".</returns>
    public static SpatialRelation Relate(PlacedObject subject, PlacedObject landmark)
    {
        float dx = landmark.X - subject.X;
        float dy = landmark.Y - subject.Y;
        if (MathF.Abs(dx) >= MathF.Abs(dy))
        {
            return dx > 0 ? SpatialRelation.LeftOf : SpatialRelation.RightOf;
        }

        return dy > 0 ? SpatialRelation.Above : SpatialRelation.Below;
    }

    /// <summary>
    /// Tries to place <paramref name="description"/>; objects are placed in order, each related one next to an
    /// already placed partner, with rejection sampling and restarts.
    /// </summary>
    /// <param name="description">The scene to lay out (relations must connect each object to at most one earlier object per relation).</param>
    /// <param name="random">The generator.</param>
    /// <param name="radiusScale">Multiplies every radius (callers shrink crowded scenes with it).</param>
    /// <param name="scene">The placed scene on success.</param>
    /// <returns>Whether a layout was found.</returns>
    public static bool TryPlace(SceneDescription description, WorldRandom random, float radiusScale, out Scene? scene)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(random);
        int n = description.Objects.Count;
        var placed = new PlacedObject[n];
        var done = new bool[n];
        for (int restart = 0; restart < Restarts; restart++)
        {
            Array.Clear(done);
            bool failed = false;
            for (int i = 0; i < n && !failed; i++)
            {
                failed = !TryPlaceOne(description, i, placed, done, random, radiusScale);
            }

            if (!failed && AllRelationsHold(description, placed))
            {
                scene = new Scene(description, placed);
                return true;
            }
        }

        scene = null;
        return false;
    }

    /// <summary>
    /// Places <paramref name="description"/>, shrinking the objects by 15 % per round when they do not fit (a
    /// text-to-image model also draws an impossible caption somehow); used to render captions.
    /// </summary>
    /// <param name="description">The scene to lay out.</param>
    /// <param name="random">The generator.</param>
    /// <returns>The placed scene.</returns>
    /// <exception cref="ArgumentException">The relations contradict each other (no layout at any scale).</exception>
    public static Scene PlaceShrinkingIfNeeded(SceneDescription description, WorldRandom random)
    {
        float scale = 1f;
        for (int round = 0; round < 8; round++, scale *= 0.85f)
        {
            if (TryPlace(description, random, scale, out Scene? scene))
            {
                return scene!;
            }
        }

        throw new ArgumentException($"The scene '{description}' has no layout: its relations contradict each other.", nameof(description));
    }

    private static bool TryPlaceOne(SceneDescription d, int i, PlacedObject[] placed, bool[] done, WorldRandom random, float scale)
    {
        ObjectDescription obj = d.Objects[i];
        float r = Radius(obj.Size) * scale;

        // The first already placed object this one is related to anchors it.
        int anchor = -1;
        SpatialRelation relation = SpatialRelation.LeftOf; // relation "i REL anchor"
        foreach (RelationDescription rel in d.Relations)
        {
            if (rel.Subject == i && done[rel.Landmark])
            {
                anchor = rel.Landmark;
                relation = rel.Relation;
                break;
            }

            if (rel.Landmark == i && done[rel.Subject])
            {
                anchor = rel.Subject;
                relation = WorldVocabulary.Converse(rel.Relation);
                break;
            }
        }

        float lo = r + BorderMargin;
        float hi = 1f - r - BorderMargin;
        if (lo > hi)
        {
            return false;
        }

        for (int attempt = 0; attempt < AttemptsPerObject; attempt++)
        {
            float x;
            float y;
            if (anchor < 0)
            {
                x = random.NextFloat(lo, hi);
                y = random.NextFloat(lo, hi);
            }
            else
            {
                PlacedObject a = placed[anchor];
                float minAlong = a.Radius + r + MinimumGap;
                float along = random.NextFloat(minAlong, minAlong + 0.45f);
                float across = random.NextFloat(-along / DominanceRatio, along / DominanceRatio);
                (x, y) = relation switch
                {
                    SpatialRelation.LeftOf => (a.X - along, a.Y + across),
                    SpatialRelation.RightOf => (a.X + along, a.Y + across),
                    SpatialRelation.Above => (a.X + across, a.Y - along),
                    _ => (a.X + across, a.Y + along),
                };
            }

            if (x < lo || x > hi || y < lo || y > hi)
            {
                continue;
            }

            var candidate = new PlacedObject(obj, x, y, r);
            if (Clear(candidate, placed, done))
            {
                placed[i] = candidate;
                done[i] = true;
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether placed objects are apart and inside the image: each with <paramref name="borderMargin"/> to
    /// spare at the border, and every two at least r₁ + r₂ + <paramref name="minimumGap"/> apart.</summary>
    /// <param name="placed">The objects.</param>
    /// <param name="minimumGap">Free space between any two objects, as a fraction of the image side.</param>
    /// <param name="borderMargin">Free space between an object and the border.</param>
    /// <returns>True when every object fits.</returns>
    internal static bool Fits(IReadOnlyList<PlacedObject> placed, float minimumGap, float borderMargin)
    {
        for (int i = 0; i < placed.Count; i++)
        {
            PlacedObject a = placed[i];
            float lo = a.Radius + borderMargin;
            float hi = 1f - a.Radius - borderMargin;
            if (a.X < lo || a.X > hi || a.Y < lo || a.Y > hi)
            {
                return false;
            }

            for (int j = i + 1; j < placed.Count; j++)
            {
                if (TooClose(placed[j], a, minimumGap))
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool Clear(PlacedObject candidate, PlacedObject[] placed, bool[] done)
    {
        for (int j = 0; j < placed.Length; j++)
        {
            if (!done[j])
            {
                continue;
            }

            if (TooClose(placed[j], candidate, MinimumGap))
            {
                return false;
            }
        }

        return true;
    }

    // Whether two objects' centres are closer than r₁ + r₂ + gap.
    private static bool TooClose(PlacedObject placed, PlacedObject other, float gap)
    {
        float dx = placed.X - other.X;
        float dy = placed.Y - other.Y;
        float min = placed.Radius + other.Radius + gap;
        return dx * dx + dy * dy < min * min;
    }

    private static bool AllRelationsHold(SceneDescription d, IReadOnlyList<PlacedObject> placed)
    {
        foreach (RelationDescription r in d.Relations)
        {
            PlacedObject s = placed[r.Subject];
            PlacedObject l = placed[r.Landmark];
            float dx = MathF.Abs(l.X - s.X);
            float dy = MathF.Abs(l.Y - s.Y);
            bool clear = MathF.Max(dx, dy) >= DominanceRatio * MathF.Min(dx, dy) * 0.999f;
            if (!clear || Relate(s, l) != r.Relation)
            {
                return false;
            }
        }

        return true;
    }
}
