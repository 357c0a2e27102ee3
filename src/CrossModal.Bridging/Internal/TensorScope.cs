using System;
using System.Collections.Generic;
using CrossModal.Abstractions;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Bridging.Internal;

/// <summary>
/// The backend tensors of one bridge operation: allocated, filled from host embeddings, read back, and released
/// together when the scope is disposed (device memory on a GPU backend; nothing to do for the CPU backend).
/// </summary>
internal sealed class TensorScope : IDisposable
{
    private readonly List<Tensor> _owned = new();

    public TensorScope(IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
    }

    public IComputeBackend Backend { get; }

    /// <summary>A zero-filled tensor released with the scope.</summary>
    public Tensor Allocate(params int[] shape)
    {
        var tensor = Backend.Allocate(shape);
        _owned.Add(tensor);
        return tensor;
    }

    /// <summary>A tensor of <paramref name="shape"/> holding <paramref name="values"/>.</summary>
    public Tensor Upload(ReadOnlySpan<float> values, params int[] shape)
    {
        var tensor = Allocate(shape);
        Backend.Upload(tensor, values);
        return tensor;
    }

    /// <summary>(rows, D) tensor of <paramref name="matrix"/>.</summary>
    public Tensor Upload(EmbeddingMatrix matrix) => Upload(matrix.Span, matrix.Rows, matrix.Dimension);

    /// <summary>(rows, D) tensor of the L2-normalised rows of <paramref name="matrix"/>.</summary>
    public Tensor UploadNormalized(EmbeddingMatrix matrix)
    {
        var tensor = Upload(matrix);
        NormalizeRows(tensor);
        return tensor;
    }

    /// <summary>Normalises every row of the (rows, D) <paramref name="rows"/> in place; an all-zero row stays zero.</summary>
    public void NormalizeRows(Tensor rows)
    {
        var norms = Allocate(rows.Dim(0));
        Backend.L2NormalizeForward(rows, norms, rows, L2Normalize.DefaultEpsilon);
    }

    /// <summary>The (rows, D) <paramref name="tensor"/> as a new host matrix.</summary>
    public EmbeddingMatrix Download(Tensor tensor)
    {
        var matrix = new EmbeddingMatrix(tensor.Dim(0), tensor.Dim(1));
        Backend.Download(matrix.Span, tensor);
        return matrix;
    }

    /// <summary>The values of <paramref name="tensor"/> in a new host array.</summary>
    public float[] DownloadArray(Tensor tensor)
    {
        var values = new float[tensor.Length];
        Backend.Download(values, tensor);
        return values;
    }

    public void Dispose()
    {
        foreach (var tensor in _owned)
        {
            tensor.Storage.Dispose();
        }

        _owned.Clear();
    }
}
