using System;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Tensors.Cpu;

/// <content>The nn-layer and optimiser operations of <see cref="IComputeBackend"/>: shape checks, then the span kernels.</content>
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void LinearForward(Tensor output, Tensor input, Tensor weight, Tensor? bias)
    {
        var (oc, c) = Matrix(weight, nameof(weight));
        var n = Rows(input, c, nameof(input));
        Linear.Forward(Span(output), Span(input), Span(weight), bias is null ? default : Span(bias), n, c, oc, _threads);
    }

    /// <inheritdoc />
    public void LinearBackward(Tensor? dInput, Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input, Tensor weight)
    {
        var (oc, c) = Matrix(weight, nameof(weight));
        var n = Rows(input, c, nameof(input));
        Linear.Backward(
            dInput is null ? default : Span(dInput), Span(dWeight), dBias is null ? default : Span(dBias),
            Span(dOutput), Span(input), Span(weight), n, c, oc, _threads);
    }

    /// <inheritdoc />
    public void LayerNormForward(Tensor output, Tensor mean, Tensor rstd, Tensor input, Tensor weight, Tensor bias, float epsilon)
    {
        var c = (int)weight.Length;
        var n = Rows(input, c, nameof(input));
        LayerNorm.Forward(Span(output), Span(mean), Span(rstd), Span(input), Span(weight), Span(bias), n, c, epsilon);
    }

    /// <inheritdoc />
    public void LayerNormBackward(Tensor dInput, Tensor dWeight, Tensor dBias, Tensor dOutput, Tensor input, Tensor weight, Tensor mean, Tensor rstd)
    {
        var c = (int)weight.Length;
        var n = Rows(input, c, nameof(input));
        LayerNorm.Backward(Span(dInput), Span(dWeight), Span(dBias), Span(dOutput), Span(input), Span(weight), Span(mean), Span(rstd), n, c);
    }

    /// <inheritdoc />
    public void EmbeddingForward(Tensor output, ReadOnlySpan<int> ids, Tensor table)
    {
        var (v, c) = Matrix(table, nameof(table));
        Embedding.Forward(Span(output), ids, Span(table), ids.Length, c, v);
    }

    /// <inheritdoc />
    public void EmbeddingBackward(Tensor dTable, Tensor dOutput, ReadOnlySpan<int> ids)
    {
        var (v, c) = Matrix(dTable, nameof(dTable));
        Embedding.Backward(Span(dTable), Span(dOutput), ids, ids.Length, c, v);
    }

    /// <inheritdoc />
    public void AddPositionEmbedding(Tensor x, Tensor positions, int batch, int time)
    {
        var (_, c) = Matrix(positions, nameof(positions));
        Embedding.AddPositions(Span(x), Span(positions), batch, time, c);
    }

    /// <inheritdoc />
    public void AddPositionEmbeddingBackward(Tensor dPositions, Tensor dX, int batch, int time)
    {
        var (_, c) = Matrix(dPositions, nameof(dPositions));
        Embedding.AddPositionsBackward(Span(dPositions), Span(dX), batch, time, c);
    }

    /// <inheritdoc />
    public void ActivationForward(Activation kind, Tensor output, Tensor input)
    {
        using var limit = WorkerPool.Limit(_threads);
        switch (kind)
        {
            case Activation.Gelu: Gelu.Forward(Span(output), Span(input)); break;
            case Activation.QuickGelu: QuickGelu.Forward(Span(output), Span(input)); break;
            case Activation.Tanh: Kernels.Tanh.Forward(Span(output), Span(input)); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <inheritdoc />
    public void ActivationBackward(Activation kind, Tensor dInput, Tensor dOutput, Tensor input, Tensor output)
    {
        using var limit = WorkerPool.Limit(_threads);
        switch (kind)
        {
            case Activation.Gelu: Gelu.Backward(Span(dInput), Span(dOutput), Span(input)); break;
            case Activation.QuickGelu: QuickGelu.Backward(Span(dInput), Span(dOutput), Span(input)); break;
            case Activation.Tanh: Kernels.Tanh.Backward(Span(dInput), Span(dOutput), Span(output)); break;
            default: throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation.");
        }
    }

    /// <inheritdoc />
    public void SoftmaxForward(Tensor output, Tensor input)
    {
        var c = input.Dim(-1);
        Softmax.Forward(Span(output), Span(input), Rows(input, c, nameof(input)), c);
    }

    /// <inheritdoc />
    public void OnlineSoftmaxStep(Tensor weights, Tensor runningMax, Tensor accumulator, Tensor logits)
    {
        ArgumentNullException.ThrowIfNull(runningMax);
        var n = (int)runningMax.Length;
        var c = Rows(logits, n, nameof(logits));
        var d = Rows(accumulator, n, nameof(accumulator));
        Softmax.OnlineStep(Span(weights), Span(runningMax), Span(accumulator), Span(logits), n, c, d);
    }

    /// <inheritdoc />
    public void SoftmaxBackward(Tensor dInput, Tensor dOutput, Tensor output)
    {
        var c = output.Dim(-1);
        Softmax.Backward(Span(dInput), Span(dOutput), Span(output), Rows(output, c, nameof(output)), c);
    }

    /// <inheritdoc />
    public void AttentionForward(Tensor output, Tensor attention, Tensor qkv, ReadOnlySpan<byte> keyMask, bool causal, int batch, int time, int heads)
    {
        var c = output.Dim(-1);
        using var limit = WorkerPool.Limit(_threads);
        Attention.Forward(Span(output), Span(attention), Span(qkv), keyMask, causal, batch, time, c, heads);
    }

    /// <inheritdoc />
    public void AttentionBackward(Tensor dQkv, Tensor dOutput, Tensor qkv, Tensor attention, int batch, int time, int heads)
    {
        var c = dOutput.Dim(-1);
        using var limit = WorkerPool.Limit(_threads);
        Attention.Backward(Span(dQkv), Span(dOutput), Span(qkv), Span(attention), batch, time, c, heads);
    }

    /// <inheritdoc />
    public void DropoutForward(Tensor output, Tensor mask, Tensor input, float probability, ulong seed)
        => Dropout.Forward(Span(output), Span(mask), Span(input), probability, seed);

    /// <inheritdoc />
    public void DropoutBackward(Tensor dInput, Tensor dOutput, Tensor mask)
        => Dropout.Backward(Span(dInput), Span(dOutput), Span(mask));

    /// <inheritdoc />
    public float CrossEntropyForward(Tensor losses, Tensor logSumExp, Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex, float labelSmoothing)
    {
        var v = logits.Dim(-1);
        using var limit = WorkerPool.Limit(_threads);
        return CrossEntropy.Forward(Span(losses), Span(logSumExp), Span(logits), targets, Rows(logits, v, nameof(logits)), v, ignoreIndex, labelSmoothing);
    }

    /// <inheritdoc />
    public void CrossEntropyBackward(Tensor dLogits, Tensor logits, Tensor logSumExp, ReadOnlySpan<int> targets, int ignoreIndex, float labelSmoothing, float dLoss)
    {
        var v = logits.Dim(-1);
        using var limit = WorkerPool.Limit(_threads);
        CrossEntropy.Backward(Span(dLogits), Span(logits), Span(logSumExp), targets, Rows(logits, v, nameof(logits)), v, ignoreIndex, labelSmoothing, dLoss);
    }

    /// <inheritdoc />
    public void L2NormalizeForward(Tensor output, Tensor norms, Tensor input, float epsilon)
    {
        var d = input.Dim(-1);
        L2Normalize.Forward(Span(output), Span(norms), Span(input), Rows(input, d, nameof(input)), d, epsilon);
    }

    /// <inheritdoc />
    public void L2NormalizeBackward(Tensor dInput, Tensor dOutput, Tensor output, Tensor norms, float epsilon)
    {
        var d = output.Dim(-1);
        L2Normalize.Backward(Span(dInput), Span(dOutput), Span(output), Span(norms), Rows(output, d, nameof(output)), d, epsilon);
    }

    /// <inheritdoc />
    public float ContrastiveLossForward(Tensor logits, Tensor rowLogSumExp, Tensor columnLogSumExp, Tensor image, Tensor text, Tensor logTemperature)
    {
        var (n, d) = Matrix(image, nameof(image));
        return ContrastiveLoss.Forward(Span(logits), Span(rowLogSumExp), Span(columnLogSumExp), Span(image), Span(text), Scalar(logTemperature, nameof(logTemperature)), n, d, _threads);
    }

    /// <inheritdoc />
    public void ContrastiveLossBackward(
        Tensor dImage, Tensor dText, Tensor dLogTemperature, Tensor dLogits, Tensor logits, Tensor rowLogSumExp,
        Tensor columnLogSumExp, Tensor image, Tensor text, Tensor logTemperature, float dLoss)
    {
        var (n, d) = Matrix(image, nameof(image));
        var dt = ContrastiveLoss.Backward(
            Span(dImage), Span(dText), Span(dLogits), Span(logits), Span(rowLogSumExp), Span(columnLogSumExp),
            Span(image), Span(text), Scalar(logTemperature, nameof(logTemperature)), dLoss, n, d, _threads);
        Span(dLogTemperature)[0] += dt;
    }

    /// <inheritdoc />
    public void AdamWStep(Tensor parameter, Tensor gradient, Tensor firstMoment, Tensor secondMoment, float learningRate, float beta1, float beta2, float epsilon, float weightDecay, int step)
    {
        using var limit = WorkerPool.Limit(_threads);
        Optimizers.AdamW(Span(parameter), Span(gradient), Span(firstMoment), Span(secondMoment), learningRate, beta1, beta2, epsilon, weightDecay, step);
    }

    /// <inheritdoc />
    public void SgdStep(Tensor parameter, Tensor gradient, Tensor velocity, float learningRate, float momentum, float weightDecay, bool firstStep)
        => Optimizers.SgdMomentum(Span(parameter), Span(gradient), Span(velocity), learningRate, momentum, weightDecay, firstStep);

    /// <inheritdoc />
    public double SumOfSquares(Tensor tensor) => Optimizers.SumOfSquares(Span(tensor));

    private static (int Rows, int Columns) Matrix(Tensor tensor, string name) => BackendChecks.Matrix(tensor, name);

    private static int Rows(Tensor tensor, int columns, string name) => BackendChecks.Rows(tensor, columns, name);

    private static float Scalar(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Length != 1)
        {
            throw new ArgumentException($"Expected a single value but got {tensor}.", name);
        }

        return Span(tensor)[0];
    }
}
