using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// One incremental step of causal multi-head attention with a key/value cache, as autoregressive decoders run it
/// (Hugging Face's <c>past_key_values</c>, llm.c's inference loop): the step's keys and values are stored at
/// <c>position</c> in the caches, then each query attends to cached positions <c>0..position</c>. Effectively computes
/// <c>out[b, h] = Σ_{s ≤ position} softmax_s(q_b,h·K[b, s, h]/√hs)·V[b, s, h]</c>. Generating T tokens thus costs T steps
/// of O(T) work each instead of T full forward passes.
/// </summary>
public static class CachedAttention
{
    private const int StackLimit = 1024;

    /// <summary>Stores the step's keys and values, then attends.</summary>
    /// <param name="output">(B, C) written.</param>
    /// <param name="keyCache">(B, maxT, C); row <paramref name="position"/> of each sequence is overwritten with k.</param>
    /// <param name="valueCache">(B, maxT, C); row <paramref name="position"/> of each sequence is overwritten with v.</param>
    /// <param name="qkv">(B, 3C) the packed q | k | v of this step.</param>
    /// <param name="position">Index of this step in [0, maxT).</param>
    /// <param name="b">Batch B.</param>
    /// <param name="maxTime">Cache length maxT.</param>
    /// <param name="c">Width C.</param>
    /// <param name="heads">NH, dividing C.</param>
    public static void Forward(
        Span<float> output, Span<float> keyCache, Span<float> valueCache, ReadOnlySpan<float> qkv, int position,
        int b, int maxTime, int c, int heads)
    {
        if (heads <= 0 || c % heads != 0)
        {
            throw new ArgumentException($"The width {c} is not divisible by the head count {heads}.", nameof(heads));
        }

        if ((uint)position >= (uint)maxTime)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"The position must be in [0, {maxTime}).");
        }

        KernelChecks.Length(output, (long)b * c, nameof(output));
        KernelChecks.Length(keyCache, (long)b * maxTime * c, nameof(keyCache));
        KernelChecks.Length(valueCache, (long)b * maxTime * c, nameof(valueCache));
        KernelChecks.Length(qkv, (long)b * 3 * c, nameof(qkv));
        var hs = c / heads;
        var scale = 1f / MathF.Sqrt(hs);
        var count = position + 1;
        Span<float> scores = count <= StackLimit ? stackalloc float[count] : new float[count];
        for (var bi = 0; bi < b; bi++)
        {
            var row = qkv.Slice(bi * 3 * c, 3 * c);
            var keys = keyCache.Slice(bi * maxTime * c, maxTime * c);
            var values = valueCache.Slice(bi * maxTime * c, maxTime * c);
            row.Slice(c, c).CopyTo(keys.Slice(position * c, c));
            row.Slice(2 * c, c).CopyTo(values.Slice(position * c, c));
            for (var h = 0; h < heads; h++)
            {
                var q = row.Slice(h * hs, hs);
                for (var s = 0; s < count; s++)
                {
                    scores[s] = TensorPrimitives.Dot(q, keys.Slice(s * c + h * hs, hs)) * scale;
                }

                TensorPrimitives.SoftMax(scores, scores);
                var o = output.Slice(bi * c + h * hs, hs);
                o.Clear();
                for (var s = 0; s < count; s++)
                {
                    TensorPrimitives.MultiplyAdd(values.Slice(s * c + h * hs, hs), scores[s], o, o);
                }
            }
        }
    }
}
