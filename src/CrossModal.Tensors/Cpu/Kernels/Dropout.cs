using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Inverted dropout (Srivastava et al., 2014, as <c>torch.nn.Dropout</c>): each element is zeroed with probability p
/// and survivors are scaled by <c>1/(1 − p)</c>. The mask is a counter-based hash of (seed, index), so the same seed
/// gives the same mask on any thread count.
/// </summary>
public static class Dropout
{
    /// <summary>Forward pass in training mode; writes the multipliers (0 or 1/(1 − p)) to <paramref name="mask"/>.</summary>
    /// <param name="output">(N) written; may be <paramref name="input"/> itself.</param>
    /// <param name="mask">(N) written: the multiplier of each element.</param>
    /// <param name="input">(N).</param>
    /// <param name="probability">Drop probability p in [0, 1).</param>
    /// <param name="seed">Seed of this call's mask (callers advance it per step).</param>
    public static void Forward(Span<float> output, Span<float> mask, ReadOnlySpan<float> input, float probability, ulong seed)
    {
        KernelChecks.Length(output, input.Length, nameof(output));
        KernelChecks.Length(mask, input.Length, nameof(mask));
        if (!(probability >= 0f && probability < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Expected a drop probability in [0, 1).");
        }

        Mask(mask, probability, seed, 0);
        TensorPrimitives.Multiply(input, mask, output);
    }

    /// <summary>
    /// Writes the multipliers of elements <c>[firstIndex, firstIndex + N)</c> of the mask that <see cref="Forward"/>
    /// draws from <paramref name="seed"/>: element i is dropped when the top 24 bits of <c>SplitMix64.Hash(key + i)</c>
    /// fall below <c>p·2²⁴</c>. Any window of a mask can thus be drawn on its own (a decoding step draws the rows of its
    /// position that a teacher-forced pass over the whole sequence will draw).
    /// </summary>
    /// <param name="mask">(N) written: 0 or 1/(1 − p).</param>
    /// <param name="probability">Drop probability p in [0, 1).</param>
    /// <param name="seed">Seed of the mask.</param>
    /// <param name="firstIndex">Index of <paramref name="mask"/>[0] in the whole mask.</param>
    public static void Mask(Span<float> mask, float probability, ulong seed, long firstIndex)
    {
        if (!(probability >= 0f && probability < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Expected a drop probability in [0, 1).");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(firstIndex);
        var keep = 1f / (1f - probability);
        var key = SplitMix64.Hash(seed) + (ulong)firstIndex;

        // Compare 24-bit uniform integers so the threshold is exact in float.
        var threshold = (uint)(probability * (1 << 24));
        for (var i = 0; i < mask.Length; i++)
        {
            var r = (uint)(SplitMix64.Hash(key + (ulong)i) >> 40);
            mask[i] = r < threshold ? 0f : keep;
        }
    }

    /// <summary>Backward pass: <c>dinp = dout ⊙ mask</c> (overwritten).</summary>
    /// <param name="dinput">(N) overwritten; may be <paramref name="doutput"/> itself.</param>
    /// <param name="doutput">(N).</param>
    /// <param name="mask">(N) from the forward pass.</param>
    public static void Backward(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> mask)
    {
        KernelChecks.Length(dinput, mask.Length, nameof(dinput));
        KernelChecks.Length(doutput, mask.Length, nameof(doutput));
        TensorPrimitives.Multiply(doutput, mask, dinput);
    }
}
