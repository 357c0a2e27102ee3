using System;

namespace CrossModal.Tensors.Nn;

/// <summary>Fully connected layer <c>y = x·Wᵀ + b</c>, as <c>torch.nn.Linear</c> (weight (out, in)). Parameters: <c>weight</c>, <c>bias</c>.</summary>
public sealed class Linear : Module
{
    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _dInput;

    /// <summary>Creates the layer with parameters to be initialised or loaded.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="inFeatures">Input width C.</param>
    /// <param name="outFeatures">Output width OC.</param>
    /// <param name="bias">Whether the layer has a bias.</param>
    public Linear(IComputeBackend backend, int inFeatures, int outFeatures, bool bias = true)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inFeatures);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outFeatures);
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        Weight = AddParameter("weight", ParameterInit.Normal, outFeatures, inFeatures);
        Bias = bias ? AddParameter("bias", ParameterInit.Zeros, outFeatures) : null;
    }

    /// <summary>Input width.</summary>
    public int InFeatures { get; }

    /// <summary>Output width.</summary>
    public int OutFeatures { get; }

    /// <summary>(OC, C).</summary>
    public Parameter Weight { get; }

    /// <summary>(OC), or null.</summary>
    public Parameter? Bias { get; }

    /// <summary>Forward pass.</summary>
    /// <param name="input">(N, C); kept until <see cref="Backward"/>.</param>
    /// <returns>(N, OC), owned by the layer.</returns>
    public Tensor Forward(Tensor input)
    {
        var n = RowsOf(input, InFeatures, nameof(input));
        _output = Buffer(_output, n, OutFeatures);
        Backend.LinearForward(_output, input, Weight.Value, Bias?.Value);
        _input = input;
        return _output;
    }

    /// <summary>Backward pass: accumulates the parameter gradients.</summary>
    /// <param name="dOutput">(N, OC).</param>
    /// <returns>dInput (N, C), owned by the layer.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        var input = RequireForward(_input, nameof(Linear));
        _dInput = Buffer(_dInput, (int)(input.Length / InFeatures), InFeatures);
        Backend.LinearBackward(_dInput, Weight.Gradient, Bias?.Gradient, dOutput, input, Weight.Value);
        return _dInput;
    }
}
