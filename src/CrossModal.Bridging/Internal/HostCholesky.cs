using System;

namespace CrossModal.Bridging.Internal;

/// <summary>
/// Dense Cholesky factorisation A = L·Lᵀ and triangular solves, in double precision, on the host CPU only — never on
/// an <see cref="CrossModal.Tensors.IComputeBackend"/>. It serves the small D×D (or (D+1)×(D+1)) systems of the
/// covariance factor and the ridge solve, whose O(D³) cost is tiny beside the backend's N×D work and which need double
/// precision to stay stable.
/// </summary>
internal static class HostCholesky
{
    /// <summary>
    /// Factors the symmetric matrix in place into its lower-triangular factor (upper triangle zeroed).
    /// Returns false when a pivot is not positive (the matrix is not positive definite).
    /// </summary>
    /// <param name="a">(n, n) row-major; only the lower triangle is read.</param>
    /// <param name="n">Order of the matrix.</param>
    public static bool TryFactor(Span<double> a, int n)
    {
        for (var j = 0; j < n; j++)
        {
            var rowJ = a.Slice(j * n, n);
            var diag = rowJ[j];
            for (var k = 0; k < j; k++)
            {
                diag -= rowJ[k] * rowJ[k];
            }

            if (!(diag > 0.0))
            {
                return false;
            }

            var ljj = Math.Sqrt(diag);
            rowJ[j] = ljj;
            for (var i = j + 1; i < n; i++)
            {
                var rowI = a.Slice(i * n, n);
                var sum = rowI[j];
                for (var k = 0; k < j; k++)
                {
                    sum -= rowI[k] * rowJ[k];
                }

                rowI[j] = sum / ljj;
            }

            rowJ[(j + 1)..].Clear();
        }

        return true;
    }

    /// <summary>
    /// Factors A + ε·I, starting with ε = <paramref name="relativeJitter"/>·mean(diag A) (or no jitter when it is 0)
    /// and growing ε tenfold until the factorisation succeeds — the usual remedy for a rank-deficient covariance.
    /// </summary>
    /// <returns>The jitter finally added.</returns>
    public static double FactorWithJitter(ReadOnlySpan<double> a, int n, double relativeJitter, Span<double> factor)
    {
        var meanDiagonal = 0.0;
        for (var i = 0; i < n; i++)
        {
            meanDiagonal += a[i * n + i];
        }

        meanDiagonal = Math.Max(meanDiagonal / n, double.Epsilon);
        var jitter = 0.0;
        var next = Math.Max(relativeJitter, 1e-12) * meanDiagonal;
        for (var attempt = 0; attempt < 20; attempt++)
        {
            a.CopyTo(factor);
            for (var i = 0; i < n; i++)
            {
                factor[i * n + i] += jitter;
            }

            if (TryFactor(factor, n))
            {
                return jitter;
            }

            jitter = jitter == 0.0 ? next : jitter * 10.0;
        }

        throw new InvalidOperationException(
            $"The {n}×{n} matrix is not positive definite even with a jitter of {jitter:G3} on its diagonal; it is probably not a covariance.");
    }

    /// <summary>Solves L·Lᵀ·X = B in place for <paramref name="columns"/> right-hand sides.</summary>
    /// <param name="factor">(n, n) lower-triangular factor from <see cref="TryFactor"/>.</param>
    /// <param name="n">Order.</param>
    /// <param name="b">(n, columns) row-major right-hand sides; overwritten with X.</param>
    /// <param name="columns">Number of right-hand sides.</param>
    public static void Solve(ReadOnlySpan<double> factor, int n, Span<double> b, int columns)
    {
        // Forward substitution L·Y = B, row by row so each step is a contiguous axpy.
        for (var i = 0; i < n; i++)
        {
            var bi = b.Slice(i * columns, columns);
            for (var k = 0; k < i; k++)
            {
                SubtractScaledRow(bi, factor[i * n + k], b.Slice(k * columns, columns));
            }

            ScaleRow(bi, 1.0 / factor[i * n + i]);
        }

        // Back substitution Lᵀ·X = Y.
        for (var i = n - 1; i >= 0; i--)
        {
            var bi = b.Slice(i * columns, columns);
            for (var k = i + 1; k < n; k++)
            {
                SubtractScaledRow(bi, factor[k * n + i], b.Slice(k * columns, columns));
            }

            ScaleRow(bi, 1.0 / factor[i * n + i]);
        }
    }

    /// <summary>row −= coefficient·other (skipped for a zero coefficient of the triangular factor).</summary>
    private static void SubtractScaledRow(Span<double> row, double coefficient, ReadOnlySpan<double> other)
    {
        if (coefficient == 0.0)
        {
            return;
        }

        for (var c = 0; c < row.Length; c++)
        {
            row[c] -= coefficient * other[c];
        }
    }

    private static void ScaleRow(Span<double> row, double factor)
    {
        for (var c = 0; c < row.Length; c++)
        {
            row[c] *= factor;
        }
    }
}
