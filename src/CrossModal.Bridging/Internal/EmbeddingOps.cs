using System;
using System.Buffers;
using CrossModal.Abstractions;
using CrossModal.Tensors.Cpu.Kernels;

namespace CrossModal.Bridging.Internal;

/// <summary>Row-wise helpers shared by the strategies: L2 normalisation, means and input checks.</summary>
internal static class EmbeddingOps
{
    /// <summary>
    /// dst_i = src_i / ‖src_i‖ for each row, on the host (the <see cref="L2Normalize"/> kernel); an all-zero row stays
    /// zero (it has no direction). Bulk work on N×D matrices goes through the backend instead (<see cref="TensorScope.NormalizeRows"/>).
    /// </summary>
    /// <param name="source">(rows, dim) row-major.</param>
    /// <param name="rows">Number of rows.</param>
    /// <param name="dim">Row length.</param>
    /// <param name="destination">(rows, dim); may be the same span as <paramref name="source"/>.</param>
    public static void NormalizeRows(ReadOnlySpan<float> source, int rows, int dim, Span<float> destination)
    {
        var norms = ArrayPool<float>.Shared.Rent(rows);
        try
        {
            L2Normalize.Forward(destination[..(rows * dim)], norms.AsSpan(0, rows), source[..(rows * dim)], rows, dim);
        }
        finally
        {
            ArrayPool<float>.Shared.Return(norms);
        }
    }

    /// <summary>A new matrix holding the L2-normalised rows of <paramref name="matrix"/>.</summary>
    public static EmbeddingMatrix Normalized(EmbeddingMatrix matrix)
    {
        var result = new EmbeddingMatrix(matrix.Rows, matrix.Dimension);
        NormalizeRows(matrix.Span, matrix.Rows, matrix.Dimension, result.Span);
        return result;
    }

    /// <summary>Normalises every row of <paramref name="matrix"/> in place.</summary>
    public static void NormalizeInPlace(EmbeddingMatrix matrix) =>
        NormalizeRows(matrix.Span, matrix.Rows, matrix.Dimension, matrix.Span);

    /// <summary>Mean of the L2-normalised rows: μ = (1/n)·Σ_i n(x_i), accumulated in double.</summary>
    /// <returns>(dim) mean vector.</returns>
    public static float[] NormalizedMean(EmbeddingMatrix matrix)
    {
        var dim = matrix.Dimension;
        var sum = new double[dim];
        var row = new float[dim];
        for (var i = 0; i < matrix.Rows; i++)
        {
            NormalizeRows(matrix.Row(i), 1, dim, row);
            for (var j = 0; j < dim; j++)
            {
                sum[j] += row[j];
            }
        }

        var mean = new float[dim];
        for (var j = 0; j < dim; j++)
        {
            mean[j] = (float)(sum[j] / matrix.Rows);
        }

        return mean;
    }

    /// <summary>
    /// Throws unless <paramref name="matrix"/> is non-null, has at least one row, has dimension
    /// <paramref name="expectedDimension"/> (when positive) and holds only finite values (the message names the row).
    /// </summary>
    public static void Validate(EmbeddingMatrix? matrix, int expectedDimension, string argumentName)
    {
        ArgumentNullException.ThrowIfNull(matrix, argumentName);
        if (expectedDimension > 0 && matrix.Dimension != expectedDimension)
        {
            throw new ArgumentException(
                $"Expected embeddings of dimension {expectedDimension} (the dimension the bridge was fitted on) but got {matrix.Dimension}.",
                argumentName);
        }

        matrix.EnsureFinite(argumentName);
    }
}
