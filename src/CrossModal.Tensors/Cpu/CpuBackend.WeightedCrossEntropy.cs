using System;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Tensors.Cpu;

public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public float WeightedCrossEntropyForward(Tensor losses, Tensor logSumExp, Tensor logits, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights, int ignoreIndex)
    {
        var v = logits.Dim(-1);
        return WeightedCrossEntropy.Forward(Span(losses), Span(logSumExp), Span(logits), targets, weights, Rows(logits, v, nameof(logits)), v, ignoreIndex);
    }

    /// <inheritdoc />
    public void WeightedCrossEntropyBackward(Tensor dLogits, Tensor logits, Tensor logSumExp, ReadOnlySpan<int> targets, ReadOnlySpan<float> weights, int ignoreIndex, float dLoss)
    {
        var v = logits.Dim(-1);
        WeightedCrossEntropy.Backward(Span(dLogits), Span(logits), Span(logSumExp), targets, weights, Rows(logits, v, nameof(logits)), v, ignoreIndex, dLoss);
    }
}
