using System;
using System.Collections.Generic;
using CrossModal.Tensors.Nn;

namespace CrossModal.Tensors.Optim;

/// <summary>Hyper-parameters of <see cref="Sgd"/>.</summary>
public sealed class SgdOptions
{
    /// <summary>Learning rate.</summary>
    /// <value>0.01.</value>
    public float LearningRate { get; set; } = 0.01f;

    /// <summary>Momentum μ (0 for plain SGD).</summary>
    /// <value>0.9.</value>
    public float Momentum { get; set; } = 0.9f;

    /// <summary>L2 weight decay λ added to the gradient, for parameters whose <see cref="Parameter.WeightDecay"/> is true.</summary>
    /// <value>0.</value>
    public float WeightDecay { get; set; }
}

/// <summary>SGD with momentum, as <c>torch.optim.SGD</c> (dampening 0, not Nesterov).</summary>
public sealed class Sgd : IOptimizer
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _velocity;

    /// <summary>Creates the optimiser.</summary>
    /// <param name="parameters">What it updates.</param>
    /// <param name="options">Hyper-parameters.</param>
    public Sgd(IEnumerable<Parameter> parameters, SgdOptions options)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(options);
        if (!(options.LearningRate >= 0f) || !(options.Momentum >= 0f) || !(options.WeightDecay >= 0f))
        {
            throw new ArgumentException($"Invalid SGD options: learning rate {options.LearningRate}, momentum {options.Momentum}, weight decay {options.WeightDecay} must be ≥ 0.", nameof(options));
        }

        Options = options;
        LearningRate = options.LearningRate;
        _parameters = [.. parameters];
        _velocity = new Tensor[_parameters.Length];
        for (var i = 0; i < _parameters.Length; i++)
        {
            var value = _parameters[i].Value;
            _velocity[i] = value.Backend.Allocate(value.Shape.ToArray());
        }
    }

    /// <summary>The hyper-parameters.</summary>
    public SgdOptions Options { get; }

    /// <inheritdoc />
    public float LearningRate { get; set; }

    /// <inheritdoc />
    public int StepCount { get; private set; }

    /// <inheritdoc />
    public void Step()
    {
        for (var i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            p.Value.Backend.SgdStep(p.Value, p.Gradient, _velocity[i], LearningRate, Options.Momentum, p.WeightDecay ? Options.WeightDecay : 0f, StepCount == 0);
        }

        StepCount++;
    }
}
