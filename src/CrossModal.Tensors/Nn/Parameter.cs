using System;

namespace CrossModal.Tensors.Nn;

/// <summary>How a parameter is set by <see cref="Module.ResetParameters"/>.</summary>
public enum ParameterInit
{
    /// <summary>All zeros (biases).</summary>
    Zeros,

    /// <summary>All ones (LayerNorm gains).</summary>
    Ones,

    /// <summary>Normal with mean 0 and the parameter's <see cref="Parameter.InitStandardDeviation"/> (GPT-2 uses 0.02).</summary>
    Normal,
}

/// <summary>A learnable tensor and its gradient (same shape, same backend). Backward passes accumulate into the gradient.</summary>
public sealed class Parameter
{
    internal Parameter(IComputeBackend backend, int[] shape, ParameterInit init, bool weightDecay)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Value = backend.Allocate(shape);
        Gradient = backend.Allocate(shape);
        Init = init;
        WeightDecay = weightDecay;
    }

    /// <summary>The values.</summary>
    public Tensor Value { get; }

    /// <summary>The accumulated gradient; cleared by <see cref="Module.ZeroGrad"/>.</summary>
    public Tensor Gradient { get; }

    /// <summary>How <see cref="Module.ResetParameters"/> sets it.</summary>
    public ParameterInit Init { get; }

    /// <summary>Standard deviation for <see cref="ParameterInit.Normal"/>.</summary>
    /// <value>0.02, as GPT-2.</value>
    public float InitStandardDeviation { get; set; } = 0.02f;

    /// <summary>Whether optimisers apply weight decay to it.</summary>
    /// <value>True for matrices (weights, embeddings); false for vectors (biases, LayerNorm), as GPT-2 and CLIP train.</value>
    public bool WeightDecay { get; set; }

    /// <summary>Number of elements.</summary>
    public long Length => Value.Length;
}
