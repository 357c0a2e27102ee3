using System;
using System.Collections.Generic;
using CrossModal.Tensors;

namespace CrossModal.ShapesWorld.World;

/// <summary>
/// The world's own pseudo-random generator: xoshiro256** seeded through SplitMix64 (Blackman and Vigna,
/// "Scrambled linear pseudorandom number generators", 2018, prng.di.unimi.it). It is used instead of
/// <see cref="Random"/> so that a seed gives the same scenes, captions and pixels on every .NET runtime and
/// platform: the algorithm is fixed here and uses only integer arithmetic and IEEE float conversions.
/// </summary>
public sealed class WorldRandom
{
    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Creates a generator whose whole stream is determined by <paramref name="seed"/>.</summary>
    /// <param name="seed">Any 64-bit value.</param>
    public WorldRandom(ulong seed)
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    // Raw state, for the published test vectors (rand_xoshiro's xoshiro256** test: state 1, 2, 3, 4).
    internal WorldRandom(ulong s0, ulong s1, ulong s2, ulong s3)
    {
        _s0 = s0;
        _s1 = s1;
        _s2 = s2;
        _s3 = s3;
    }

    /// <summary>One step of SplitMix64 (Steele, Lea and Flood, OOPSLA 2014): advances <paramref name="state"/> and returns a well-mixed value.</summary>
    /// <param name="state">The generator state, advanced in place.</param>
    /// <returns>The next output.</returns>
    public static ulong SplitMix64(ref ulong state) => Tensors.SplitMix64.Next(ref state);

    /// <summary>Derives an independent seed for sub-stream <paramref name="stream"/> of <paramref name="seed"/>.</summary>
    /// <param name="seed">The parent seed.</param>
    /// <param name="stream">Which sub-stream (an index, a purpose tag, a hash).</param>
    /// <returns>A seed for a new <see cref="WorldRandom"/>.</returns>
    public static ulong Derive(ulong seed, ulong stream)
    {
        ulong x = seed ^ (stream * 0xD1B54A32D192ED03UL);
        SplitMix64(ref x);
        return SplitMix64(ref x);
    }

    /// <summary>Returns the next 64 random bits.</summary>
    /// <returns>A uniformly distributed 64-bit value.</returns>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>Returns an integer in [0, <paramref name="maxExclusive"/>) (multiply-shift reduction, Lemire 2019).</summary>
    /// <param name="maxExclusive">One or more.</param>
    /// <returns>A uniformly distributed integer.</returns>
    public int Next(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxExclusive, 1);
        return (int)(((NextUInt64() >> 32) * (ulong)maxExclusive) >> 32);
    }

    /// <summary>Returns a double in [0, 1) with 53 random bits.</summary>
    /// <returns>A uniformly distributed double.</returns>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Returns a float in [<paramref name="min"/>, <paramref name="max"/>).</summary>
    /// <param name="min">Lower bound.</param>
    /// <param name="max">Upper bound.</param>
    /// <returns>A uniformly distributed float.</returns>
    public float NextFloat(float min, float max) => min + (float)(NextDouble() * (max - min));

    /// <summary>Returns a standard normal sample (Box–Muller; the second value of the pair is discarded for simplicity).</summary>
    /// <returns>A sample of N(0, 1).</returns>
    public float NextGaussian()
    {
        double u1 = 1.0 - NextDouble();
        return (float)BoxMuller.Sample(u1, NextDouble());
    }

    /// <summary>Returns one element of <paramref name="items"/>, uniformly.</summary>
    /// <typeparam name="T">Element type.</typeparam>
    /// <param name="items">A non-empty list.</param>
    /// <returns>The chosen element.</returns>
    public T Pick<T>(IReadOnlyList<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        if (items.Count == 0)
        {
            throw new ArgumentException("Cannot pick from an empty list.", nameof(items));
        }

        return items[Next(items.Count)];
    }
}
