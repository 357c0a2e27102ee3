using System;
using System.Buffers;
using System.Numerics.Tensors;
using System.Threading;
using System.Threading.Tasks;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;
using Tensor = CrossModal.Tensors.Tensor;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cpu.Kernels;

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

    /// <summary>Projects <paramref name="queryCount"/> queries onto the support set (host memory in and out).</summary>
    /// <param name="destination">(M, D) projected, L2-normalised rows. Must not overlap the inputs.</param>
    /// <param name="queries">(M, D) query rows, normally L2-normalised.</param>
    /// <param name="queryCount">M.</param>
    /// <param name="support">(N, D) support rows, normally L2-normalised.</param>
    /// <param name="supportCount">N, at least 1.</param>
    /// <param name="dimension">D.</param>
    /// <param name="temperature">τ &gt; 0; DeCap uses 1/100.</param>
    /// <param name="topK">When positive, only the k most similar support rows of each query take part (the rest get weight 0).</param>
    /// <param name="backend">Where the work runs; <see cref="CpuBackend.Default"/> when null. The rows are copied to it and back;
    /// to keep a support set resident across calls use the <see cref="Tensor"/> overload.</param>
    public static void Project(
        Span<float> destination, ReadOnlySpan<float> queries, int queryCount, ReadOnlySpan<float> support, int supportCount, int dimension,
        float temperature, int topK, IComputeBackend? backend = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(queryCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(supportCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        CheckTemperature(temperature);
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

        if (queryCount == 0)
        {
            return;
        }

        using var scope = new TensorScope(backend ?? CpuBackend.Default);
        var q = scope.Upload(queries[..(queryCount * dimension)], queryCount, dimension);
        var s = scope.Upload(support[..(supportCount * dimension)], supportCount, dimension);
        var result = scope.Allocate(queryCount, dimension);
        Project(result, q, s, temperature, topK);
        scope.Backend.Download(destination[..(queryCount * dimension)], result);
    }

    /// <summary>Projects the rows of <paramref name="queries"/> onto <paramref name="support"/>, all on their backend.</summary>
    /// <param name="destination">(M, D) projected, L2-normalised rows; must not overlap the inputs.</param>
    /// <param name="queries">(M, D) query rows, normally L2-normalised.</param>
    /// <param name="support">(N, D) support rows, N ≥ 1, normally L2-normalised.</param>
    /// <param name="temperature">τ &gt; 0; DeCap uses 1/100.</param>
    /// <param name="topK">When positive, only the k most similar support rows of each query take part.</param>
    /// <remarks>
    /// The work is MatMul, <see cref="IComputeBackend.OnlineSoftmaxStep"/> and L2NormalizeForward on the tensors'
    /// backend. On a <see cref="CpuBackend"/> of several threads with at least as many query blocks as threads, each
    /// thread takes whole query blocks on a single-threaded CPU backend of its own, so there is no synchronisation
    /// inside a block. With top-k, the selection of the k best rows and their weighted sum run on the host.
    /// </remarks>
    public static void Project(Tensor destination, Tensor queries, Tensor support, float temperature, int topK)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(queries);
        ArgumentNullException.ThrowIfNull(support);
        ArgumentOutOfRangeException.ThrowIfNegative(topK);
        CheckTemperature(temperature);
        if (queries.Rank != 2 || support.Rank != 2 || destination.Rank != 2)
        {
            throw new ArgumentException($"Expected (M, D) queries, (N, D) support and (M, D) destination; got {queries}, {support}, {destination}.");
        }

        int m = queries.Dim(0), n = support.Dim(0), d = queries.Dim(1);
        if (support.Dim(1) != d || destination.Dim(0) != m || destination.Dim(1) != d)
        {
            throw new ArgumentException($"Shapes differ: queries {queries}, support {support}, destination {destination}.", nameof(destination));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1, nameof(support));
        if (queries.Backend != destination.Backend || support.Backend != destination.Backend)
        {
            throw new ArgumentException("The queries, the support set and the destination must be tensors of one backend.", nameof(destination));
        }

        if (Overlap(destination, queries) || Overlap(destination, support))
        {
            throw new ArgumentException("The destination must not overlap the queries or the support set.", nameof(destination));
        }

        if (m == 0)
        {
            return;
        }

        if (topK > 0 && topK < n)
        {
            ProjectTopK(destination, queries, support, temperature, topK);
        }
        else
        {
            ProjectDense(destination, queries, support, temperature);
        }
    }

    private static void CheckTemperature(float temperature)
    {
        if (!(float.IsFinite(temperature) && temperature > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "The temperature must be finite and positive.");
        }
    }

    private static bool Overlap(Tensor a, Tensor b) =>
        ReferenceEquals(a.Storage, b.Storage) && a.Offset < b.Offset + b.Length && b.Offset < a.Offset + a.Length;

    private static void ProjectDense(Tensor destination, Tensor queries, Tensor support, float temperature)
    {
        int m = queries.Dim(0), n = support.Dim(0), d = queries.Dim(1);
        var qb = Math.Min(QueryBlock, m);
        var sb = Math.Min(SupportBlock, n);
        var blocks = (m + qb - 1) / qb;
        if (destination.Backend is CpuBackend cpu && cpu.Threads > 1 && blocks >= cpu.Threads)
        {
            // Enough query blocks for every core: each thread takes whole query blocks and runs them on a
            // single-threaded backend, so there is no synchronisation inside a block and the softmax runs on the same
            // core as its GEMMs. With fewer blocks than cores the GEMM's own threads share each block instead (below).
            var threads = cpu.Threads;
            var next = -1;
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
            {
                using var worker = new CpuBackend(new CpuBackendOptions { GemmProvider = cpu.GemmProvider, Threads = 1 });
                using var scratch = new BlockScratch(worker, qb, sb);
                int block;
                while ((block = Interlocked.Increment(ref next)) < blocks)
                {
                    var q0 = block * qb;
                    var mb = Math.Min(qb, m - q0);
                    ProjectQueryBlock(
                        worker, destination.View((long)q0 * d, mb, d), queries.View((long)q0 * d, mb, d), support, temperature, scratch);
                }
            });
            return;
        }

        using (var scratch = new BlockScratch(destination.Backend, qb, sb))
        {
            for (var q0 = 0; q0 < m; q0 += qb)
            {
                var mb = Math.Min(qb, m - q0);
                ProjectQueryBlock(
                    destination.Backend, destination.View((long)q0 * d, mb, d), queries.View((long)q0 * d, mb, d), support, temperature, scratch);
            }
        }
    }

    /// <summary>Backend buffers of one query block: logits (qb, sb), running maxima (qb) and row norms (qb).</summary>
    private sealed class BlockScratch : IDisposable
    {
        private readonly TensorScope _scope;

        public BlockScratch(IComputeBackend backend, int queryBlock, int supportBlock)
        {
            _scope = new TensorScope(backend);
            Logits = _scope.Allocate(queryBlock * supportBlock);
            RunMax = _scope.Allocate(queryBlock);
            Norms = _scope.Allocate(queryBlock);
        }

        public Tensor Logits { get; } // (qb·sb) logits, then weights, of one block

        public Tensor RunMax { get; } // (qb) running maximum logit m

        public Tensor Norms { get; } // (qb) row norms of the final normalisation

        public void Dispose() => _scope.Dispose();
    }

    /// <summary>Streams the whole support set past one block of queries; the accumulator lives in the destination.</summary>
    private static void ProjectQueryBlock(
        IComputeBackend backend, Tensor accumulator, Tensor queryBlock, Tensor support, float temperature, BlockScratch scratch)
    {
        int mb = queryBlock.Dim(0), n = support.Dim(0), d = support.Dim(1);
        var sb = Math.Min(SupportBlock, n);
        var runMax = scratch.RunMax.View(0, mb);
        backend.Fill(accumulator, 0f);
        backend.Fill(runMax, float.NegativeInfinity);
        for (var s0 = 0; s0 < n; s0 += sb)
        {
            var nb = Math.Min(sb, n - s0);
            var supportBlock = support.View((long)s0 * d, nb, d);
            var logits = scratch.Logits.View(0, mb, nb);

            // (mb, nb) = (1/τ) · Q_b · S_bᵀ, then a ← exp(m_old − m_new)·a and a += P·S_b with P the block's unnormalised weights.
            backend.MatMul(logits, queryBlock, false, supportBlock, true, alpha: 1f / temperature);
            backend.OnlineSoftmaxStep(weights: logits, runningMax: runMax, accumulator: accumulator, logits: logits);
            backend.MatMul(accumulator, logits, false, supportBlock, false, alpha: 1f, beta: 1f);
        }

        // The softmax denominator ℓ is a positive per-row constant, which n(·) removes; it is never needed.
        backend.L2NormalizeForward(accumulator, scratch.Norms.View(0, mb), accumulator, L2Normalize.DefaultEpsilon);
    }

    private static void ProjectTopK(Tensor destination, Tensor queries, Tensor support, float temperature, int k)
    {
        var backend = destination.Backend;
        int m = queries.Dim(0), n = support.Dim(0), d = queries.Dim(1);
        var qb = Math.Min(QueryBlock, m);
        var sb = Math.Min(SupportBlock, n);
        using var scope = new TensorScope(backend);
        var supportHost = scope.DownloadArray(support); // (N, D) the k chosen rows of each query are summed on the host
        var logits = scope.Allocate(qb * sb);
        var norms = scope.Allocate(qb);
        var logitsHost = ArrayPool<float>.Shared.Rent(qb * sb);
        var output = new float[qb * d];     // (qb, d) one block of projected rows
        var heapValues = new float[qb * k]; // (qb, k) min-heaps of the best logits so far
        var heapIndices = new int[qb * k];  // (qb, k) their support rows
        var heapCounts = new int[qb];
        var weights = new float[k];
        try
        {
            for (var q0 = 0; q0 < m; q0 += qb)
            {
                var mb = Math.Min(qb, m - q0);
                var qBlock = queries.View((long)q0 * d, mb, d);
                Array.Clear(heapCounts);
                for (var s0 = 0; s0 < n; s0 += sb)
                {
                    var nb = Math.Min(sb, n - s0);
                    var block = logits.View(0, mb, nb);
                    backend.MatMul(block, qBlock, false, support.View((long)s0 * d, nb, d), true, alpha: 1f / temperature);
                    backend.Download(logitsHost.AsSpan(0, mb * nb), block);
                    for (var r = 0; r < mb; r++)
                    {
                        var row = logitsHost.AsSpan(r * nb, nb);
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
                    var row = output.AsSpan(r * d, d);
                    row.Clear();
                    for (var j = 0; j < k; j++)
                    {
                        TensorPrimitives.MultiplyAdd(supportHost.AsSpan(indices[j] * d, d), weights[j], row, row);
                    }
                }

                var projected = destination.View((long)q0 * d, mb, d);
                backend.Upload(projected, output.AsSpan(0, mb * d));
                backend.L2NormalizeForward(projected, norms.View(0, mb), projected, L2Normalize.DefaultEpsilon);
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(logitsHost);
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
}
