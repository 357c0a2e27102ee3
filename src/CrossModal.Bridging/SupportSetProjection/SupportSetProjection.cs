using System;
using System.Buffers;
using System.Numerics.Tensors;
using System.Threading.Tasks;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Bridging;

/// <summary>
/// The projection kernel of DeCap (Li et al., ICLR 2023, §3.2), SynTIC and CgT-GAN's CLIP-agg: each query becomes
/// the softmax-weighted average of a text support set. Effectively computes
/// <c>destination_i = n(Σ_j softmax_j(q_i·s_j / τ) · s_j)</c>; with unit-length rows q_i·s_j is the cosine.
/// </summary>
/// <remarks>
/// Streams the support set in blocks through the GEMM with an online softmax (Milakov &amp; Gimelshein 2018, the
/// same rescaling FlashAttention uses): per query a running maximum m, a running sum ℓ and an accumulator a are
/// kept; a block with maximum m′ ≥ m rescales ℓ and a by exp(m − m′) before adding its own terms. So a support set
/// of 500,000 rows never makes a logits matrix larger than one (query block × support block). Cost: 4·M·N·D flops
/// (two GEMMs) plus M·N exponentials.
/// </remarks>
public static class SupportSetProjection
{
    /// <summary>Queries per block (rows of the logits block).</summary>
    public const int QueryBlock = 256;

    /// <summary>Support rows per block (columns of the logits block).</summary>
    public const int SupportBlock = 2048;

    /// <summary>Projects <paramref name="queryCount"/> queries onto the support set.</summary>
    /// <param name="queries">(M, D) query rows, normally L2-normalised.</param>
    /// <param name="queryCount">M.</param>
    /// <param name="support">(N, D) support rows, normally L2-normalised.</param>
    /// <param name="supportCount">N, at least 1.</param>
    /// <param name="dimension">D.</param>
    /// <param name="temperature">τ &gt; 0; DeCap uses 1/100.</param>
    /// <param name="topK">When positive, only the k most similar support rows of each query take part (the rest get weight 0).</param>
    /// <param name="destination">(M, D) projected, L2-normalised rows. Must not overlap the inputs.</param>
    public static void Project(
        ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> support, int supportCount, int dimension,
        float temperature, int topK, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(supportCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        if (!(float.IsFinite(temperature) && temperature > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be finite and positive.");
        }

        if (queries.Length < (long)queryCount * dimension)
        {
            throw new ArgumentException($"Expected at least {queryCount} × {dimension} query values.", nameof(queries));
        }

        if (support.Length < (long)supportCount * dimension)
        {
            throw new ArgumentException($"Expected at least {supportCount} × {dimension} support values.", nameof(support));
        }

        if (destination.Length < (long)queryCount * dimension)
        {
            throw new ArgumentException($"Destination too short: expected at least {queryCount} × {dimension} values.", nameof(destination));
        }

        if (destination.Overlaps(queries) || destination.Overlaps(support))
        {
            throw new ArgumentException("The destination must not overlap the queries or the support set.", nameof(destination));
        }

        if (topK > 0 && topK < supportCount)
        {
            ProjectTopK(queries, queryCount, support, supportCount, dimension, temperature, topK, destination);
        }
        else
        {
            ProjectDense(queries, queryCount, support, supportCount, dimension, temperature, destination);
        }
    }

    private static void ProjectDense(
        ReadOnlySpan<float> queries, int m, ReadOnlySpan<float> support, int n, int d, float temperature, Span<float> destination)
    {
        var qb = Math.Min(QueryBlock, Math.Max(m, 1));
        var blocks = (m + qb - 1) / qb;
        var threads = Environment.ProcessorCount;
        if (threads > 1 && blocks >= threads)
        {
            // Enough query blocks for every core: each thread takes whole query blocks and runs single-threaded
            // GEMMs, so there is no synchronisation inside a block and the softmax runs on the same core. With
            // fewer blocks than cores the GEMM's own threads share each block instead (below).
            unsafe
            {
                fixed (float* pq = queries)
                fixed (float* ps = support)
                fixed (float* pd = destination)
                {
                    var (q, s, dst) = ((nint)pq, (nint)ps, (nint)pd);
                    var next = -1;
                    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
                    {
                        var scratch = new BlockScratch(qb, Math.Min(SupportBlock, n));
                        try
                        {
                            int block;
                            while ((block = System.Threading.Interlocked.Increment(ref next)) < blocks)
                            {
                                var q0 = block * qb;
                                var mb = Math.Min(qb, m - q0);
                                ProjectQueryBlock(
                                    new ReadOnlySpan<float>((float*)q + (long)q0 * d, mb * d), mb,
                                    new ReadOnlySpan<float>((float*)s, n * d), n, d, temperature,
                                    new Span<float>((float*)dst + (long)q0 * d, mb * d), scratch, gemmThreads: 1);
                            }
                        }
                        finally
                        {
                            scratch.Return();
                        }
                    });
                }
            }

            return;
        }

        var single = new BlockScratch(qb, Math.Min(SupportBlock, n));
        try
        {
            for (var q0 = 0; q0 < m; q0 += qb)
            {
                var mb = Math.Min(qb, m - q0);
                ProjectQueryBlock(queries.Slice(q0 * d, mb * d), mb, support, n, d, temperature, destination.Slice(q0 * d, mb * d), single,
                    gemmThreads: Gemm.DefaultThreads);
            }
        }
        finally
        {
            single.Return();
        }
    }

    /// <summary>Per-thread buffers of one query block, rented from the shared pool.</summary>
    private sealed class BlockScratch
    {
        public BlockScratch(int queryBlock, int supportBlock)
        {
            Logits = ArrayPool<float>.Shared.Rent(queryBlock * supportBlock);
            RunMax = ArrayPool<float>.Shared.Rent(queryBlock);
            RunScale = ArrayPool<float>.Shared.Rent(queryBlock);
        }

        public float[] Logits { get; } // (qb, sb) logits, then weights, of one block

        public float[] RunMax { get; } // (qb) running maximum logit m

        public float[] RunScale { get; } // (qb) exp(m_old − m_new) of the current block

        public void Return()
        {
            ArrayPool<float>.Shared.Return(Logits);
            ArrayPool<float>.Shared.Return(RunMax);
            ArrayPool<float>.Shared.Return(RunScale);
        }
    }

    /// <summary>Streams the whole support set past one block of <paramref name="mb"/> queries.</summary>
    private static void ProjectQueryBlock(
        ReadOnlySpan<float> qBlock, int mb, ReadOnlySpan<float> support, int n, int d, float temperature, Span<float> acc,
        BlockScratch scratch, int gemmThreads)
    {
        var sb = Math.Min(SupportBlock, n);
        var (logits, runMax, runScale) = (scratch.Logits, scratch.RunMax, scratch.RunScale);
        acc.Clear(); // (mb, d) accumulator a, lives in the destination
        runMax.AsSpan(0, mb).Fill(float.NegativeInfinity);
        for (var s0 = 0; s0 < n; s0 += sb)
        {
            var nb = Math.Min(sb, n - s0);
            var sBlock = support.Slice(s0 * d, nb * d);

            // (mb, nb) = (1/τ) · Q_b · S_bᵀ
            Gemm.Multiply(false, true, mb, nb, d, 1f / temperature, qBlock, d, sBlock, d, 0f, logits, nb, gemmThreads);
            ExponentiateBlock(logits, mb, nb, runMax, runScale, parallel: gemmThreads > 1);

            // a ← exp(m_old − m_new)·a, then a += P·S_b with P the block's unnormalised weights.
            for (var r = 0; r < mb; r++)
            {
                var scale = runScale[r];
                if (scale != 1f)
                {
                    var row = acc.Slice(r * d, d);
                    TensorPrimitives.Multiply(row, scale, row);
                }
            }

            Gemm.Multiply(false, false, mb, d, nb, 1f, logits, nb, sBlock, d, 1f, acc, d, gemmThreads);
        }

        // The softmax denominator ℓ is a positive per-row constant, which n(·) removes; it is never needed.
        NormalizeRows(acc, mb, d);
    }

    /// <summary>
    /// Online-softmax step for one block: per row, m_new = max(m_old, max_j x_j), x_j ← exp(x_j − m_new), and the
    /// factor exp(m_old − m_new) by which the row's accumulator must shrink.
    /// </summary>
    private static void ExponentiateBlock(float[] logits, int rows, int cols, float[] runMax, float[] runScale, bool parallel)
    {
        if (parallel && (long)rows * cols >= 1 << 16 && Environment.ProcessorCount > 1)
        {
            Parallel.For(0, rows, r => ExponentiateRow(logits.AsSpan(r * cols, cols), ref runMax[r], out runScale[r]));
        }
        else
        {
            for (var r = 0; r < rows; r++)
            {
                ExponentiateRow(logits.AsSpan(r * cols, cols), ref runMax[r], out runScale[r]);
            }
        }
    }

    private static void ExponentiateRow(Span<float> row, ref float max, out float scale)
    {
        var blockMax = TensorPrimitives.Max(row);
        var newMax = MathF.Max(max, blockMax);
        scale = float.IsNegativeInfinity(max) ? 0f : MathF.Exp(max - newMax);
        max = newMax;
        TensorPrimitives.Subtract(row, newMax, row);
        TensorPrimitives.Exp(row, row);
    }

    private static void ProjectTopK(
        ReadOnlySpan<float> queries, int m, ReadOnlySpan<float> support, int n, int d, float temperature, int k, Span<float> destination)
    {
        var qb = Math.Min(QueryBlock, Math.Max(m, 1));
        var sb = Math.Min(SupportBlock, n);
        var logits = ArrayPool<float>.Shared.Rent(qb * sb);
        var heapValues = new float[qb * k]; // (qb, k) min-heaps of the best logits so far
        var heapIndices = new int[qb * k];  // (qb, k) their support rows
        var heapCounts = new int[qb];
        var weights = new float[k];
        try
        {
            for (var q0 = 0; q0 < m; q0 += qb)
            {
                var mb = Math.Min(qb, m - q0);
                var qBlock = queries.Slice(q0 * d, mb * d);
                Array.Clear(heapCounts);
                for (var s0 = 0; s0 < n; s0 += sb)
                {
                    var nb = Math.Min(sb, n - s0);
                    Gemm.Multiply(false, true, mb, nb, d, 1f / temperature, qBlock, d, support.Slice(s0 * d, nb * d), d, 0f, logits, nb);
                    for (var r = 0; r < mb; r++)
                    {
                        var row = logits.AsSpan(r * nb, nb);
                        var values = heapValues.AsSpan(r * k, k);
                        var indices = heapIndices.AsSpan(r * k, k);
                        for (var j = 0; j < nb; j++)
                        {
                            Offer(values, indices, ref heapCounts[r], row[j], s0 + j);
                        }
                    }
                }

                for (var r = 0; r < mb; r++)
                {
                    var values = heapValues.AsSpan(r * k, k);
                    var indices = heapIndices.AsSpan(r * k, k);
                    TensorPrimitives.SoftMax(values, weights);
                    var output = destination.Slice((q0 + r) * d, d);
                    output.Clear();
                    for (var j = 0; j < k; j++)
                    {
                        TensorPrimitives.MultiplyAdd(support.Slice(indices[j] * d, d), weights[j], output, output);
                    }
                }

                NormalizeRows(destination.Slice(q0 * d, mb * d), mb, d);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logits);
        }
    }

    /// <summary>Keeps the k largest (value, index) pairs in a binary min-heap rooted at position 0.</summary>
    private static void Offer(Span<float> values, Span<int> indices, ref int count, float value, int index)
    {
        var k = values.Length;
        int i;
        if (count < k)
        {
            // Sift up from the new leaf.
            i = count++;
            while (i > 0)
            {
                var parent = (i - 1) / 2;
                if (values[parent] <= value)
                {
                    break;
                }

                values[i] = values[parent];
                indices[i] = indices[parent];
                i = parent;
            }

            values[i] = value;
            indices[i] = index;
            return;
        }

        if (value <= values[0])
        {
            return;
        }

        // Replace the root (the smallest kept) and sift down.
        i = 0;
        while (true)
        {
            var left = 2 * i + 1;
            if (left >= k)
            {
                break;
            }

            var child = left + 1 < k && values[left + 1] < values[left] ? left + 1 : left;
            if (values[child] >= value)
            {
                break;
            }

            values[i] = values[child];
            indices[i] = indices[child];
            i = child;
        }

        values[i] = value;
        indices[i] = index;
    }

    private static void NormalizeRows(Span<float> rows, int count, int d)
    {
        for (var r = 0; r < count; r++)
        {
            var row = rows.Slice(r * d, d);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0f)
            {
                TensorPrimitives.Multiply(row, 1f / norm, row);
            }
        }
    }
}
