using System;

namespace CrossModal.Tensors;

/// <summary>
/// Standard normal samples from uniform ones by the Box–Muller transform (Box and Muller, 1958): with u₁ in (0, 1]
/// and u₂ in [0, 1), <c>r = √(−2 ln u₁)</c> and <c>(z₀, z₁) = (r·cos 2πu₂, r·sin 2πu₂)</c> are independent N(0, 1).
/// The one implementation behind parameter initialisation, bridge noise and the ShapesWorld generator; each caller
/// brings its own seeded uniforms, so every sample stays reproducible.
/// </summary>
public static class BoxMuller
{
    /// <summary>Both normals of one pair of uniforms.</summary>
    /// <param name="u1">In (0, 1] (use <c>1 − U</c> for U in [0, 1)), so the logarithm is finite.</param>
    /// <param name="u2">In [0, 1).</param>
    /// <returns>Two independent N(0, 1) samples.</returns>
    public static (double Z0, double Z1) Pair(double u1, double u2)
    {
        var r = Math.Sqrt(-2.0 * Math.Log(u1));
        var (sin, cos) = Math.SinCos(2.0 * Math.PI * u2);
        return (r * cos, r * sin);
    }

    /// <summary>The first normal of the pair, for callers that draw one sample per pair of uniforms.</summary>
    /// <param name="u1">In (0, 1].</param>
    /// <param name="u2">In [0, 1).</param>
    /// <returns>An N(0, 1) sample.</returns>
    public static double Sample(double u1, double u2) => Pair(u1, u2).Z0;
}
