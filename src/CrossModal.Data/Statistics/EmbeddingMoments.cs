using System;
using System.Numerics.Tensors;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Data.Statistics;

/// <summary>
/// The mean and (optionally) the covariance of a stream of embeddings, accumulated in one pass, batch by batch, so
/// that a data set larger than memory can be summarised shard by shard.
/// </summary>
/// <remarks>
/// <para>Each batch is centred on its own mean, its scatter (X − x̄)ᵀ(X − x̄) is one GEMM, and batches are merged with
/// the pairwise update of Chan, Golub and LeVeque ("Updating formulae and a pairwise algorithm for computing sample
/// variances", 1979): M₂ = M₂ₐ + M₂ᵦ + δδᵀ·nₐnᵦ/n with δ = x̄ᵦ − x̄ₐ. Means and M₂ are kept in double, so the result does
/// not drift with the number of rows the way a running float sum of raw values would.</para>
/// <para>With <c>normalizeRows</c> each row is first scaled to unit L2 norm (an all-zero row stays zero), which is
/// how the bridges measure CLIP embeddings (the means of Collapse and MeanShift, the gap covariance of
/// CovarianceNoise).</para>
/// <para>After the first batch of the largest size, <see cref="Add"/> allocates nothing.</para>
/// </remarks>
/// <example>
/// <code>
/// var moments = new EmbeddingMoments(512, withCovariance: true, normalizeRows: true);
/// foreach (var shard in folder.Shards)
/// {
///     shard.ReadEmbeddings(ClipRetrievalModality.Text, buffer);
///     moments.Add(buffer, shard.RowCount);
/// }
/// float[] mean = moments.Mean();
/// float[] covariance = moments.Covariance(); // (512, 512)
/// </code>
/// </example>
public sealed class EmbeddingMoments
{
    private readonly double[] _mean;
    private readonly double[]? _m2;
    private readonly float[]? _batchScatter;
    private readonly double[] _batchMean;
    private float[] _scratch = [];

    /// <summary>Creates an empty accumulator.</summary>
    /// <param name="dimension">Length of each embedding; one or more.</param>
    /// <param name="withCovariance">Whether to accumulate the (dimension, dimension) scatter as well as the mean.</param>
    /// <param name="normalizeRows">Whether each row is scaled to unit L2 norm before it is counted.</param>
    public EmbeddingMoments(int dimension, bool withCovariance = false, bool normalizeRows = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Dimension = dimension;
        WithCovariance = withCovariance;
        NormalizeRows = normalizeRows;
        _mean = new double[dimension];
        _batchMean = new double[dimension];
        if (withCovariance)
        {
            _m2 = new double[checked(dimension * dimension)];
            _batchScatter = new float[dimension * dimension];
        }
    }

    /// <summary>Length of each embedding.</summary>
    public int Dimension { get; }

    /// <summary>Whether the covariance is accumulated.</summary>
    public bool WithCovariance { get; }

    /// <summary>Whether rows are L2-normalised before they are counted.</summary>
    public bool NormalizeRows { get; }

    /// <summary>Rows counted so far.</summary>
    public long Count { get; private set; }

    /// <summary>Adds <paramref name="rowCount"/> rows.</summary>
    /// <param name="rows">(rowCount, Dimension) row-major; only the first rowCount·Dimension values are read.</param>
    /// <param name="rowCount">Number of rows; zero adds nothing.</param>
    /// <exception cref="ArgumentException"><paramref name="rows"/> is too short, or holds a NaN or infinity (the row is named).</exception>
    public void Add(ReadOnlySpan<float> rows, int rowCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        int d = Dimension;
        long needed = (long)rowCount * d;
        if (rows.Length < needed)
        {
            throw new ArgumentException($"{rowCount} rows of {d} need {needed} values; the span holds {rows.Length}.", nameof(rows));
        }

        if (rowCount == 0)
        {
            return;
        }

        // (rowCount, d) the batch, normalised, then centred on its own mean.
        if (_scratch.Length < needed)
        {
            _scratch = new float[needed];
        }

        Span<float> x = _scratch.AsSpan(0, (int)needed);
        rows[..(int)needed].CopyTo(x);
        for (int i = 0; i < rowCount; i++)
        {
            Span<float> row = x.Slice(i * d, d);
            if (!AllFinite(row))
            {
                throw new ArgumentException($"Row {i} of the batch (row {Count + i} overall) holds a NaN or infinity; embeddings must be finite.", nameof(rows));
            }

            if (NormalizeRows)
            {
                float norm = TensorPrimitives.Norm(row);
                if (norm > 0f)
                {
                    TensorPrimitives.Multiply(row, 1f / norm, row);
                }
            }
        }

        Array.Clear(_batchMean);
        for (int i = 0; i < rowCount; i++)
        {
            ReadOnlySpan<float> row = x.Slice(i * d, d);
            for (int j = 0; j < d; j++)
            {
                _batchMean[j] += row[j];
            }
        }

        for (int j = 0; j < d; j++)
        {
            _batchMean[j] /= rowCount;
        }

        long n = Count + rowCount;
        if (_m2 is not null)
        {
            for (int i = 0; i < rowCount; i++)
            {
                Span<float> row = x.Slice(i * d, d);
                for (int j = 0; j < d; j++)
                {
                    row[j] = (float)(row[j] - _batchMean[j]);
                }
            }

            // Scatter (d, d) = Xcᵀ·Xc of the centred batch.
            Gemm.Multiply(true, false, d, d, rowCount, 1f, x, d, x, d, 0f, _batchScatter, d);
            double weight = (double)Count * rowCount / n;
            for (int a = 0; a < d; a++)
            {
                double da = _batchMean[a] - _mean[a];
                for (int b = 0; b < d; b++)
                {
                    _m2[(a * d) + b] += _batchScatter![(a * d) + b] + (da * (_batchMean[b] - _mean[b]) * weight);
                }
            }
        }

        for (int j = 0; j < d; j++)
        {
            _mean[j] += (_batchMean[j] - _mean[j]) * rowCount / n;
        }

        Count = n;
    }

    private static bool AllFinite(ReadOnlySpan<float> row)
    {
        foreach (float v in row)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The mean of the rows counted so far.</summary>
    /// <exception cref="InvalidOperationException">No row has been added.</exception>
    public float[] Mean()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("No rows have been added; the mean is undefined.");
        }

        var mean = new float[Dimension];
        for (int j = 0; j < Dimension; j++)
        {
            mean[j] = (float)_mean[j];
        }

        return mean;
    }

    /// <summary>The sample covariance (denominator n − 1), (Dimension, Dimension) row-major.</summary>
    /// <exception cref="InvalidOperationException">The accumulator was made without covariance, or fewer than 2 rows were added.</exception>
    public float[] Covariance()
    {
        if (_m2 is null)
        {
            throw new InvalidOperationException("This accumulator was created with withCovariance: false.");
        }

        if (Count < 2)
        {
            throw new InvalidOperationException($"At least 2 rows are needed for a covariance (got {Count}).");
        }

        var covariance = new float[_m2.Length];
        for (int i = 0; i < covariance.Length; i++)
        {
            covariance[i] = (float)(_m2[i] / (Count - 1));
        }

        return covariance;
    }
}
