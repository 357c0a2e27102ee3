using System;

namespace CrossModal.Bridging;

/// <summary>
/// Eigen-decomposition of a dense symmetric matrix: Householder reduction to tridiagonal form, then the implicit QL
/// algorithm with Wilkinson shifts (Numerical Recipes 3rd ed. §11.3–11.4, <c>tred2</c>/<c>tqli</c>, with or without
/// accumulating the eigenvectors). O(n³) with a small constant; a 512 × 512 matrix takes a fraction of a second. The
/// gap report uses the eigenvalues (the gap spectrum); principal component analysis uses the vectors too.
/// </summary>
public static class SymmetricEigenvalues
{
    /// <summary>The eigenvalues of <paramref name="matrix"/>, sorted descending.</summary>
    /// <param name="matrix">(n, n) symmetric, row-major; destroyed.</param>
    /// <param name="n">Order.</param>
    /// <exception cref="ArgumentException"><paramref name="matrix"/> does not hold n × n values.</exception>
    public static double[] Compute(double[] matrix, int n)
    {
        CheckShape(matrix, n);
        var d = new double[n];
        var e = new double[n];
        Tridiagonalize(matrix, n, d, e, vectors: false);
        QlImplicit(d, e, n, null);
        Array.Sort(d);
        Array.Reverse(d);
        return d;
    }

    /// <summary>The eigenvalues of <paramref name="matrix"/>, sorted descending, and their unit eigenvectors.</summary>
    /// <param name="matrix">(n, n) symmetric, row-major; on return column k holds the unit eigenvector of eigenvalue
    /// k (A·v_k = λ_k·v_k), so the columns form an orthonormal basis.</param>
    /// <param name="n">Order.</param>
    /// <returns>(n) eigenvalues, descending.</returns>
    /// <exception cref="ArgumentException"><paramref name="matrix"/> does not hold n × n values.</exception>
    public static double[] ComputeWithVectors(double[] matrix, int n)
    {
        CheckShape(matrix, n);
        var d = new double[n];
        var e = new double[n];
        Tridiagonalize(matrix, n, d, e, vectors: true);
        QlImplicit(d, e, n, matrix);

        // Sort descending, permuting the columns with their values (NR's eigsrt).
        for (var i = 0; i < n - 1; i++)
        {
            var k = i;
            for (var j = i + 1; j < n; j++)
            {
                if (d[j] > d[k])
                {
                    k = j;
                }
            }

            if (k != i)
            {
                (d[i], d[k]) = (d[k], d[i]);
                for (var r = 0; r < n; r++)
                {
                    (matrix[r * n + i], matrix[r * n + k]) = (matrix[r * n + k], matrix[r * n + i]);
                }
            }
        }

        return d;
    }

    private static void CheckShape(double[] matrix, int n)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        if (matrix.Length != n * n)
        {
            throw new ArgumentException($"matrix holds {matrix.Length} values; expected n × n = {n * n}.", nameof(matrix));
        }
    }

    // With vectors, a ends as the orthogonal Q of A = Q·T·Qᵀ (NR tred2 with yesvecs), which QL then rotates into the eigenvectors.
    private static void Tridiagonalize(double[] a, int n, double[] d, double[] e, bool vectors)
    {
        for (var i = n - 1; i > 0; i--)
        {
            var l = i - 1;
            var h = 0.0;
            if (l > 0)
            {
                var scale = 0.0;
                for (var k = 0; k <= l; k++)
                {
                    scale += Math.Abs(a[i * n + k]);
                }

                if (scale == 0.0)
                {
                    e[i] = a[i * n + l];
                }
                else
                {
                    for (var k = 0; k <= l; k++)
                    {
                        a[i * n + k] /= scale;
                        h += a[i * n + k] * a[i * n + k];
                    }

                    var f = a[i * n + l];
                    var g = f >= 0.0 ? -Math.Sqrt(h) : Math.Sqrt(h);
                    e[i] = scale * g;
                    h -= f * g;
                    a[i * n + l] = f - g;
                    f = 0.0;
                    for (var j = 0; j <= l; j++)
                    {
                        if (vectors)
                        {
                            a[j * n + i] = a[i * n + j] / h;
                        }

                        g = 0.0;
                        for (var k = 0; k <= j; k++)
                        {
                            g += a[j * n + k] * a[i * n + k];
                        }

                        for (var k = j + 1; k <= l; k++)
                        {
                            g += a[k * n + j] * a[i * n + k];
                        }

                        e[j] = g / h;
                        f += e[j] * a[i * n + j];
                    }

                    var hh = f / (h + h);
                    for (var j = 0; j <= l; j++)
                    {
                        f = a[i * n + j];
                        e[j] = g = e[j] - hh * f;
                        for (var k = 0; k <= j; k++)
                        {
                            a[j * n + k] -= f * e[k] + g * a[i * n + k];
                        }
                    }
                }
            }
            else
            {
                e[i] = a[i * n + l];
            }

            d[i] = h;
        }

        if (n > 0)
        {
            d[0] = 0.0;
            e[0] = 0.0;
        }

        for (var i = 0; i < n; i++)
        {
            if (!vectors)
            {
                d[i] = a[i * n + i];
                continue;
            }

            if (d[i] != 0.0)
            {
                for (var j = 0; j < i; j++)
                {
                    var g = 0.0;
                    for (var k = 0; k < i; k++)
                    {
                        g += a[i * n + k] * a[k * n + j];
                    }

                    for (var k = 0; k < i; k++)
                    {
                        a[k * n + j] -= g * a[k * n + i];
                    }
                }
            }

            d[i] = a[i * n + i];
            a[i * n + i] = 1.0;
            for (var j = 0; j < i; j++)
            {
                a[j * n + i] = a[i * n + j] = 0.0;
            }
        }
    }

    private static void QlImplicit(double[] d, double[] e, int n, double[]? z)
    {
        for (var i = 1; i < n; i++)
        {
            e[i - 1] = e[i];
        }

        if (n > 0)
        {
            e[n - 1] = 0.0;
        }

        for (var l = 0; l < n; l++)
        {
            var iterations = 0;
            int m;
            do
            {
                for (m = l; m < n - 1; m++)
                {
                    var dd = Math.Abs(d[m]) + Math.Abs(d[m + 1]);
                    if (Math.Abs(e[m]) <= double.Epsilon + 1e-15 * dd)
                    {
                        break;
                    }
                }

                if (m != l)
                {
                    if (iterations++ == 60)
                    {
                        throw new InvalidOperationException("The eigenvalue iteration did not converge.");
                    }

                    var g = (d[l + 1] - d[l]) / (2.0 * e[l]);
                    var r = Hypot(g, 1.0);
                    g = d[m] - d[l] + e[l] / (g + (g >= 0.0 ? Math.Abs(r) : -Math.Abs(r)));
                    double s = 1.0, c = 1.0, p = 0.0;
                    int i;
                    for (i = m - 1; i >= l; i--)
                    {
                        var f = s * e[i];
                        var b = c * e[i];
                        e[i + 1] = r = Hypot(f, g);
                        if (r == 0.0)
                        {
                            d[i + 1] -= p;
                            e[m] = 0.0;
                            break;
                        }

                        s = f / r;
                        c = g / r;
                        g = d[i + 1] - p;
                        r = (d[i] - g) * s + 2.0 * c * b;
                        d[i + 1] = g + (p = s * r);
                        g = c * r - b;
                        if (z is not null)
                        {
                            for (var k = 0; k < n; k++)
                            {
                                f = z[k * n + i + 1];
                                z[k * n + i + 1] = s * z[k * n + i] + c * f;
                                z[k * n + i] = c * z[k * n + i] - s * f;
                            }
                        }
                    }

                    if (r == 0.0 && i >= l)
                    {
                        continue;
                    }

                    d[l] -= p;
                    e[l] = g;
                    e[m] = 0.0;
                }
            }
            while (m != l);
        }
    }

    private static double Hypot(double a, double b)
    {
        var absA = Math.Abs(a);
        var absB = Math.Abs(b);
        if (absA > absB)
        {
            var ratio = absB / absA;
            return absA * Math.Sqrt(1.0 + ratio * ratio);
        }

        if (absB == 0.0)
        {
            return 0.0;
        }

        var q = absA / absB;
        return absB * Math.Sqrt(1.0 + q * q);
    }
}
