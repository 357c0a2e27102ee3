using ILGPU;
using ILGPU.Algorithms;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>Cross-entropy and the symmetric InfoNCE (CLIP) loss, with the semantics of the CPU kernels.</summary>
internal static class LossKernels
{
    /// <summary>Cross-entropy of row <c>Grid.IdxX</c> with label smoothing; ignored rows get zeros.</summary>
    /// <param name="losses">(N).</param>
    /// <param name="logSumExp">(N).</param>
    /// <param name="logits">(N, V).</param>
    /// <param name="targets">(N) class indices, validated on the host.</param>
    public static void CrossEntropyForward(ArrayView<float> losses, ArrayView<float> logSumExp, ArrayView<float> logits, ArrayView<int> targets, int v, int ignoreIndex, float labelSmoothing)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var row = Grid.IdxX;
        var y = targets[row];
        if (y == ignoreIndex)
        {
            if (Group.IdxX == 0)
            {
                losses[row] = 0f;
                logSumExp[row] = 0f;
            }

            return;
        }

        var start = (long)row * v;
        var max = float.NegativeInfinity;
        for (var j = Group.IdxX; j < v; j += Group.DimX)
        {
            max = XMath.Max(max, logits[start + j]);
        }

        max = BlockReduce.Max(max, scratch);
        float sum = 0f, total = 0f;
        for (var j = Group.IdxX; j < v; j += Group.DimX)
        {
            var z = logits[start + j];
            sum += XMath.Exp(z - max);
            total += z;
        }

        var lse = max + XMath.Log(BlockReduce.Sum(sum, scratch));
        total = BlockReduce.Sum(total, scratch);
        if (Group.IdxX == 0)
        {
            var loss = (1f - labelSmoothing) * (lse - logits[start + y]);
            if (labelSmoothing != 0f)
            {
                loss += labelSmoothing * (lse - total / v);
            }

            losses[row] = loss;
            logSumExp[row] = lse;
        }
    }

    /// <summary>Cross-entropy backward of one logit (dLogits may be logits).</summary>
    /// <param name="dLogits">(N, V).</param>
    /// <param name="logits">(N, V).</param>
    /// <param name="logSumExp">(N).</param>
    /// <param name="targets">(N).</param>
    public static void CrossEntropyBackward(Index1D index, ArrayView<float> dLogits, ArrayView<float> logits, ArrayView<float> logSumExp, ArrayView<int> targets, int v, int ignoreIndex, float labelSmoothing, float scale)
    {
        var row = index.X / v;
        var j = index.X % v;
        var y = targets[row];
        if (y == ignoreIndex)
        {
            dLogits[index] = 0f;
            return;
        }

        var dz = XMath.Exp(logits[index] - logSumExp[row]) - labelSmoothing / v;
        if (j == y)
        {
            dz -= 1f - labelSmoothing;
        }

        dLogits[index] = dz * scale;
    }

    /// <summary>Row-weighted cross-entropy backward of one logit: (softmax − one-hot)·dLoss·w_row; ignored rows get zeros.</summary>
    /// <param name="dLogits">(N, V).</param>
    /// <param name="logits">(N, V).</param>
    /// <param name="logSumExp">(N).</param>
    /// <param name="targets">(N).</param>
    /// <param name="weights">(N) row weights.</param>
    public static void WeightedCrossEntropyBackward(Index1D index, ArrayView<float> dLogits, ArrayView<float> logits, ArrayView<float> logSumExp, ArrayView<int> targets, ArrayView<float> weights, int v, int ignoreIndex, float dLoss)
    {
        var row = index.X / v;
        var j = index.X % v;
        var y = targets[row];
        if (y == ignoreIndex)
        {
            dLogits[index] = 0f;
            return;
        }

        var scale = dLoss * weights[row];
        var dz = XMath.Exp(logits[index] - logSumExp[row]) * scale;
        if (j == y)
        {
            dz -= scale;
        }

        dLogits[index] = dz;
    }

    /// <summary>
    /// log Σ exp over line <c>Grid.IdxX</c> of a matrix: element k of line l sits at
    /// <c>l·lineStride + k·elementStride</c> (rows: (N, 1); columns: (1, N)).
    /// </summary>
    /// <param name="logSumExp">(lines).</param>
    /// <param name="values">The matrix.</param>
    public static void LineLogSumExp(ArrayView<float> logSumExp, ArrayView<float> values, int count, int lineStride, int elementStride)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var start = (long)Grid.IdxX * lineStride;
        var max = float.NegativeInfinity;
        for (var k = Group.IdxX; k < count; k += Group.DimX)
        {
            max = XMath.Max(max, values[start + (long)k * elementStride]);
        }

        max = BlockReduce.Max(max, scratch);
        var sum = 0f;
        for (var k = Group.IdxX; k < count; k += Group.DimX)
        {
            sum += XMath.Exp(values[start + (long)k * elementStride] - max);
        }

        sum = BlockReduce.Sum(sum, scratch);
        if (Group.IdxX == 0)
        {
            logSumExp[Grid.IdxX] = max + XMath.Log(sum);
        }
    }

    /// <summary>Per-pair loss terms (rowLSE_i − ℓ_ii) + (colLSE_i − ℓ_ii), summed on the host.</summary>
    /// <param name="terms">(N).</param>
    /// <param name="logits">(N, N).</param>
    /// <param name="rowLogSumExp">(N).</param>
    /// <param name="columnLogSumExp">(N).</param>
    public static void ContrastiveTerms(Index1D i, ArrayView<float> terms, ArrayView<float> logits, ArrayView<float> rowLogSumExp, ArrayView<float> columnLogSumExp, int n)
    {
        var diagonal = logits[(long)i.X * n + i.X];
        terms[i] = (rowLogSumExp[i] - diagonal) + (columnLogSumExp[i] - diagonal);
    }

    /// <summary>
    /// Gradient of the symmetric loss with respect to one logit:
    /// <c>(softmax_row + softmax_column − 2·[i = j])·dLoss/(2N)</c>.
    /// </summary>
    /// <param name="dLogits">(N, N).</param>
    /// <param name="logits">(N, N).</param>
    /// <param name="rowLogSumExp">(N).</param>
    /// <param name="columnLogSumExp">(N).</param>
    public static void ContrastiveGradient(Index1D index, ArrayView<float> dLogits, ArrayView<float> logits, ArrayView<float> rowLogSumExp, ArrayView<float> columnLogSumExp, int n, float factor)
    {
        var i = index.X / n;
        var j = index.X % n;
        var l = logits[index];
        var g = XMath.Exp(l - rowLogSumExp[i]) + XMath.Exp(l - columnLogSumExp[j]);
        if (i == j)
        {
            g -= 2f;
        }

        dLogits[index] = g * factor;
    }
}
