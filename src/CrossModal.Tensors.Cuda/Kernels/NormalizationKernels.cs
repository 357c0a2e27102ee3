using ILGPU;
using ILGPU.Algorithms;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>
/// Row-wise LayerNorm, softmax and L2 normalisation: one group per row, threads striding over the row, group
/// reductions by <see cref="BlockReduce"/>. Two passes (mean, then squared deviations) as the CPU kernels.
/// </summary>
internal static class NormalizationKernels
{
    /// <summary>LayerNorm forward of row <c>Grid.IdxX</c>.</summary>
    /// <param name="output">(N, C).</param>
    /// <param name="mean">(N).</param>
    /// <param name="rstd">(N).</param>
    /// <param name="input">(N, C).</param>
    /// <param name="weight">(C).</param>
    /// <param name="bias">(C).</param>
    public static void LayerNormForward(ArrayView<float> output, ArrayView<float> mean, ArrayView<float> rstd, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> bias, int c, float epsilon)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var row = Grid.IdxX;
        var start = (long)row * c;
        var sum = 0f;
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            sum += input[start + j];
        }

        var m = BlockReduce.Sum(sum, scratch) / c;
        var squares = 0f;
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            var d = input[start + j] - m;
            squares += d * d;
        }

        var s = 1f / XMath.Sqrt(BlockReduce.Sum(squares, scratch) / c + epsilon);
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            output[start + j] = (input[start + j] - m) * s * weight[j] + bias[j];
        }

        if (Group.IdxX == 0)
        {
            mean[row] = m;
            rstd[row] = s;
        }
    }

    /// <summary>LayerNorm backward into dInput for row <c>Grid.IdxX</c> (overwritten).</summary>
    /// <param name="dInput">(N, C).</param>
    /// <param name="dOutput">(N, C).</param>
    /// <param name="input">(N, C).</param>
    /// <param name="weight">(C).</param>
    /// <param name="mean">(N).</param>
    /// <param name="rstd">(N).</param>
    public static void LayerNormBackwardInput(ArrayView<float> dInput, ArrayView<float> dOutput, ArrayView<float> input, ArrayView<float> weight, ArrayView<float> mean, ArrayView<float> rstd, int c)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var row = Grid.IdxX;
        var start = (long)row * c;
        float m = mean[row], s = rstd[row];
        float sumG = 0f, sumGx = 0f;
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            var g = dOutput[start + j] * weight[j];
            sumG += g;
            sumGx += g * (input[start + j] - m) * s;
        }

        var meanG = BlockReduce.Sum(sumG, scratch) / c;
        var meanGx = BlockReduce.Sum(sumGx, scratch) / c;
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            var xhat = (input[start + j] - m) * s;
            dInput[start + j] = s * (dOutput[start + j] * weight[j] - meanG - xhat * meanGx);
        }
    }

    /// <summary>LayerNorm parameter gradients, one thread per column, rows in order (deterministic, no atomics).</summary>
    /// <param name="dWeight">(C) accumulated.</param>
    /// <param name="dBias">(C) accumulated.</param>
    /// <param name="dOutput">(N, C).</param>
    /// <param name="input">(N, C).</param>
    /// <param name="mean">(N).</param>
    /// <param name="rstd">(N).</param>
    public static void LayerNormBackwardParameters(Index1D j, ArrayView<float> dWeight, ArrayView<float> dBias, ArrayView<float> dOutput, ArrayView<float> input, ArrayView<float> mean, ArrayView<float> rstd, int n, int c)
    {
        float dw = dWeight[j], db = dBias[j];
        for (var row = 0; row < n; row++)
        {
            var index = (long)row * c + j;
            var dy = dOutput[index];
            db += dy;
            dw += dy * ((input[index] - mean[row]) * rstd[row]);
        }

        dWeight[j] = dw;
        dBias[j] = db;
    }

    /// <summary>Softmax of row <c>Grid.IdxX</c>; output may be input.</summary>
    /// <param name="output">(N, C).</param>
    /// <param name="input">(N, C).</param>
    public static void SoftmaxForward(ArrayView<float> output, ArrayView<float> input, int c)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var start = (long)Grid.IdxX * c;
        var max = float.NegativeInfinity;
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            max = XMath.Max(max, input[start + j]);
        }

        BlockReduce.Softmax(output, input, start, c, BlockReduce.Max(max, scratch), scratch);
    }

    /// <summary>
    /// One block of the streaming softmax-weighted sum for row <c>Grid.IdxX</c>, as the CPU's <c>Softmax.OnlineStep</c>
    /// (Milakov and Gimelshein, 2018, "Online normalizer calculation for softmax"): the running maximum takes in the
    /// block, the weights become exp(logit − m), and the accumulator row shrinks by exp(m_old − m).
    /// </summary>
    /// <param name="weights">(N, C) written; may be <paramref name="logits"/>.</param>
    /// <param name="runningMax">(N) updated.</param>
    /// <param name="accumulator">(N, D) rescaled in place.</param>
    /// <param name="logits">(N, C).</param>
    public static void OnlineSoftmaxStep(ArrayView<float> weights, ArrayView<float> runningMax, ArrayView<float> accumulator, ArrayView<float> logits, int c, int d)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var row = Grid.IdxX;
        var start = (long)row * c;
        var old = runningMax[row];
        var max = float.NegativeInfinity;
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            max = XMath.Max(max, logits[start + j]);
        }

        // Every thread has read the old maximum before the reduction's barriers, so thread 0 may overwrite it after.
        var newMax = XMath.Max(old, BlockReduce.Max(max, scratch));
        if (Group.IdxX == 0)
        {
            runningMax[row] = newMax;
        }

        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            weights[start + j] = XMath.Exp(logits[start + j] - newMax);
        }

        var scale = old == float.NegativeInfinity ? 0f : XMath.Exp(old - newMax);
        if (scale != 1f)
        {
            var accumulatorStart = (long)row * d;
            for (var j = Group.IdxX; j < d; j += Group.DimX)
            {
                accumulator[accumulatorStart + j] *= scale;
            }
        }
    }

    /// <summary>Softmax backward of row <c>Grid.IdxX</c>: dx = y ⊙ (dy − dy·y); dInput may be dOutput.</summary>
    /// <param name="dInput">(N, C).</param>
    /// <param name="dOutput">(N, C).</param>
    /// <param name="output">(N, C).</param>
    public static void SoftmaxBackward(ArrayView<float> dInput, ArrayView<float> dOutput, ArrayView<float> output, int c)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var start = (long)Grid.IdxX * c;
        var dot = 0f;
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            dot += dOutput[start + j] * output[start + j];
        }

        dot = BlockReduce.Sum(dot, scratch);
        for (var j = Group.IdxX; j < c; j += Group.DimX)
        {
            dInput[start + j] = (dOutput[start + j] - dot) * output[start + j];
        }
    }

    /// <summary>L2 normalisation of row <c>Grid.IdxX</c>: x / max(‖x‖, ε); output may be input.</summary>
    /// <param name="output">(N, D).</param>
    /// <param name="norms">(N).</param>
    /// <param name="input">(N, D).</param>
    public static void L2NormalizeForward(ArrayView<float> output, ArrayView<float> norms, ArrayView<float> input, int d, float epsilon)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var start = (long)Grid.IdxX * d;
        var squares = 0f;
        for (var j = Group.IdxX; j < d; j += Group.DimX)
        {
            var x = input[start + j];
            squares += x * x;
        }

        var norm = XMath.Sqrt(BlockReduce.Sum(squares, scratch));
        var inverse = 1f / XMath.Max(norm, epsilon);
        for (var j = Group.IdxX; j < d; j += Group.DimX)
        {
            output[start + j] = input[start + j] * inverse;
        }

        if (Group.IdxX == 0)
        {
            norms[Grid.IdxX] = norm;
        }
    }

    /// <summary>L2 normalisation backward of row <c>Grid.IdxX</c>: (dy − (y·dy)·y)/‖x‖, or dy/ε below ε.</summary>
    /// <param name="dInput">(N, D).</param>
    /// <param name="dOutput">(N, D).</param>
    /// <param name="output">(N, D).</param>
    /// <param name="norms">(N).</param>
    public static void L2NormalizeBackward(ArrayView<float> dInput, ArrayView<float> dOutput, ArrayView<float> output, ArrayView<float> norms, int d, float epsilon)
    {
        var scratch = SharedMemory.Allocate<float>(BlockReduce.MaxWarps);
        var start = (long)Grid.IdxX * d;
        var norm = norms[Grid.IdxX];
        var dot = 0f;
        for (var j = Group.IdxX; j < d; j += Group.DimX)
        {
            dot += output[start + j] * dOutput[start + j];
        }

        dot = BlockReduce.Sum(dot, scratch);
        for (var j = Group.IdxX; j < d; j += Group.DimX)
        {
            dInput[start + j] = norm >= epsilon ? (dOutput[start + j] - dot * output[start + j]) / norm : dOutput[start + j] / epsilon;
        }
    }
}
