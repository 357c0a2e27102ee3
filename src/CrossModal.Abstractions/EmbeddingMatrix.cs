using System;
using System.Collections.Generic;

namespace CrossModal.Abstractions;

/// <summary>
/// A dense matrix of embeddings: <see cref="Rows"/> vectors of <see cref="Dimension"/> float32 values,
/// stored row-major in one contiguous array (row i occupies <c>[i·Dimension, (i+1)·Dimension)</c>).
/// </summary>
/// <remarks>
/// This is the currency between encoders, modality bridges and captioners. It owns its storage; the
/// constructor that takes an array wraps it without copying, so callers that hand over a buffer must not
/// keep writing into it.
/// </remarks>
public sealed class EmbeddingMatrix
{
    private readonly float[] _data;

    /// <summary>Creates a zero-filled matrix.</summary>
    /// <param name="rows">Number of embeddings; zero or more.</param>
    /// <param name="dimension">Length of each embedding; one or more.</param>
    public EmbeddingMatrix(int rows, int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Rows = rows;
        Dimension = dimension;
        _data = new float[checked(rows * dimension)];
    }

    /// <summary>Wraps an existing row-major array without copying it.</summary>
    /// <param name="data">Row-major values; its length must be exactly <paramref name="rows"/> × <paramref name="dimension"/>.</param>
    /// <param name="rows">Number of embeddings.</param>
    /// <param name="dimension">Length of each embedding.</param>
    /// <exception cref="ArgumentException"><paramref name="data"/> has the wrong length.</exception>
    public EmbeddingMatrix(float[] data, int rows, int dimension)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        if ((long)rows * dimension != data.LongLength)
        {
            throw new ArgumentException(
                $"Expected {rows} × {dimension} = {(long)rows * dimension} values but the array holds {data.LongLength}.",
                nameof(data));
        }

        Rows = rows;
        Dimension = dimension;
        _data = data;
    }

    /// <summary>Number of embeddings (rows).</summary>
    public int Rows { get; }

    /// <summary>Length of each embedding (columns).</summary>
    public int Dimension { get; }

    /// <summary>All values, row-major.</summary>
    public Span<float> Span => _data;

    /// <summary>All values, row-major, as memory (for asynchronous or deferred consumers).</summary>
    public Memory<float> Memory => _data;

    /// <summary>The underlying row-major array (not a copy).</summary>
    public float[] Array => _data;

    /// <summary>The values of row <paramref name="index"/>.</summary>
    /// <param name="index">Row index in <c>[0, Rows)</c>.</param>
    public Span<float> Row(int index)
    {
        if ((uint)index >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"Row index must be in [0, {Rows}).");
        }

        return _data.AsSpan(index * Dimension, Dimension);
    }

    /// <summary>Builds a matrix by copying equally long vectors.</summary>
    /// <param name="rows">The vectors; all must have the same, non-zero length.</param>
    /// <exception cref="ArgumentException">A row's length differs from the first row's.</exception>
    public static EmbeddingMatrix FromRows(IReadOnlyList<float[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("At least one row is needed to know the dimension.", nameof(rows));
        }

        var dimension = rows[0].Length;
        var matrix = new EmbeddingMatrix(rows.Count, dimension);
        for (var i = 0; i < rows.Count; i++)
        {
            if (rows[i].Length != dimension)
            {
                throw new ArgumentException($"Row {i} has {rows[i].Length} values; row 0 has {dimension}.", nameof(rows));
            }

            rows[i].CopyTo(matrix.Row(i));
        }

        return matrix;
    }

    /// <summary>A deep copy.</summary>
    public EmbeddingMatrix Clone() => new((float[])_data.Clone(), Rows, Dimension);

    /// <summary>A copy of rows <c>[start, start + count)</c>.</summary>
    /// <param name="start">First row.</param>
    /// <param name="count">Number of rows.</param>
    public EmbeddingMatrix SliceRows(int start, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        if (start + count > Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"Rows [{start}, {start + count}) exceed the {Rows} rows of the matrix.");
        }

        var copy = new float[count * Dimension];
        _data.AsSpan(start * Dimension, count * Dimension).CopyTo(copy);
        return new EmbeddingMatrix(copy, count, Dimension);
    }

    /// <summary>
    /// Throws when any value is NaN or infinite, naming the argument and the first offending row.
    /// </summary>
    /// <param name="argumentName">The name to report (e.g. <c>"texts"</c>).</param>
    /// <exception cref="ArgumentException">A non-finite value was found.</exception>
    public void EnsureFinite(string argumentName)
    {
        for (var i = 0; i < _data.Length; i++)
        {
            if (!float.IsFinite(_data[i]))
            {
                throw new ArgumentException(
                    $"Embedding row {i / Dimension} (column {i % Dimension}) is {_data[i]}; embeddings must be finite.",
                    argumentName);
            }
        }
    }

    /// <summary>Throws unless this matrix has <paramref name="expected"/> columns.</summary>
    /// <param name="expected">The dimension required.</param>
    /// <param name="argumentName">The name to report.</param>
    /// <exception cref="ArgumentException">The dimension differs.</exception>
    public void EnsureDimension(int expected, string argumentName)
    {
        if (Dimension != expected)
        {
            throw new ArgumentException($"Expected embeddings of dimension {expected} but got {Dimension}.", argumentName);
        }
    }
}
