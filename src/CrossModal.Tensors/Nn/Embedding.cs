using System;

namespace CrossModal.Tensors.Nn;

/// <summary>Embedding table, as <c>torch.nn.Embedding</c>. Parameter: <c>weight</c> (V, C).</summary>
public sealed class Embedding : Module
{
    private int[] _ids = [];
    private int _count;
    private Tensor? _output;

    /// <summary>Creates the table.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="count">Rows V (vocabulary size or positions).</param>
    /// <param name="width">Width C.</param>
    public Embedding(IComputeBackend backend, int count, int width)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        Count = count;
        Width = width;
        Weight = AddParameter("weight", ParameterInit.Normal, count, width);
    }

    /// <summary>V.</summary>
    public int Count { get; }

    /// <summary>C.</summary>
    public int Width { get; }

    /// <summary>(V, C).</summary>
    public Parameter Weight { get; }

    /// <summary>Looks up rows; the ids are copied for the backward pass.</summary>
    /// <param name="ids">(N) indices in [0, V).</param>
    /// <returns>(N, C), owned by the layer (callers may update it in place, e.g. to add positions).</returns>
    public Tensor Forward(ReadOnlySpan<int> ids)
    {
        if (_ids.Length < ids.Length)
        {
            _ids = new int[ids.Length];
        }

        ids.CopyTo(_ids);
        _count = ids.Length;
        _output = Buffer(_output, ids.Length, Width);
        Backend.EmbeddingForward(_output, ids, Weight.Value);
        return _output;
    }

    /// <summary>Backward pass: accumulates into the weight gradient.</summary>
    /// <param name="dOutput">(N, C).</param>
    public void Backward(Tensor dOutput)
    {
        if (_output is null)
        {
            throw new InvalidOperationException("Embedding.Backward was called before Forward.");
        }

        Backend.EmbeddingBackward(Weight.Gradient, dOutput, _ids.AsSpan(0, _count));
    }
}
