using System;
using System.Collections.Generic;
using CrossModal.Tensors.Nn;

namespace CrossModal.Tensors.Optim;

/// <summary>Hyper-parameters of <see cref="AdamW"/>; defaults are <c>torch.optim.AdamW</c>'s.</summary>
public sealed class AdamWOptions
{
    /// <summary>Learning rate (a schedule may set it per step).</summary>
    /// <value>1e-3.</value>
    public float LearningRate { get; set; } = 1e-3f;

    /// <summary>β₁.</summary>
    /// <value>0.9.</value>
    public float Beta1 { get; set; } = 0.9f;

    /// <summary>β₂.</summary>
    /// <value>0.999.</value>
    public float Beta2 { get; set; } = 0.999f;

    /// <summary>ε.</summary>
    /// <value>1e-8.</value>
    public float Epsilon { get; set; } = 1e-8f;

    /// <summary>Decoupled weight decay λ, applied to parameters whose <see cref="Parameter.WeightDecay"/> is true.</summary>
    /// <value>0.01.</value>
    public float WeightDecay { get; set; } = 0.01f;

    internal void Validate()
    {
        if (!(LearningRate >= 0f) || !(Beta1 is >= 0f and < 1f) || !(Beta2 is >= 0f and < 1f) || !(Epsilon > 0f) || !(WeightDecay >= 0f))
        {
            throw new ArgumentException(
                $"Invalid AdamW options: learning rate {LearningRate} (≥ 0), β₁ {Beta1} and β₂ {Beta2} (in [0, 1)), ε {Epsilon} (> 0), weight decay {WeightDecay} (≥ 0).");
        }
    }
}

/// <summary>
/// AdamW (Loshchilov and Hutter, 2019), exactly <c>torch.optim.AdamW</c>'s update, with per-parameter exclusion from
/// weight decay (biases and LayerNorm by default). Moment buffers are allocated once, so <see cref="Step()"/> allocates nothing.
/// </summary>
public sealed class AdamW : IOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;

    /// <summary>Creates the optimiser with zero moments.</summary>
    /// <param name="parameters">What it updates, e.g. <see cref="Module.Parameters"/>.</param>
    /// <param name="options">Hyper-parameters.</param>
    public AdamW(IEnumerable<Parameter> parameters, AdamWOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        LearningRate = options.LearningRate;
        _parameters = [.. parameters];
        _m = new Tensor[_parameters.Length];
        _v = new Tensor[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
        {
            var value = _parameters[i].Value;
            _m[i] = value.Backend.Allocate(value.Shape.ToArray());
            _v[i] = value.Backend.Allocate(value.Shape.ToArray());
        }
    }

    /// <summary>The hyper-parameters.</summary>
    public AdamWOptions Options { get; }

    /// <inheritdoc />
    public float LearningRate { get; set; }

    /// <inheritdoc />
    /// <remarks>Settable so that a checkpoint can restore it together with <see cref="FirstMoments"/> and <see cref="SecondMoments"/>.</remarks>
    public int StepCount { get; set; }

    /// <summary>The first-moment buffers m, one per parameter in construction order (for checkpoints).</summary>
    public IReadOnlyList<Tensor> FirstMoments => _m;

    /// <summary>The second-moment buffers v, one per parameter in construction order (for checkpoints).</summary>
    public IReadOnlyList<Tensor> SecondMoments => _v;

    /// <inheritdoc />
    public void Step()
    {
        StepCount++;
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            p.Value.Backend.AdamWStep(
                p.Value, p.Gradient, _m[i], _v[i], LearningRate, Options.Beta1, Options.Beta2, Options.Epsilon,
                p.WeightDecay ? Options.WeightDecay : 0f, StepCount);
        }
    }
}
