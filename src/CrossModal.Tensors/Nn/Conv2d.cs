using System;

namespace CrossModal.Tensors.Nn;

/// <summary>
/// 2-D convolution over NCHW images, as <c>torch.nn.Conv2d(in, out, k, stride, padding, bias)</c> (square kernel, one
/// group, no dilation). Parameters <c>weight</c> (OC, C, k, k) and <c>bias</c> (OC).
/// </summary>
/// <remarks>Not thread-safe: forward passes reuse the module's buffers. The weight starts at He et al.'s (2015)
/// N(0, 2/(C·k²)), the scale that keeps activations' variance through ReLU-like layers.</remarks>
public sealed class Conv2d : Module
{
    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _dInput;

    /// <summary>Creates the layer; initialise or load its parameters next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="inChannels">C.</param>
    /// <param name="outChannels">OC.</param>
    /// <param name="kernel">k, the kernel side.</param>
    /// <param name="stride">s.</param>
    /// <param name="padding">p zeros on every side.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    public Conv2d(IComputeBackend backend, int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, bool bias = true)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outChannels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(kernel);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(stride);
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        InChannels = inChannels;
        OutChannels = outChannels;
        Kernel = kernel;
        Stride = stride;
        Padding = padding;
        Weight = AddParameter("weight", ParameterInit.Normal, outChannels, inChannels, kernel, kernel);
        Weight.InitStandardDeviation = MathF.Sqrt(2f / (inChannels * kernel * kernel));
        Bias = bias ? AddParameter("bias", ParameterInit.Zeros, outChannels) : null;
    }

    /// <summary>C.</summary>
    public int InChannels { get; }

    /// <summary>OC.</summary>
    public int OutChannels { get; }

    /// <summary>k.</summary>
    public int Kernel { get; }

    /// <summary>s.</summary>
    public int Stride { get; }

    /// <summary>p.</summary>
    public int Padding { get; }

    /// <summary>(OC, C, k, k).</summary>
    public Parameter Weight { get; }

    /// <summary>(OC), or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Output side for an input side: <c>⌊(size + 2p − k) / s⌋ + 1</c>.</summary>
    /// <param name="size">Input side.</param>
    /// <returns>The output side.</returns>
    public int OutputSize(int size) => Cpu.Kernels.Conv2d.OutputSize(size, Kernel, Stride, Padding);

    /// <summary>Forward pass.</summary>
    /// <param name="input">(B, C, H, W); kept for the backward pass.</param>
    /// <returns>(B, OC, OH, OW), owned by the layer until its next forward pass.</returns>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (input.Rank != 4 || input.Dim(1) != InChannels)
        {
            throw new ArgumentException($"Expected a (B, {InChannels}, H, W) input but got {input}.", nameof(input));
        }

        _output = Buffer(_output, input.Dim(0), OutChannels, OutputSize(input.Dim(2)), OutputSize(input.Dim(3)));
        Backend.Conv2dForward(_output, input, Weight.Value, Bias?.Value, Stride, Padding);
        _input = input;
        return _output;
    }

    /// <summary>Backward pass of the last <see cref="Forward"/>: accumulates the parameter gradients.</summary>
    /// <param name="dOutput">(B, OC, OH, OW).</param>
    /// <param name="inputGradient">False for an input that needs no gradient (pixels): saves the transposed convolution.</param>
    /// <returns>(B, C, H, W) the input's gradient, owned by the layer; null when <paramref name="inputGradient"/> is false.</returns>
    public Tensor? Backward(Tensor dOutput, bool inputGradient = true)
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        var input = RequireForward(_input, nameof(Conv2d));
        Tensor? dInput = null;
        if (inputGradient)
        {
            _dInput = Buffer(_dInput, input.Dim(0), input.Dim(1), input.Dim(2), input.Dim(3));
            dInput = _dInput;
        }

        Backend.Conv2dBackward(dInput, Weight.Gradient, Bias?.Gradient, dOutput, input, Weight.Value, Stride, Padding);
        return dInput;
    }
}
