using ILGPU;
using ILGPU.Algorithms;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>
/// Multi-head attention over packed Q|K|V with the semantics of <c>Cpu.Kernels.Attention</c> (causal and key-padding
/// masks; a query that sees no key gets zero output). Forward: one group per query row (b, h, t) computes the scores,
/// the softmax and the output. Backward: one group per row turns dP into dS (kept in a scratch of the probabilities'
/// shape), then one thread per element of dQ|dK|dV sums over the sequence, so no atomics are needed and results are
/// deterministic.
/// </summary>
internal static class AttentionKernels
{
    /// <summary>Forward of query row <c>Grid.IdxX = (b·NH + h)·T + t</c>.</summary>
    /// <param name="output">(B·T, C).</param>
    /// <param name="attention">(B, NH, T, T) written: probabilities, zero where masked.</param>
    /// <param name="qkv">(B·T, 3C).</param>
    /// <param name="keyMask">(B·T) 1 = attend, 0 = padding; read only when <paramref name="hasMask"/> is 1.</param>
    public static void Forward(ArrayView<float> output, ArrayView<float> attention, ArrayView<float> qkv, ArrayView<byte> keyMask, int hasMask, int causal, int t, int c, int heads)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var row = Grid.IdxX;
        var ti = row % t;
        var bh = row / t;
        var h = bh % heads;
        var bi = bh / heads;
        var hs = c / heads;
        var scale = 1f / XMath.Sqrt(hs);
        var c3 = 3 * c;
        var query = (long)(bi * t + ti) * c3 + h * hs;
        var attBase = (long)row * t;
        var limit = causal != 0 ? ti + 1 : t;
        var max = float.NegativeInfinity;
        for (var s = Group.IdxX; s < t; s += Group.DimX)
        {
            if (s >= limit)
            {
                attention[attBase + s] = 0f;
                continue;
            }

            if (hasMask != 0 && keyMask[bi * t + s] == 0)
            {
                attention[attBase + s] = float.NegativeInfinity;
                continue;
            }

            var score = Dot(qkv, query, qkv, (long)(bi * t + s) * c3 + c + h * hs, hs) * scale;
            attention[attBase + s] = score;
            max = XMath.Max(max, score);
        }

        max = BlockReduce.Max(max, scratch);
        var outBase = (long)(bi * t + ti) * c + h * hs;
        if (max == float.NegativeInfinity)
        {
            // Every key is hidden: zero probabilities and zero output (the group agrees, so the early exit is uniform).
            for (var s = Group.IdxX; s < limit; s += Group.DimX)
            {
                attention[attBase + s] = 0f;
            }

            for (var d = Group.IdxX; d < hs; d += Group.DimX)
            {
                output[outBase + d] = 0f;
            }

            return;
        }

        BlockReduce.Softmax(attention, attention, attBase, limit, max, scratch);
        for (var d = Group.IdxX; d < hs; d += Group.DimX)
        {
            var o = 0f;
            for (var s = 0; s < limit; s++)
            {
                o += attention[attBase + s] * qkv[(long)(bi * t + s) * c3 + 2 * c + h * hs + d];
            }

            output[outBase + d] = o;
        }
    }

    /// <summary>
    /// dS of query row <c>Grid.IdxX</c>: with dP = dout·Vᵀ, <c>dS = P ⊙ (dP − Σ P ⊙ dP)/√hs</c>.
    /// </summary>
    /// <param name="dScores">(B, NH, T, T) written.</param>
    /// <param name="dOutput">(B·T, C).</param>
    /// <param name="qkv">(B·T, 3C).</param>
    /// <param name="attention">(B, NH, T, T).</param>
    public static void BackwardScores(ArrayView<float> dScores, ArrayView<float> dOutput, ArrayView<float> qkv, ArrayView<float> attention, int t, int c, int heads)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var row = Grid.IdxX;
        var ti = row % t;
        var bh = row / t;
        var h = bh % heads;
        var bi = bh / heads;
        var hs = c / heads;
        var scale = 1f / XMath.Sqrt(hs);
        var c3 = 3 * c;
        var attBase = (long)row * t;
        var dout = (long)(bi * t + ti) * c + h * hs;
        var weighted = 0f;
        for (var s = Group.IdxX; s < t; s += Group.DimX)
        {
            var dp = Dot(dOutput, dout, qkv, (long)(bi * t + s) * c3 + 2 * c + h * hs, hs);

            dScores[attBase + s] = dp;
            weighted += attention[attBase + s] * dp;
        }

        var sum = BlockReduce.Sum(weighted, scratch);
        for (var s = Group.IdxX; s < t; s += Group.DimX)
        {
            var p = attention[attBase + s];
            dScores[attBase + s] = p * (dScores[attBase + s] - sum) * scale;
        }
    }

    /// <summary>
    /// dQ, dK and dV of one element: thread (b, t, j) with j in [0, C) writes <c>dqkv[b, t, j]</c>,
    /// <c>dqkv[b, t, C + j]</c> and <c>dqkv[b, t, 2C + j]</c> (overwritten).
    /// </summary>
    /// <param name="dQkv">(B·T, 3C).</param>
    /// <param name="dScores">(B, NH, T, T).</param>
    /// <param name="dOutput">(B·T, C).</param>
    /// <param name="qkv">(B·T, 3C).</param>
    /// <param name="attention">(B, NH, T, T).</param>
    public static void BackwardInputs(Index1D index, ArrayView<float> dQkv, ArrayView<float> dScores, ArrayView<float> dOutput, ArrayView<float> qkv, ArrayView<float> attention, int t, int c, int heads)
    {
        var j = index.X % c;
        var bt = index.X / c;
        var ti = bt % t;
        var bi = bt / t;
        var hs = c / heads;
        var h = j / hs;
        var c3 = 3 * c;
        var plane = (long)(bi * heads + h) * t * t;
        float dq = 0f, dk = 0f, dv = 0f;
        for (var s = 0; s < t; s++)
        {
            var other = (long)(bi * t + s);
            dq += dScores[plane + (long)ti * t + s] * qkv[other * c3 + c + j];
            dk += dScores[plane + (long)s * t + ti] * qkv[other * c3 + j];
            dv += attention[plane + (long)s * t + ti] * dOutput[other * c + j];
        }

        var self = (long)(bi * t + ti) * c3;
        dQkv[self + j] = dq;
        dQkv[self + c + j] = dk;
        dQkv[self + 2 * c + j] = dv;
    }

    /// <summary>Stores one decoding step's keys and values at <paramref name="position"/> of the caches.</summary>
    /// <param name="keyCache">(B, maxT, C).</param>
    /// <param name="valueCache">(B, maxT, C).</param>
    /// <param name="qkv">(B, 3C).</param>
    public static void CacheStore(Index1D index, ArrayView<float> keyCache, ArrayView<float> valueCache, ArrayView<float> qkv, int maxTime, int c, int position)
    {
        var j = index.X % c;
        var bi = index.X / c;
        var slot = ((long)bi * maxTime + position) * c + j;
        keyCache[slot] = qkv[(long)bi * 3 * c + c + j];
        valueCache[slot] = qkv[(long)bi * 3 * c + 2 * c + j];
    }

    /// <summary>Cached causal attention of group <c>Grid.IdxX = b·NH + h</c> over positions 0..position.</summary>
    /// <param name="output">(B, C).</param>
    /// <param name="scores">(B·NH, maxT) scratch.</param>
    /// <param name="keyCache">(B, maxT, C).</param>
    /// <param name="valueCache">(B, maxT, C).</param>
    /// <param name="qkv">(B, 3C).</param>
    public static void CachedForward(ArrayView<float> output, ArrayView<float> scores, ArrayView<float> keyCache, ArrayView<float> valueCache, ArrayView<float> qkv, int maxTime, int c, int heads, int position)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var bh = Grid.IdxX;
        var h = bh % heads;
        var bi = bh / heads;
        var hs = c / heads;
        var scale = 1f / XMath.Sqrt(hs);
        var count = position + 1;
        var query = (long)bi * 3 * c + h * hs;
        var rowBase = (long)bh * maxTime;
        var max = float.NegativeInfinity;
        for (var s = Group.IdxX; s < count; s += Group.DimX)
        {
            var score = Dot(qkv, query, keyCache, ((long)bi * maxTime + s) * c + h * hs, hs) * scale;
            scores[rowBase + s] = score;
            max = XMath.Max(max, score);
        }

        BlockReduce.Softmax(scores, scores, rowBase, count, BlockReduce.Max(max, scratch), scratch);
        for (var d = Group.IdxX; d < hs; d += Group.DimX)
        {
            var o = 0f;
            for (var s = 0; s < count; s++)
            {
                o += scores[rowBase + s] * valueCache[((long)bi * maxTime + s) * c + h * hs + d];
            }

            output[(long)bi * c + h * hs + d] = o;
        }
    }

    /// <summary>Σ_d x[xStart + d]·y[yStart + d] over one head's width.</summary>
    private static float Dot(ArrayView<float> x, long xStart, ArrayView<float> y, long yStart, int count)
    {
        var dot = 0f;
        for (var d = 0; d < count; d++)
        {
            dot += x[xStart + d] * y[yStart + d];
        }

        return dot;
    }
}
