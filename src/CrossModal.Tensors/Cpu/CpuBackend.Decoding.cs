using System;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Tensors.Cpu;

/// <content>Incremental (key/value-cached) decoding operations of <see cref="IComputeBackend"/>.</content>
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void CachedAttentionForward(Tensor output, Tensor keyCache, Tensor valueCache, Tensor qkv, int position, int heads)
    {
        ArgumentNullException.ThrowIfNull(keyCache);
        if (keyCache.Rank != 3)
        {
            throw new ArgumentException($"Expected a (B, maxT, C) key cache but got {keyCache}.", nameof(keyCache));
        }

        var (b, maxTime, c) = (keyCache.Dim(0), keyCache.Dim(1), keyCache.Dim(2));
        CachedAttention.Forward(Span(output), Span(keyCache), Span(valueCache), Span(qkv), position, b, maxTime, c, heads);
    }
}
