using System;

namespace CrossModal.Tensors.Nn;

/// <summary>Layer normalisation over the last dimension, as <c>torch.nn.LayerNorm</c>. Parameters: <c>weight</c>, <c>bias</c>.</summary>
public sealed class LayerNorm : Module
{
    private Tensor? _input;
    private Tensor? _output;
    private Tensor? _mean;
    private Tensor? _rstd;
    private Tensor? _dInput;

    /// <summary>Creates the layer with weight 1 and bias 0 after initialisation.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="width">C.</param>
    /// <param name="epsilon">ε added to the variance; PyTorch's default 1e-5.</param>
    public LayerNorm(IComputeBackend backend, int width, float epsilon = 1e-5f)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Width = width;
        Epsilon = epsilon;
        Weight = AddParameter("weight", ParameterInit.Ones, width);
        Bias = AddParameter("bias", ParameterInit.Zeros, width);
    }

    /// <summary>C.</summary>
    public int Width { get; }

    /// <summary>ε.</summary>
    public float Epsilon { get; }

    /// <summary>(C) gain.</summary>
    public Parameter Weight { get; }

    /// <summary>(C) shift.</summary>
    public Parameter Bias { get; }

    /// <summary>Forward pass.</summary>
    /// <param name="input">(N, C); kept until <see cref="Backward"/>.</param>
    /// <returns>(N, C), owned by the layer.</returns>
    public Tensor Forward(Tensor input)
    {
        var n = RowsOf(input, Width, nameof(input));
        _output = Buffer(_output, n, Width);
        _mean = Buffer(_mean, n);
        _rstd = Buffer(_rstd, n);
        Backend.LayerNormForward(_output, _mean, _rstd, input, Weight.Value, Bias.Value, Epsilon);
        _input = input;
        return _output;
    }

    /// <summary>Backward pass: accumulates the parameter gradients.</summary>
    /// <param name="dOutput">(N, C).</param>
    /// <returns>dInput (N, C), owned by the layer.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        var input = RequireForward(_input, nameof(LayerNorm));
        _dInput = Buffer(_dInput, (int)(input.Length / Width), Width);
        Backend.LayerNormBackward(_dInput, Weight.Gradient, Bias.Gradient, dOutput, input, Weight.Value, _mean!, _rstd!);
        return _dInput;
    }
}
