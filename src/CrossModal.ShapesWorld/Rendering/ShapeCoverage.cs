using System;
using System.Runtime.CompilerServices;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Rendering;

/// <summary>Inside tests for each shape in its local frame: u to the right, v down, the shape spanning about [−1, 1]².</summary>
public static class ShapeCoverage
{
    // (10, 2): the five outer and five inner vertices of the star, outer radius 1, inner 0.42, first point up.
    private static readonly float[] StarVertices = BuildStar();

    // (3, 2): an upward triangle with its centroid near the origin.
    private static readonly float[] TriangleVertices = [0f, -0.95f, 0.95f, 0.75f, -0.95f, 0.75f];

    // (E, 4) per polygon edge i → j: x_i, y_i, y_j and the inverse slope (x_j − x_i) / (y_j − y_i), so the inside
    // test multiplies instead of dividing.
    private static readonly float[] StarEdges = BuildEdges(StarVertices);
    private static readonly float[] TriangleEdges = BuildEdges(TriangleVertices);

    /// <summary>Radius of a disc around the origin that lies inside <paramref name="shape"/> (lets the renderer skip supersampling there).</summary>
    /// <param name="shape">The shape.</param>
    /// <returns>The radius in local units.</returns>
    public static float InscribedRadius(Shape shape) => shape switch
    {
        Shape.Circle => 0.9f,
        Shape.Square => 0.8f,
        Shape.Triangle => 0.45f, // distance from the origin to the slanted edges is 0.46
        Shape.Star => 0.25f,     // inner vertices at 0.42 around (0, 0.08)
        Shape.Cross => 0.3f,
        Shape.Diamond => 0.59f,  // 0.75 / √(1 + 0.75²)
        _ => 0.4f,
    };

    /// <summary>Radius of a disc around the origin that contains every shape (the renderer skips pixels beyond it).</summary>
    public const float OuterRadius = 1.32f;

    /// <summary>Whether the local point (u, v) is inside <paramref name="shape"/>.</summary>
    /// <param name="shape">The shape.</param>
    /// <param name="u">Horizontal, to the right.</param>
    /// <param name="v">Vertical, down.</param>
    /// <returns>True inside.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Inside(Shape shape, float u, float v)
    {
        switch (shape)
        {
            case Shape.Circle:
                return u * u + v * v <= 0.9f * 0.9f;
            case Shape.Square:
                return MathF.Abs(u) <= 0.8f && MathF.Abs(v) <= 0.8f;
            case Shape.Triangle:
                return InsidePolygon(TriangleEdges, u, v);
            case Shape.Star:
                return InsidePolygon(StarEdges, u, v);
            case Shape.Cross:
                {
                    float au = MathF.Abs(u);
                    float av = MathF.Abs(v);
                    return (au <= 0.3f && av <= 0.92f) || (av <= 0.3f && au <= 0.92f);
                }

            case Shape.Diamond:
                return MathF.Abs(u) / 0.75f + MathF.Abs(v) <= 1f;
            default:
                {
                    // Heart curve (x² + y² − 1)³ − x²y³ ≤ 0 (y up), scaled and shifted into [−1, 1]².
                    float x = u * 1.15f;
                    float y = -v * 1.15f + 0.15f;
                    float a = x * x + y * y - 1f;
                    return a * a * a - x * x * y * y * y <= 0f;
                }
        }
    }

    // Even–odd ray casting (W. R. Franklin's pnpoly) over precomputed edges.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool InsidePolygon(float[] edges, float u, float v)
    {
        bool inside = false;
        for (int e = 0; e + 3 < edges.Length; e += 4)
        {
            float yi = edges[e + 1];
            float yj = edges[e + 2];
            if ((yi > v) != (yj > v) && u < edges[e + 3] * (v - yi) + edges[e])
            {
                inside = !inside;
            }
        }

        return inside;
    }

    private static float[] BuildEdges(float[] xy)
    {
        int n = xy.Length / 2;
        var edges = new float[4 * n];
        for (int i = 0, j = n - 1; i < n; j = i++)
        {
            float dy = xy[2 * j + 1] - xy[2 * i + 1];
            edges[4 * i] = xy[2 * i];
            edges[4 * i + 1] = xy[2 * i + 1];
            edges[4 * i + 2] = xy[2 * j + 1];
            edges[4 * i + 3] = dy == 0 ? 0 : (xy[2 * j] - xy[2 * i]) / dy; // horizontal edges never cross the ray
        }

        return edges;
    }

    private static float[] BuildStar()
    {
        var v = new float[20];
        for (int k = 0; k < 10; k++)
        {
            double angle = -Math.PI / 2 + k * Math.PI / 5;
            double r = k % 2 == 0 ? 1.0 : 0.42;
            v[2 * k] = (float)(r * Math.Cos(angle));
            v[2 * k + 1] = (float)(r * Math.Sin(angle)) + 0.08f; // centre the star's visual mass
        }

        return v;
    }
}
