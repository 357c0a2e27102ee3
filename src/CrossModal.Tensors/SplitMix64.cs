namespace CrossModal.Tensors;

/// <summary>
/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014): a Weyl sequence
/// with increment γ = 0x9E3779B97F4A7C15 passed through a 64-bit finaliser. The one implementation behind dropout
/// masks, seed mixing and the ShapesWorld generator's seeding; it uses only integer arithmetic, so a seed gives the
/// same stream on every runtime and platform.
/// </summary>
public static class SplitMix64
{
    /// <summary>The Weyl increment γ (2⁶⁴ divided by the golden ratio, odd).</summary>
    public const ulong Gamma = 0x9E3779B97F4A7C15UL;

    /// <summary>The finaliser alone: a bijective, well-mixed 64-bit hash of <paramref name="z"/>.</summary>
    /// <param name="z">Any value.</param>
    /// <returns>The mixed value.</returns>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>One step of the generator: advances <paramref name="state"/> by γ and returns the mix of the new state.</summary>
    /// <param name="state">The generator state, advanced in place.</param>
    /// <returns>The next output.</returns>
    public static ulong Next(ref ulong state)
    {
        state += Gamma;
        return Mix(state);
    }

    /// <summary>The output the generator gives from state <paramref name="x"/> (a counter-based hash: <c>Mix(x + γ)</c>).</summary>
    /// <param name="x">A counter or key.</param>
    /// <returns>The mixed value.</returns>
    public static ulong Hash(ulong x) => Mix(x + Gamma);
}
