using System;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Tensors.Cpu;

/// <content>The convolution and pooling operations of <see cref="IComputeBackend"/>: shape checks, then the span kernels.</content>
public sealed partial class CpuBackend
{
    /// <inheritdoc />
    public void Conv2dForward(Tensor output, Tensor input, Tensor weight, Tensor? bias, int stride, int padding)
    {
        var (b, c, h, w, oc, k) = ConvShape(input, weight);
        Conv2d.Forward(Span(output), Span(input), Span(weight), bias is null ? default : Span(bias), b, c, h, w, oc, k, stride, padding, _threads);
    }

    /// <inheritdoc />
    public void Conv2dBackward(Tensor? dInput, Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input, Tensor weight, int stride, int padding)
    {
        var (b, c, h, w, oc, k) = ConvShape(input, weight);
        Conv2d.Backward(
            dInput is null ? default : Span(dInput), Span(dWeight), dBias is null ? default : Span(dBias),
            Span(dOutput), Span(input), Span(weight), b, c, h, w, oc, k, stride, padding, _threads);
    }

    /// <inheritdoc />
    public void MaxPool2dForward(Tensor output, Tensor input, int kernel, int stride)
    {
        var (planes, h, w) = Planes(input, nameof(input));
        using var limit = WorkerPool.Limit(_threads);
        MaxPool2d.Forward(Span(output), Span(input), planes, h, w, kernel, stride);
    }

    /// <inheritdoc />
    public void MaxPool2dBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor output, int kernel, int stride)
    {
        var (planes, h, w) = Planes(input, nameof(input));
        using var limit = WorkerPool.Limit(_threads);
        MaxPool2d.Backward(Span(dInput), Span(dOutput), Span(input), Span(output), planes, h, w, kernel, stride);
    }

    private static (int B, int C, int H, int W, int Oc, int K) ConvShape(Tensor input, Tensor weight) => BackendChecks.ConvShape(input, weight);

    private static (int Planes, int H, int W) Planes(Tensor input, string name) => BackendChecks.Planes(input, name);
}
