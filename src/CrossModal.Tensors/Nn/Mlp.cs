using System;

namespace CrossModal.Tensors.Nn;

/// <summary>The transformer feed-forward block <c>c_proj(act(c_fc(x)))</c> (GPT-2, CLIP). Children: <c>c_fc</c>, <c>c_proj</c>.</summary>
public sealed class Mlp : Module
{
    private Tensor? _pre;
    private Tensor? _hidden;
    private Tensor? _dHidden;

    /// <summary>Creates the block.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="width">C.</param>
    /// <param name="hidden">Hidden width (4C in GPT-2 and CLIP).</param>
    /// <param name="activation">GELU for GPT-2, QuickGELU for OpenAI CLIP.</param>
    public Mlp(IComputeBackend backend, int width, int hidden, Activation activation = Activation.Gelu)
        : base(backend)
    {
        Activation = activation;
        Fc = AddModule("c_fc", new Linear(backend, width, hidden));
        Projection = AddModule("c_proj", new Linear(backend, hidden, width));
    }

    /// <summary>The activation function.</summary>
    public Activation Activation { get; }

    /// <summary>C → hidden.</summary>
    public Linear Fc { get; }

    /// <summary>hidden → C.</summary>
    public Linear Projection { get; }

    /// <summary>Forward pass.</summary>
    /// <param name="input">(N, C).</param>
    /// <returns>(N, C), owned by the block.</returns>
    public Tensor Forward(Tensor input)
    {
        var pre = Fc.Forward(input);
        _pre = pre;
        _hidden = Buffer(_hidden, pre.Shape);
        Backend.ActivationForward(Activation, _hidden, pre);
        return Projection.Forward(_hidden);
    }

    /// <summary>Backward pass.</summary>
    /// <param name="dOutput">(N, C).</param>
    /// <returns>dInput (N, C), owned by the block.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        var hidden = RequireForward(_hidden, nameof(Mlp));
        var dh = Projection.Backward(dOutput);
        _dHidden = Buffer(_dHidden, hidden.Shape);
        Backend.ActivationBackward(Activation, _dHidden, dh, _pre!, hidden);
        return Fc.Backward(_dHidden);
    }
}
