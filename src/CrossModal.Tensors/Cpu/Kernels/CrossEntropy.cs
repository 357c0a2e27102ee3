using System;
using System.Buffers;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Softmax cross-entropy over a vocabulary, fused, as <c>torch.nn.functional.cross_entropy(logits, targets,
/// ignore_index, label_smoothing=ε)</c> with mean reduction: for each row with target y ≠ ignore,
/// <c>loss_n = (1 − ε)·(lse − z_y) + (ε/V)·Σ_j (lse − z_j)</c>, where <c>lse = log Σ_j exp(z_j)</c>; the result is the
/// mean over those rows. Only the row's log-sum-exp is kept between passes: no probability matrix is stored.
/// </summary>
public static class CrossEntropy
{
    private const int StackLimit = 8192;

    [ThreadStatic]
    private static Job? t_job;

    /// <summary>Forward pass; returns the mean loss over rows whose target is not <paramref name="ignoreIndex"/> (0 when none).</summary>
    /// <param name="losses">(N) written: each row's loss, 0 for ignored rows.</param>
    /// <param name="logSumExp">(N) written: each row's log Σ exp(z), kept for the backward pass.</param>
    /// <param name="logits">(N, V) unnormalised scores z.</param>
    /// <param name="targets">(N) class indices in [0, V), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="v">Classes V.</param>
    /// <param name="ignoreIndex">Targets equal to this are skipped (PyTorch's default is −100).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    public static float Forward(
        Span<float> losses, Span<float> logSumExp, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets,
        int n, int v, int ignoreIndex, float labelSmoothing)
    {
        KernelChecks.Length(losses, n, nameof(losses));
        KernelChecks.Length(logSumExp, n, nameof(logSumExp));
        KernelChecks.Length(logits, (long)n * v, nameof(logits));
        KernelChecks.Count(targets, n, nameof(targets));
        CheckSmoothing(labelSmoothing);
        var parts = WorkerPool.Kernels.PartsFor(4L * n * v, n);
        if (parts == 1)
        {
            var (total, count) = ForwardRange(losses, logSumExp, logits, targets, v, ignoreIndex, labelSmoothing, 0, n);
            return count == 0 ? 0f : (float)(total / count);
        }

        unsafe
        {
            fixed (float* l = losses, s = logSumExp)
            fixed (float* z = logits)
            fixed (int* y = targets)
            {
                var job = t_job ??= new Job();
                job.Losses = l;
                job.LogSumExp = s;
                job.Logits = z;
                job.Targets = y;
                (job.N, job.V, job.IgnoreIndex, job.LabelSmoothing, job.Backward) = (n, v, ignoreIndex, labelSmoothing, false);
                WorkerPool.Kernels.Run(job, parts);
                double total = 0;
                var count = 0;
                for (var i = 0; i < parts; i++)
                {
                    total += job.Totals[i];
                    count += job.Counts[i];
                }

                return count == 0 ? 0f : (float)(total / count);
            }
        }
    }

    private static (double Total, int Count) ForwardRange(
        Span<float> losses, Span<float> logSumExp, ReadOnlySpan<float> logits, ReadOnlySpan<int> targets,
        int v, int ignoreIndex, float labelSmoothing, int start, int end)
    {
        double total = 0;
        var count = 0;

        // One row of exp(z − max) at a time: the only V-sized intermediate.
        float[]? rented = null;
        var row = v <= StackLimit ? stackalloc float[v] : (rented = ArrayPool<float>.Shared.Rent(v)).AsSpan(0, v);
        for (var i = start; i < end; i++)
        {
            var y = targets[i];
            if (y == ignoreIndex)
            {
                losses[i] = 0f;
                logSumExp[i] = 0f;
                continue;
            }

            if ((uint)y >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"targets[{i}] = {y} is outside [0, {v}) and is not the ignore index {ignoreIndex}.");
            }

            var z = logits.Slice(i * v, v);
            var max = TensorPrimitives.Max(z);
            TensorPrimitives.Subtract(z, max, row);
            TensorPrimitives.Exp(row, row);
            var lse = max + MathF.Log(TensorPrimitives.Sum(row));
            var loss = (1f - labelSmoothing) * (lse - z[y]);
            if (labelSmoothing != 0f)
            {
                loss += labelSmoothing * (lse - TensorPrimitives.Sum(z) / v);
            }

            losses[i] = loss;
            logSumExp[i] = lse;
            total += loss;
            count++;
        }

        if (rented is not null)
        {
            ArrayPool<float>.Shared.Return(rented);
        }

        return (total, count);
    }

    /// <summary>
    /// Backward pass of the mean loss: <c>dz = dloss·(softmax(z) − q)/count</c> with the target distribution
    /// <c>q = (1 − ε)·onehot(y) + ε/V</c>; ignored rows get zero (overwritten).
    /// </summary>
    /// <param name="dlogits">(N, V) overwritten; may be <paramref name="logits"/> itself.</param>
    /// <param name="logits">(N, V) as given to the forward pass.</param>
    /// <param name="logSumExp">(N) from the forward pass.</param>
    /// <param name="targets">(N) as given to the forward pass.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="v">Classes V.</param>
    /// <param name="ignoreIndex">As given to the forward pass.</param>
    /// <param name="labelSmoothing">As given to the forward pass.</param>
    /// <param name="dloss">Gradient of the mean loss (1 when it is the objective).</param>
    public static void Backward(
        Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        int n, int v, int ignoreIndex, float labelSmoothing, float dloss)
    {
        KernelChecks.Length(dlogits, (long)n * v, nameof(dlogits));
        KernelChecks.Length(logits, (long)n * v, nameof(logits));
        KernelChecks.Length(logSumExp, n, nameof(logSumExp));
        KernelChecks.Count(targets, n, nameof(targets));
        CheckSmoothing(labelSmoothing);
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            if (targets[i] != ignoreIndex)
            {
                count++;
            }
        }

        var scale = count == 0 ? 0f : dloss / count;
        var parts = WorkerPool.Kernels.PartsFor(4L * n * v, n);
        if (parts == 1)
        {
            BackwardRange(dlogits, logits, logSumExp, targets, v, ignoreIndex, labelSmoothing, scale, 0, n);
            return;
        }

        unsafe
        {
            fixed (float* d = dlogits)
            fixed (float* z = logits, s = logSumExp)
            fixed (int* y = targets)
            {
                var job = t_job ??= new Job();
                job.DLogits = d;
                job.Logits = z;
                job.LogSumExp = s;
                job.Targets = y;
                (job.N, job.V, job.IgnoreIndex, job.LabelSmoothing, job.Scale, job.Backward) = (n, v, ignoreIndex, labelSmoothing, scale, true);
                WorkerPool.Kernels.Run(job, parts);
            }
        }
    }

    private static void BackwardRange(
        Span<float> dlogits, ReadOnlySpan<float> logits, ReadOnlySpan<float> logSumExp, ReadOnlySpan<int> targets,
        int v, int ignoreIndex, float labelSmoothing, float scale, int start, int end)
    {
        var uniform = labelSmoothing / v;
        for (var i = start; i < end; i++)
        {
            var y = targets[i];
            var dz = dlogits.Slice(i * v, v);
            if (y == ignoreIndex)
            {
                dz.Clear();
                continue;
            }

            if ((uint)y >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"targets[{i}] = {y} is outside [0, {v}) and is not the ignore index {ignoreIndex}.");
            }

            var z = logits.Slice(i * v, v);
            TensorPrimitives.Subtract(z, logSumExp[i], dz);
            TensorPrimitives.Exp(dz, dz);
            if (uniform != 0f)
            {
                TensorPrimitives.Subtract(dz, uniform, dz);
            }

            dz[y] -= 1f - labelSmoothing;
            TensorPrimitives.Multiply(dz, scale, dz);
        }
    }

    private sealed unsafe class Job : IParallelWork
    {
        public readonly double[] Totals = new double[Environment.ProcessorCount];
        public readonly int[] Counts = new int[Environment.ProcessorCount];
        public float* Losses;
        public float* LogSumExp;
        public float* Logits;
        public float* DLogits;
        public int* Targets;
        public int N;
        public int V;
        public int IgnoreIndex;
        public float LabelSmoothing;
        public float Scale;
        public bool Backward;

        public void Execute(int part, int parts)
        {
            var (start, end) = WorkerPool.Range(N, part, parts);
            var logits = new ReadOnlySpan<float>(Logits, N * V);
            var lse = new Span<float>(LogSumExp, N);
            var targets = new ReadOnlySpan<int>(Targets, N);
            if (Backward)
            {
                BackwardRange(new Span<float>(DLogits, N * V), logits, lse, targets, V, IgnoreIndex, LabelSmoothing, Scale, start, end);
            }
            else
            {
                (Totals[part], Counts[part]) = ForwardRange(new Span<float>(Losses, N), lse, logits, targets, V, IgnoreIndex, LabelSmoothing, start, end);
            }
        }
    }

    private static void CheckSmoothing(float labelSmoothing)
    {
        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Expected a label smoothing in [0, 1].");
        }
    }
}
