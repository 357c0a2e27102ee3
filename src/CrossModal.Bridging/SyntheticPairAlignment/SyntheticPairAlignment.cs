using System;
using System.Linq;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Bridging;

/// <summary>
/// SynTIC's feature alignment (Liu et al., "Improving Cross-Modal Alignment with Synthetic Pairs for Text-Only
/// Image Captioning", AAAI 2024, §3): pseudo-image features of synthetic
/// images are moved toward their captions by gradient descent on the symmetric InfoNCE loss of the batch.
/// </summary>
/// <remarks>
/// For a batch with unit rows V (b, D) and T (b, D), S = V·Tᵀ/τ, P = row-softmax(S), Q = column-softmax(S) and
/// L = Σ_i ½(−log P_ii − log Q_ii) (summed, so the step size does not depend on b). Then
/// ∂L/∂S = ½(P − I) + ½(Q − I) and ∂L/∂V = (1/τ)·(∂L/∂S)·T. Each step is V ← n(V − η·∂L/∂V): gradient descent
/// projected back onto the unit sphere where CLIP features live.
/// </remarks>
public static class SyntheticPairAlignment
{
    /// <summary>Runs the alignment on consecutive batches of pairs (host memory in and out).</summary>
    /// <param name="destination">(n, D) aligned, L2-normalised features.</param>
    /// <param name="pseudoImages">(n, D) pseudo-image features, L2-normalised.</param>
    /// <param name="texts">(n, D) their texts' embeddings, L2-normalised; row i pairs with row i.</param>
    /// <param name="count">n.</param>
    /// <param name="dimension">D.</param>
    /// <param name="options">Steps, step size, temperature and batch size.</param>
    /// <param name="backend">Where the work runs; <see cref="CpuBackend.Default"/> when null.</param>
    /// <returns>The loss summed over all batches before the first step (index 0) and after each step.</returns>
    public static double[] Align(
        Span<float> destination, ReadOnlySpan<float> pseudoImages, ReadOnlySpan<float> texts, int count, int dimension,
        SyntheticPairAlignmentOptions options, IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        var total = count * dimension;
        if (pseudoImages.Length < (long)count * dimension || texts.Length < (long)count * dimension || destination.Length < (long)count * dimension)
        {
            throw new ArgumentException($"pseudoImages, texts and destination must each hold {count} × {dimension} values.");
        }

        if (count == 0)
        {
            return new double[options.Steps + 1];
        }

        using var scope = new TensorScope(backend ?? CpuBackend.Default);
        var v = scope.Upload(pseudoImages[..total], count, dimension);
        var t = scope.Upload(texts[..total], count, dimension);
        var aligned = scope.Allocate(count, dimension);
        var losses = Align(aligned, v, t, options);
        scope.Backend.Download(destination[..total], aligned);
        return losses;
    }

    /// <summary>Runs the alignment on consecutive batches of pairs, all on the tensors' backend.</summary>
    /// <param name="destination">(n, D) aligned, L2-normalised features; may be <paramref name="pseudoImages"/>.</param>
    /// <param name="pseudoImages">(n, D) pseudo-image features, L2-normalised.</param>
    /// <param name="texts">(n, D) their texts' embeddings, L2-normalised; row i pairs with row i.</param>
    /// <param name="options">Steps, step size, temperature and batch size.</param>
    /// <returns>The loss summed over all batches before the first step (index 0) and after each step.</returns>
    public static double[] Align(Tensor destination, Tensor pseudoImages, Tensor texts, SyntheticPairAlignmentOptions options)
    {
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(pseudoImages);
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (pseudoImages.Rank != 2 || !pseudoImages.Shape.SequenceEqual(texts.Shape) || !pseudoImages.Shape.SequenceEqual(destination.Shape))
        {
            throw new ArgumentException($"pseudoImages, texts and destination must be (n, D) of one shape; got {pseudoImages}, {texts}, {destination}.");
        }

        var backend = destination.Backend;
        int count = pseudoImages.Dim(0), dimension = pseudoImages.Dim(1);
        var losses = new double[options.Steps + 1];
        if (count == 0)
        {
            return losses;
        }

        backend.Copy(destination: destination, source: pseudoImages);
        var b = Math.Min(options.BatchSize, count);
        using var scope = new TensorScope(backend);
        var scratch = new LossScratch(scope, b, dimension);
        var gradient = scope.Allocate(b * dimension); // (b, D) ∂L/∂V
        var norms = scope.Allocate(b);
        var tau = (float)options.Temperature;
        for (var start = 0; start < count; start += b)
        {
            var rows = Math.Min(b, count - start);
            var v = destination.View((long)start * dimension, rows, dimension);
            var t = texts.View((long)start * dimension, rows, dimension);
            var g = gradient.View(0, rows, dimension);
            for (var step = 0; step <= options.Steps; step++)
            {
                losses[step] += LossAndGradient(g, v, t, tau, scratch);
                if (step == options.Steps)
                {
                    break;
                }

                backend.Axpy(v, (float)-options.StepSize, g);
                backend.L2NormalizeForward(v, norms.View(0, rows), v, L2Normalize.DefaultEpsilon);
            }
        }

        return losses;
    }

    /// <summary>Backend buffers of the loss of one batch of at most b pairs.</summary>
    internal sealed class LossScratch
    {
        public LossScratch(TensorScope scope, int b, int d)
        {
            Scaled = scope.Allocate(b * d);
            Logits = scope.Allocate(b * b);
            DLogits = scope.Allocate(b * b);
            RowLogSumExp = scope.Allocate(b);
            ColumnLogSumExp = scope.Allocate(b);
            DText = scope.Allocate(b * d);
            LogScale = scope.Allocate(1); // log 1: the temperature is folded into the scaled features instead
            DLogScale = scope.Allocate(1);
        }

        public Tensor Scaled { get; }          // (b, D) V/τ

        public Tensor Logits { get; }          // (b, b) S = (V/τ)·Tᵀ

        public Tensor DLogits { get; }         // (b, b) ∂L/∂S

        public Tensor RowLogSumExp { get; }    // (b)

        public Tensor ColumnLogSumExp { get; } // (b)

        public Tensor DText { get; }           // (b, D) ∂L/∂T, not used

        public Tensor LogScale { get; }        // (1) 0

        public Tensor DLogScale { get; }       // (1) not used
    }

    /// <summary>
    /// The symmetric InfoNCE loss of one batch and its gradient with respect to V, by the backend's CLIP loss
    /// (<see cref="IComputeBackend.ContrastiveLossForward"/>) on V/τ with logit scale 1: its mean over the b rows times b
    /// is the summed loss, and its gradient with respect to V/τ, divided by τ, is ∂L/∂V.
    /// </summary>
    /// <param name="gradient">(b, D) written: ∂L/∂V.</param>
    /// <param name="v">(b, D) features.</param>
    /// <param name="t">(b, D) texts.</param>
    /// <param name="tau">Temperature τ.</param>
    /// <param name="scratch">Buffers for at least b rows.</param>
    /// <returns>L = Σ_i ½(−log P_ii − log Q_ii).</returns>
    internal static double LossAndGradient(Tensor gradient, Tensor v, Tensor t, float tau, LossScratch scratch)
    {
        var backend = gradient.Backend;
        int b = v.Dim(0), d = v.Dim(1);
        var scaled = scratch.Scaled.View(0, b, d);
        var logits = scratch.Logits.View(0, b, b);
        var dLogits = scratch.DLogits.View(0, b, b);
        var rowLse = scratch.RowLogSumExp.View(0, b);
        var columnLse = scratch.ColumnLogSumExp.View(0, b);
        backend.Copy(destination: scaled, source: v);
        backend.Scale(scaled, 1f / tau);
        var mean = backend.ContrastiveLossForward(logits, rowLse, columnLse, scaled, t, scratch.LogScale);
        backend.ContrastiveLossBackward(
            gradient, scratch.DText.View(0, b, d), scratch.DLogScale, dLogits, logits, rowLse, columnLse, scaled, t, scratch.LogScale, dLoss: b);
        backend.Scale(gradient, 1f / tau);
        return (double)mean * b;
    }

    /// <summary>The loss and gradient of one batch in host memory (for tests): see the tensor overload.</summary>
    internal static double LossAndGradient(ReadOnlySpan<float> v, ReadOnlySpan<float> t, int b, int d, float tau, Span<float> gradient)
    {
        using var scope = new TensorScope(CpuBackend.Default);
        var g = scope.Allocate(b, d);
        var loss = LossAndGradient(g, scope.Upload(v[..(b * d)], b, d), scope.Upload(t[..(b * d)], b, d), tau, new LossScratch(scope, b, d));
        scope.Backend.Download(gradient[..(b * d)], g);
        return loss;
    }
}
