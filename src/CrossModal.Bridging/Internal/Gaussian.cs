using System;
using CrossModal.Tensors;

namespace CrossModal.Bridging.Internal;

/// <summary>Standard normal samples from a seeded <see cref="Random"/> (Box–Muller), so noise is reproducible.</summary>
internal static class Gaussian
{
    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) draws, two per pair of uniforms.</summary>
    public static void Fill(Random rng, Span<float> destination)
    {
        var i = 0;
        for (; i + 1 < destination.Length; i += 2)
        {
            Pair(rng, out destination[i], out destination[i + 1]);
        }

        if (i < destination.Length)
        {
            Pair(rng, out destination[i], out _);
        }
    }

    private static void Pair(Random rng, out float z0, out float z1)
    {
        // 1 − U lies in (0, 1], so the logarithm is finite.
        var u1 = 1.0 - rng.NextDouble();
        var (first, second) = BoxMuller.Pair(u1, rng.NextDouble());
        z0 = (float)first;
        z1 = (float)second;
    }
}
