using System;
using CrossModal.Tensors.Cuda.Kernels;
using ILGPU;
using ILGPU.Runtime;
using CpuConv2d = CrossModal.Tensors.Cpu.Kernels.Conv2d;
using CpuMaxPool2d = CrossModal.Tensors.Cpu.Kernels.MaxPool2d;

namespace CrossModal.Tensors.Cuda;

/// <content>
/// The convolution and pooling operations of <see cref="IComputeBackend"/>: the CPU backend's shape checks and output
/// sizes, then direct one-thread-per-output kernels (<see cref="ConvolutionKernels"/>).
/// </content>
public sealed partial class CudaBackend
{
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry, int>? _convForward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry>? _convBackwardInput;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry>? _convBackwardWeight;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ConvGeometry>? _convBackwardBias;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ConvGeometry>? _maxPoolForward;
    private Action<AcceleratorStream, Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry>? _maxPoolBackward;

    /// <inheritdoc />
    public void Conv2dForward(Tensor output, Tensor input, Tensor weight, Tensor? bias, int stride, int padding)
    {
        var g = Convolution(input, weight, stride, padding);
        var o = Same(output, (long)g.Batch * g.OutChannels * g.OutHeight * g.OutWidth, nameof(output));
        var x = View(input);
        var w = View(weight);
        var b = bias is null ? w : Same(bias, g.OutChannels, nameof(bias));
        (_convForward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry, int>(ConvolutionKernels.Conv2dForward))(
            _stream, (int)o.Length, o, x, w, b, g, bias is null ? 0 : 1);
    }

    /// <inheritdoc />
    public void Conv2dBackward(Tensor? dInput, Tensor dWeight, Tensor? dBias, Tensor dOutput, Tensor input, Tensor weight, int stride, int padding)
    {
        var g = Convolution(input, weight, stride, padding);
        var dout = Same(dOutput, (long)g.Batch * g.OutChannels * g.OutHeight * g.OutWidth, nameof(dOutput));
        var x = View(input);
        var w = View(weight);
        var dw = Same(dWeight, w.Length, nameof(dWeight));
        var db = dBias is null ? default : Same(dBias, g.OutChannels, nameof(dBias));
        var dx = dInput is null ? default : Same(dInput, x.Length, nameof(dInput));
        (_convBackwardWeight ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry>(ConvolutionKernels.Conv2dBackwardWeight))(
            _stream, (int)dw.Length, dw, dout, x, g);
        if (dBias is not null)
        {
            (_convBackwardBias ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvGeometry>(ConvolutionKernels.Conv2dBackwardBias))(
                _stream, g.OutChannels, db, dout, g);
        }

        if (dInput is not null)
        {
            (_convBackwardInput ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry>(ConvolutionKernels.Conv2dBackwardInput))(
                _stream, (int)dx.Length, dx, dout, w, g);
        }
    }

    /// <inheritdoc />
    public void MaxPool2dForward(Tensor output, Tensor input, int kernel, int stride)
    {
        var g = Pooling(input, kernel, stride);
        var o = Same(output, (long)g.Batch * g.OutHeight * g.OutWidth, nameof(output));
        (_maxPoolForward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ConvGeometry>(ConvolutionKernels.MaxPool2dForward))(
            _stream, (int)o.Length, o, View(input), g);
    }

    /// <inheritdoc />
    public void MaxPool2dBackward(Tensor dInput, Tensor dOutput, Tensor input, Tensor output, int kernel, int stride)
    {
        var g = Pooling(input, kernel, stride);
        var x = View(input);
        var outputs = (long)g.Batch * g.OutHeight * g.OutWidth;
        var o = Same(output, outputs, nameof(output));
        var dout = Same(dOutput, outputs, nameof(dOutput));
        var dx = Same(dInput, x.Length, nameof(dInput));
        (_maxPoolBackward ??= _accelerator.LoadAutoGroupedKernel<Index1D, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ConvGeometry>(ConvolutionKernels.MaxPool2dBackward))(
            _stream, (int)dx.Length, dx, dout, x, o, g);
    }

    private static ConvGeometry Convolution(Tensor input, Tensor weight, int stride, int padding)
    {
        var (b, c, h, w, oc, k) = BackendChecks.ConvShape(input, weight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(b, "batch");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(c, "channels");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(oc, "outChannels");
        var oh = CpuConv2d.OutputSize(h, k, stride, padding);
        var ow = CpuConv2d.OutputSize(w, k, stride, padding);
        return new ConvGeometry(b, c, h, w, oc, k, stride, padding, oh, ow);
    }

    private static ConvGeometry Pooling(Tensor input, int kernel, int stride)
    {
        var (planes, h, w) = BackendChecks.Planes(input, nameof(input));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(planes, "planes");
        var oh = CpuMaxPool2d.OutputSize(h, kernel, stride);
        var ow = CpuMaxPool2d.OutputSize(w, kernel, stride);
        return new ConvGeometry(planes, 1, h, w, 1, kernel, stride, 0, oh, ow);
    }
}
