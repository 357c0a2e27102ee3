using System;

namespace CrossModal.Tensors.Nn;

/// <summary>2-D max pooling over NCHW images, as <c>torch.nn.MaxPool2d(kernel, stride)</c> (no padding, floor mode).</summary>
/// <remarks>Not thread-safe: forward passes reuse the module's buffers.</remarks>
public sealed class MaxPool2d : Module
{
    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _dInput;

    /// <summary>Creates the layer.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="kernel">k, the window side.</param>
    /// <param name="stride">s; the window side by default (non-overlapping windows).</param>
    public MaxPool2d(IComputeBackend backend, int kernel, int? stride = null)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        var s = stride ?? kernel;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(s, nameof(stride));
        Kernel = kernel;
        Stride = s;
    }

    /// <summary>k.</summary>
    public int Kernel { get; }

    /// <summary>s.</summary>
    public int Stride { get; }

    /// <summary>Output side for an input side: <c>⌊(size − k) / s⌋ + 1</c>.</summary>
    /// <param name="size">Input side.</param>
    /// <returns>The output side.</returns>
    public int OutputSize(int size) => Cpu.Kernels.MaxPool2d.OutputSize(size, Kernel, Stride);

    /// <summary>Forward pass.</summary>
    /// <param name="input">(B, C, H, W); kept for the backward pass.</param>
    /// <returns>(B, C, OH, OW), owned by the layer until its next forward pass.</returns>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4)
        {
            throw new ArgumentException($"Expected a (B, C, H, W) input but got {input}.", nameof(input));
        }

        _output = Buffer(_output, input.Dim(0), input.Dim(1), OutputSize(input.Dim(2)), OutputSize(input.Dim(3)));
        Backend.MaxPool2dForward(_output, input, Kernel, Stride);
        _input = input;
        return _output;
    }

    /// <summary>Backward pass of the last <see cref="Forward"/>.</summary>
    /// <param name="dOutput">(B, C, OH, OW).</param>
    /// <returns>(B, C, H, W), owned by the layer.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        var input = RequireForward(_input, nameof(MaxPool2d));
        _dInput = Buffer(_dInput, input.Dim(0), input.Dim(1), input.Dim(2), input.Dim(3));
        Backend.MaxPool2dBackward(_dInput, dOutput, input, _output!, Kernel, Stride);
        return _dInput;
    }
}
