using System;
using CrossModal.Tensors.Cuda.Kernels;
using ILGPU;
using ILGPU.Runtime;

namespace CrossModal.Tensors.Cuda;

/// <content>The nn-layer, loss and optimiser operations of <see cref="IComputeBackend"/>: shape checks, then kernels.</content>
public sealed partial class CudaBackend
{
    /// <inheritdoc />
    public void LinearForward(Tensor output, Tensor input, Tensor weight, Tensor? bias)
    {
        var (oc, c) = Matrix(weight, nameof(weight));
        var n = Rows(input, c, nameof(input));
        var o = Same(output, (long)n * oc, nameof(output));
        if (n == 0 || oc == 0)
        {
            return;
        }

        Gemm(false, true, n, oc, c, 1f, View(input), c, 0, View(weight), c, 0, 0f, o, oc, 0, 1);
        if (bias is not null)
        {
            var b = Same(bias, oc, nameof(bias));
            (_addBias ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.AddBias))(_stream, (int)o.Length, o, b, oc);
        }
    }

    /// <inheritdoc />
    public void LinearBackward(Tensor? dInput, Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input, Tensor weight)
    {
        var (oc, c) = Matrix(weight, nameof(weight));
        var n = Rows(input, c, nameof(input));
        var dout = Same(dOutput, (long)n * oc, nameof(dOutput));
        var dw = Same(dWeight, (long)oc * c, nameof(dWeight));
        if (n == 0)
        {
            return;
        }

        if (dInput is not null)
        {
            Gemm(false, false, n, c, oc, 1f, dout, oc, 0, View(weight), c, 0, 0f, Same(dInput, (long)n * c, nameof(dInput)), c, 0, 1);
        }

        Gemm(true, false, oc, c, n, 1f, dout, oc, 0, View(input), c, 0, 1f, dw, c, 0, 1);
        if (dBias is not null && oc > 0)
        {
            (_biasBackward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(ElementwiseKernels.BiasBackward))(
                _stream, oc, Same(dBias, oc, nameof(dBias)), dout, n, oc);
        }
    }

    /// <inheritdoc />
    public void LayerNormForward(Tensor output, Tensor mean, Tensor rstd, Tensor input, Tensor weight, Tensor bias, float epsilon)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var c = (int)weight.Length;
        var n = Rows(input, c, nameof(input));
        if (n == 0)
        {
            return;
        }

        (_layerNormForward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(NormalizationKernels.LayerNormForward))(
            _stream, PerRow(n), Same(output, (long)n * c, nameof(output)), Same(mean, n, nameof(mean)), Same(rstd, n, nameof(rstd)), View(input), View(weight), Same(bias, c, nameof(bias)), c, epsilon);
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor dInput, Tensor dWeight, Tensor dBias, Tensor dOutput, Tensor input, Tensor weight, Tensor mean, Tensor rstd)
    {
        ArgumentNullException.ThrowIfNull(weight);
        var c = (int)weight.Length;
        var n = Rows(input, c, nameof(input));
        if (n == 0)
        {
            return;
        }

        var dout = Same(dOutput, (long)n * c, nameof(dOutput));
        var x = View(input);
        var w = View(weight);
        var m = Same(mean, n, nameof(mean));
        var s = Same(rstd, n, nameof(rstd));
        (_layerNormBackwardInput ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(NormalizationKernels.LayerNormBackwardInput))(
            _stream, PerRow(n), Same(dInput, (long)n * c, nameof(dInput)), dout, x, w, m, s, c);
        (_layerNormBackwardParameters ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(NormalizationKernels.LayerNormBackwardParameters))(
            _stream, c, Same(dWeight, c, nameof(dWeight)), Same(dBias, c, nameof(dBias)), dout, x, m, s, n, c);
    }

    /// <inheritdoc />
    public void EmbeddingForward(Tensor output, ReadOnlySpan<int> ids, Tensor table)
    {
        var (v, c) = Matrix(table, nameof(table));
        CheckIds(ids, v);
        var o = Same(output, (long)ids.Length * c, nameof(output));
        if (o.Length == 0)
        {
            return;
        }

        var deviceIds = UploadInts(ids);
        (_embeddingForward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<int>, ArrayView<float>, int>(EmbeddingKernels.Forward))(
            _stream, (int)o.Length, o, deviceIds, View(table), c);
    }

    /// <inheritdoc />
    public void EmbeddingBackward(Tensor dTable, Tensor dOutput, ReadOnlySpan<int> ids)
    {
        var (v, c) = Matrix(dTable, nameof(dTable));
        CheckIds(ids, v);
        var dout = Same(dOutput, (long)ids.Length * c, nameof(dOutput));
        if (ids.Length == 0 || c == 0)
        {
            return;
        }

        var deviceIds = UploadInts(ids);
        (_embeddingBackward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int>(EmbeddingKernels.Backward))(
            _stream, c, View(dTable), dout, deviceIds, ids.Length, c);
    }

    /// <inheritdoc />
    public void AddPositionEmbedding(Tensor x, Tensor positions, int batch, int time)
    {
        var (maxTime, c) = Matrix(positions, nameof(positions));
        CheckPositions(maxTime, time, nameof(positions));
        var xs = Same(x, (long)batch * time * c, nameof(x));
        if (xs.Length == 0)
        {
            return;
        }

        (_addPositions ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int>(EmbeddingKernels.AddPositions))(
            _stream, (int)xs.Length, xs, View(positions), time * c);
    }

    /// <inheritdoc />
    public void AddPositionEmbeddingBackward(Tensor dPositions, Tensor dX, int batch, int time)
    {
        var (maxTime, c) = Matrix(dPositions, nameof(dPositions));
        CheckPositions(maxTime, time, nameof(dPositions));
        var dx = Same(dX, (long)batch * time * c, nameof(dX));
        if (time * c == 0)
        {
            return;
        }

        (_addPositionsBackward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, int, int>(EmbeddingKernels.AddPositionsBackward))(
            _stream, time * c, View(dPositions), dx, batch, time * c);
    }

    /// <inheritdoc />
    public void ActivationForward(Activation kind, Tensor output, Tensor input)
    {
        CheckActivation(kind);
        var x = View(input);
        Launch(ref _activationForward, ElementwiseKernels.ActivationForward, Same(output, x.Length, nameof(output)), x, (int)kind);
    }

    /// <inheritdoc />
    public void ActivationBackward(Activation kind, Tensor dInput, Tensor dOutput, Tensor input, Tensor output)
    {
        CheckActivation(kind);
        var x = View(input);
        var dx = Same(dInput, x.Length, nameof(dInput));
        if (dx.Length == 0)
        {
            return;
        }

        (_activationBackward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.ActivationBackward))(
            _stream, (int)dx.Length, dx, Same(dOutput, x.Length, nameof(dOutput)), x, Same(output, x.Length, nameof(output)), (int)kind);
    }

    /// <inheritdoc />
    public void SoftmaxForward(Tensor output, Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var c = input.Dim(-1);
        var n = Rows(input, c, nameof(input));
        if (n == 0 || c == 0)
        {
            return;
        }

        (_softmaxForward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int>(NormalizationKernels.SoftmaxForward))(
            _stream, PerRow(n), Same(output, (long)n * c, nameof(output)), View(input), c);
    }

    /// <inheritdoc />
    public void OnlineSoftmaxStep(Tensor weights, Tensor runningMax, Tensor accumulator, Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(runningMax);
        var n = (int)runningMax.Length;
        var c = Rows(logits, n, nameof(logits));
        var d = Rows(accumulator, n, nameof(accumulator));
        var m = View(runningMax);
        var w = Same(weights, (long)n * c, nameof(weights));
        var acc = View(accumulator);
        if (c == 0)
        {
            return;
        }

        (_onlineSoftmaxStep ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int>(NormalizationKernels.OnlineSoftmaxStep))(
            _stream, PerRow(n), w, m, acc, View(logits), c, d);
    }

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor dInput, Tensor dOutput, Tensor output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = output.Dim(-1);
        var n = Rows(output, c, nameof(output));
        if (n == 0)
        {
            return;
        }

        (_softmaxBackward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(NormalizationKernels.SoftmaxBackward))(
            _stream, PerRow(n), Same(dInput, (long)n * c, nameof(dInput)), Same(dOutput, (long)n * c, nameof(dOutput)), View(output), c);
    }

    /// <inheritdoc />
    public void AttentionForward(Tensor output, Tensor attention, Tensor qkv, ReadOnlySpan<byte> keyMask, bool causal, int batch, int time, int heads)
    {
        ArgumentNullException.ThrowIfNull(output);
        var c = output.Dim(-1);
        CheckHeads(c, heads);
        var o = Same(output, (long)batch * time * c, nameof(output));
        var att = Same(attention, (long)batch * heads * time * time, nameof(attention));
        var q = Same(qkv, (long)batch * time * 3 * c, nameof(qkv));
        if (!keyMask.IsEmpty && keyMask.Length != batch * time)
        {
            throw new ArgumentException($"Expected {batch * time} mask entries but got {keyMask.Length}.", nameof(keyMask));
        }

        if (batch * heads * time == 0)
        {
            return;
        }

        var mask = UploadBytes(keyMask);
        (_attentionForward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<byte>, int, int, int, int, int>(AttentionKernels.Forward))(
            _stream, PerRow(batch * heads * time), o, att, q, mask, keyMask.IsEmpty ? 0 : 1, causal ? 1 : 0, time, c, heads);
    }

    /// <inheritdoc />
    public void AttentionBackward(Tensor dQkv, Tensor dOutput, Tensor qkv, Tensor attention, int batch, int time, int heads)
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        var c = dOutput.Dim(-1);
        CheckHeads(c, heads);
        var dout = Same(dOutput, (long)batch * time * c, nameof(dOutput));
        var att = Same(attention, (long)batch * heads * time * time, nameof(attention));
        var q = Same(qkv, (long)batch * time * 3 * c, nameof(qkv));
        var dq = Same(dQkv, (long)batch * time * 3 * c, nameof(dQkv));
        if (batch * heads * time == 0)
        {
            return;
        }

        var dScores = Scratch(att.Length);
        (_attentionBackwardScores ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(AttentionKernels.BackwardScores))(
            _stream, PerRow(batch * heads * time), dScores, dout, q, att, time, c, heads);
        (_attentionBackwardInputs ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(AttentionKernels.BackwardInputs))(
            _stream, batch * time * c, dq, dScores, dout, q, att, time, c, heads);
    }

    /// <inheritdoc />
    public void CachedAttentionForward(Tensor output, Tensor keyCache, Tensor valueCache, Tensor qkv, int position, int heads)
    {
        ArgumentNullException.ThrowIfNull(keyCache);
        if (keyCache.Rank != 3)
        {
            throw new ArgumentException($"Expected a (B, maxT, C) key cache but got {keyCache}.", nameof(keyCache));
        }

        var (b, maxTime, c) = (keyCache.Dim(0), keyCache.Dim(1), keyCache.Dim(2));
        CheckHeads(c, heads);
        if ((uint)position >= (uint)maxTime)
        {
            throw new ArgumentOutOfRangeException(nameof(position), position, $"The position must be in [0, {maxTime}).");
        }

        var o = Same(output, (long)b * c, nameof(output));
        var keys = View(keyCache);
        var values = Same(valueCache, keys.Length, nameof(valueCache));
        var q = Same(qkv, (long)b * 3 * c, nameof(qkv));
        if (b * c == 0)
        {
            return;
        }

        (_cacheStore ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int>(AttentionKernels.CacheStore))(
            _stream, b * c, keys, values, q, maxTime, c, position);
        (_cachedAttention ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, int, int, int>(AttentionKernels.CachedForward))(
            _stream, PerRow(b * heads), o, Scratch((long)b * heads * maxTime), keys, values, q, maxTime, c, heads, position);
    }

    /// <inheritdoc />
    public void DropoutForward(Tensor output, Tensor mask, Tensor input, float probability, ulong seed)
    {
        if (!(probability >= 0f && probability < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Expected a drop probability in [0, 1).");
        }

        var x = View(input);
        var o = Same(output, x.Length, nameof(output));
        if (o.Length == 0)
        {
            return;
        }

        // The CPU kernel's key and 24-bit threshold, so both backends draw the same mask.
        var key = SplitMix64.Hash(seed);
        var threshold = (uint)(probability * (1 << 24));
        (_dropout ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ulong, uint, float>(ElementwiseKernels.DropoutForward))(
            _stream, (int)o.Length, o, Same(mask, x.Length, nameof(mask)), x, key, threshold, 1f / (1f - probability));
    }

    /// <inheritdoc />
    public void DropoutBackward(Tensor dInput, Tensor dOutput, Tensor mask)
    {
        var m = View(mask);
        Launch(ref _multiply, ElementwiseKernels.Multiply, Same(dInput, m.Length, nameof(dInput)), Same(dOutput, m.Length, nameof(dOutput)), m);
    }

    /// <inheritdoc />
    public float CrossEntropyForward(Tensor losses, Tensor logSumExp, Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex, float labelSmoothing)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var v = logits.Dim(-1);
        var n = Rows(logits, v, nameof(logits));
        CheckTargets(targets, n, v, ignoreIndex, labelSmoothing);
        var l = Same(losses, n, nameof(losses));
        var lse = Same(logSumExp, n, nameof(logSumExp));
        if (n == 0)
        {
            return 0f;
        }

        (_crossEntropyForward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, float>(LossKernels.CrossEntropyForward))(
            _stream, PerRow(n), l, lse, View(logits), UploadInts(targets), v, ignoreIndex, labelSmoothing);
        var host = ToHost(l);
        double total = 0;
        var count = 0;
        for (var i = 0; i < n; i++)
        {
            if (targets[i] != ignoreIndex)
            {
                total += host[i];
                count++;
            }
        }

        return count == 0 ? 0f : (float)(total / count);
    }

    /// <inheritdoc />
    public void CrossEntropyBackward(Tensor dLogits, Tensor logits, Tensor logSumExp, ReadOnlySpan<int> targets, int ignoreIndex, float labelSmoothing, float dLoss)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var v = logits.Dim(-1);
        var n = Rows(logits, v, nameof(logits));
        CheckTargets(targets, n, v, ignoreIndex, labelSmoothing);
        var dz = Same(dLogits, (long)n * v, nameof(dLogits));
        var lse = Same(logSumExp, n, nameof(logSumExp));
        var count = 0;
        foreach (var y in targets)
        {
            if (y != ignoreIndex)
            {
                count++;
            }
        }

        if (dz.Length == 0)
        {
            return;
        }

        var scale = count == 0 ? 0f : dLoss / count;
        (_crossEntropyBackward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, float, float>(LossKernels.CrossEntropyBackward))(
            _stream, (int)dz.Length, dz, View(logits), lse, UploadInts(targets), v, ignoreIndex, labelSmoothing, scale);
    }

    /// <inheritdoc />
    public float WeightedCrossEntropyForward(Tensor losses, Tensor logSumExp, Tensor logits, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights, int ignoreIndex)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var v = logits.Dim(-1);
        var n = Rows(logits, v, nameof(logits));
        CheckTargets(targets, n, v, ignoreIndex, 0f);
        CheckWeights(weights, n);
        var l = Same(losses, n, nameof(losses));
        var lse = Same(logSumExp, n, nameof(logSumExp));
        if (n == 0)
        {
            return 0f;
        }

        // The per-row losses are the unsmoothed cross-entropy kernel's; the weighted sum over n rows is host work.
        (_crossEntropyForward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, int, int, float>(LossKernels.CrossEntropyForward))(
            _stream, PerRow(n), l, lse, View(logits), UploadInts(targets), v, ignoreIndex, 0f);
        var host = ToHost(l);
        double total = 0;
        for (var i = 0; i < n; i++)
        {
            if (targets[i] != ignoreIndex)
            {
                total += (double)weights[i] * host[i];
            }
        }

        return (float)total;
    }

    /// <inheritdoc />
    public void WeightedCrossEntropyBackward(Tensor dLogits, Tensor logits, Tensor logSumExp, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights, int ignoreIndex, float dLoss)
    {
        ArgumentNullException.ThrowIfNull(logits);
        var v = logits.Dim(-1);
        var n = Rows(logits, v, nameof(logits));
        CheckTargets(targets, n, v, ignoreIndex, 0f);
        CheckWeights(weights, n);
        var dz = Same(dLogits, (long)n * v, nameof(dLogits));
        var lse = Same(logSumExp, n, nameof(logSumExp));
        if (dz.Length == 0)
        {
            return;
        }

        (_weightedCrossEntropyBackward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<int>, ArrayView<float>, int, int, float>(LossKernels.WeightedCrossEntropyBackward))(
            _stream, (int)dz.Length, dz, View(logits), lse, UploadInts(targets), UploadWeights(weights), v, ignoreIndex, dLoss);
    }

    private static void CheckWeights(ReadOnlySpan<float> weights, int n)
    {
        if (weights.Length != n)
        {
            throw new ArgumentException($"Expected {n} row weights but got {weights.Length}.", nameof(weights));
        }
    }

    /// <inheritdoc />
    public void L2NormalizeForward(Tensor output, Tensor norms, Tensor input, float epsilon)
    {
        ArgumentNullException.ThrowIfNull(input);
        var d = input.Dim(-1);
        var n = Rows(input, d, nameof(input));
        if (n == 0)
        {
            return;
        }

        (_l2Forward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(NormalizationKernels.L2NormalizeForward))(
            _stream, PerRow(n), Same(output, (long)n * d, nameof(output)), Same(norms, n, nameof(norms)), View(input), d, epsilon);
    }

    /// <inheritdoc />
    public void L2NormalizeBackward(Tensor dInput, Tensor dOutput, Tensor output, Tensor norms, float epsilon)
    {
        ArgumentNullException.ThrowIfNull(output);
        var d = output.Dim(-1);
        var n = Rows(output, d, nameof(output));
        if (n == 0)
        {
            return;
        }

        (_l2Backward ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(NormalizationKernels.L2NormalizeBackward))(
            _stream, PerRow(n), Same(dInput, (long)n * d, nameof(dInput)), Same(dOutput, (long)n * d, nameof(dOutput)), View(output), Same(norms, n, nameof(norms)), d, epsilon);
    }

    /// <inheritdoc />
    public float ContrastiveLossForward(Tensor logits, Tensor rowLogSumExp, Tensor columnLogSumExp, Tensor image, Tensor text, Tensor logTemperature)
    {
        var (n, d) = Matrix(image, nameof(image));
        if (n <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(image), $"Expected at least one pair but got {image}.");
        }

        var scale = MathF.Min(MathF.Exp(ScalarValue(logTemperature)), Cpu.Kernels.ContrastiveLoss.MaxLogitScale);
        var l = Same(logits, (long)n * n, nameof(logits));
        var rows = Same(rowLogSumExp, n, nameof(rowLogSumExp));
        var columns = Same(columnLogSumExp, n, nameof(columnLogSumExp));
        Gemm(false, true, n, n, d, scale, View(image), d, 0, Same(text, (long)n * d, nameof(text)), d, 0, 0f, l, n, 0, 1);
        LogSumExpLines(rows, l, n, n, 1);
        LogSumExpLines(columns, l, n, 1, n);
        var terms = Scratch(n);
        (_contrastiveTerms ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(LossKernels.ContrastiveTerms))(
            _stream, n, terms, l, rows, columns, n);
        double total = 0;
        foreach (var term in ToHost(terms))
        {
            total += term;
        }

        return (float)(0.5 * total / n);
    }

    /// <inheritdoc />
    public void ContrastiveLossBackward(
        Tensor dImage, Tensor dText, Tensor dLogTemperature, Tensor dLogits, Tensor logits, Tensor rowLogSumExp,
        Tensor columnLogSumExp, Tensor image, Tensor text, Tensor logTemperature, float dLoss)
    {
        var (n, d) = Matrix(image, nameof(image));
        if (n <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(image), $"Expected at least one pair but got {image}.");
        }

        var exp = MathF.Exp(ScalarValue(logTemperature));
        var scale = MathF.Min(exp, Cpu.Kernels.ContrastiveLoss.MaxLogitScale);
        var dl = Same(dLogits, (long)n * n, nameof(dLogits));
        var l = Same(logits, (long)n * n, nameof(logits));
        (_contrastiveGradient ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int, float>(LossKernels.ContrastiveGradient))(
            _stream, n * n, dl, l, Same(rowLogSumExp, n, nameof(rowLogSumExp)), Same(columnLogSumExp, n, nameof(columnLogSumExp)), n, dLoss * 0.5f / n);
        var textView = Same(text, (long)n * d, nameof(text));
        var imageView = View(image);
        Gemm(false, false, n, d, n, scale, dl, n, 0, textView, d, 0, 0f, Same(dImage, (long)n * d, nameof(dImage)), d, 0, 1);
        Gemm(true, false, n, d, n, scale, dl, n, 0, imageView, d, 0, 0f, Same(dText, (long)n * d, nameof(dText)), d, 0, 1);

        // d/dτ of the clamped scale is zero once exp(τ) exceeds the clamp (as the CPU kernel and PyTorch's clamp).
        var dScale = Reduce(dl, l, ReductionKernels.DotKind);
        var target = Same(dLogTemperature, 1, nameof(dLogTemperature));
        if (exp <= Cpu.Kernels.ContrastiveLoss.MaxLogitScale)
        {
            var host = ToHost(target);
            host[0] += (float)dScale;
            target.CopyFromCPU(_stream, host[..1]);
        }
    }

    /// <inheritdoc />
    public void AdamWStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        if (step <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "The step counts from 1.");
        }

        var p = View(parameter);
        if (p.Length == 0)
        {
            return;
        }

        (_adamW ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, AdamWConstants>(OptimizerKernels.AdamW))(
            _stream, (int)p.Length, p, Same(gradient, p.Length, nameof(gradient)), Same(firstMoment, p.Length, nameof(firstMoment)), Same(secondMoment, p.Length, nameof(secondMoment)),
            new AdamWConstants(learningRate, beta1, beta2, epsilon, weightDecay, step));
    }

    /// <inheritdoc />
    public void SgdStep(Tensor parameter, Tensor gradient, Tensor velocity, float learningRate, float momentum, float weightDecay, bool firstStep)
    {
        var p = View(parameter);
        if (p.Length == 0)
        {
            return;
        }

        (_sgd ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, float, float, float, int>(OptimizerKernels.Sgd))(
            _stream, (int)p.Length, p, Same(gradient, p.Length, nameof(gradient)), Same(velocity, p.Length, nameof(velocity)), learningRate, momentum, weightDecay, firstStep ? 1 : 0);
    }

    private void LogSumExpLines(ArrayView<float> output, ArrayView<float> values, int count, int lineStride, int elementStride)
        => (_lineLogSumExp ??= _accelerator.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, int>(LossKernels.LineLogSumExp))(
            _stream, PerRow((int)output.Length), output, values, count, lineStride, elementStride);

    private float ScalarValue(Tensor tensor)
    {
        var view = Same(tensor, 1, nameof(tensor));
        return ToHost(view)[0];
    }

    private static (int Rows, int Columns) Matrix(Tensor tensor, string name) => BackendChecks.Matrix(tensor, name);

    private static int Rows(Tensor tensor, int columns, string name) => BackendChecks.Rows(tensor, columns, name);

    private static void CheckIds(ReadOnlySpan<int> ids, int v)
    {
        for (var i = 0; i < ids.Length; i++)
        {
            if ((uint)ids[i] >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"ids[{i}] = {ids[i]} is outside [0, {v}).");
            }
        }
    }

    private static void CheckTargets(ReadOnlySpan<int> targets, int n, int v, int ignoreIndex, float labelSmoothing)
    {
        if (targets.Length != n)
        {
            throw new ArgumentException($"Expected {n} targets but got {targets.Length}.", nameof(targets));
        }

        if (!(labelSmoothing >= 0f && labelSmoothing <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(labelSmoothing), labelSmoothing, "Expected a label smoothing in [0, 1].");
        }

        for (var i = 0; i < n; i++)
        {
            var y = targets[i];
            if (y != ignoreIndex && (uint)y >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(targets), $"targets[{i}] = {y} is outside [0, {v}) and is not the ignore index {ignoreIndex}.");
            }
        }
    }

    private static void CheckPositions(int maxTime, int time, string name)
    {
        if (time > maxTime)
        {
            throw new ArgumentException($"The position table holds {maxTime} positions; {time} are needed.", name);
        }
    }

    private static void CheckHeads(int c, int heads)
    {
        if (heads <= 0 || c % heads != 0)
        {
            throw new ArgumentException($"The width {c} is not divisible by the head count {heads}.", nameof(heads));
        }
    }

    private static void CheckActivation(Activation kind)
    {
        if (kind is not (Activation.Gelu or Activation.QuickGelu or Activation.Tanh))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }
}
