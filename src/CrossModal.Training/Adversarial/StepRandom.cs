using System;
using CrossModal.Tensors;

namespace CrossModal.Training.Adversarial;

/// <summary>
/// A <see cref="Random"/> over SplitMix64 that can be re-seeded in place: the trainer draws every step's randomness
/// from (seed, step) without allocating a generator per step, and, unlike <see cref="HashCode"/>-mixed seeds, the
/// stream is the same in every process, so a run resumed in a new process draws what the uninterrupted run drew.
/// </summary>
internal sealed class StepRandom : Random
{
    private ulong _state;

    public void Reseed(int seed, int step) => _state = SplitMix64.Hash(((ulong)(uint)seed << 32) | (uint)step);

    public override int Next() => (int)(((Bits() >> 32) * int.MaxValue) >> 32);

    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)(((Bits() >> 32) * (ulong)maxValue) >> 32);
    }

    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        var range = (ulong)((long)maxValue - minValue);
        return (int)(minValue + (long)(((Bits() >> 32) * range) >> 32));
    }

    public override long NextInt64() => (long)(Bits() >> 1) % long.MaxValue;

    public override double NextDouble() => Sample();

    public override float NextSingle() => (Bits() >> 40) * (1f / (1 << 24));

    public override void NextBytes(byte[] buffer) => NextBytes(buffer.AsSpan());

    public override void NextBytes(Span<byte> buffer)
    {
        for (var i = 0; i < buffer.Length; i++)
        {
            buffer[i] = (byte)(Bits() >> 56);
        }
    }

    protected override double Sample() => (Bits() >> 11) * (1.0 / (1UL << 53));

    private ulong Bits() => SplitMix64.Next(ref _state);
}
