using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Tensors;
using Xunit;
using CrossModal.Testing;

namespace CrossModal.Bridging.Tests;

/// <summary>
/// The slow twins: plain double-precision loops that say what each strategy computes, written independently of
/// the library's code paths (no GEMM, no TensorPrimitives, no Cholesky).
/// </summary>
internal static class Reference
{
    public static double[] Normalize(ReadOnlySpan<float> x)
    {
        var result = new double[x.Length];
        double sum = 0;
        foreach (var v in x)
        {
            sum += (double)v * v;
        }

        var norm = Math.Sqrt(sum);
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = norm > 0 ? x[i] / norm : 0;
        }

        return result;
    }

    public static double[] Normalize(double[] x)
    {
        double sum = 0;
        foreach (var v in x)
        {
            sum += v * v;
        }

        var norm = Math.Sqrt(sum);
        var result = new double[x.Length];
        for (var i = 0; i < x.Length; i++)
        {
            result[i] = x[i] / norm;
        }

        return result;
    }

    public static double[] NormalizedMean(EmbeddingMatrix m)
    {
        var mean = new double[m.Dimension];
        for (var i = 0; i < m.Rows; i++)
        {
            var row = Normalize(m.Row(i));
            for (var j = 0; j < mean.Length; j++)
            {
                mean[j] += row[j] / m.Rows;
            }
        }

        return mean;
    }

    public static double Dot(double[] a, ReadOnlySpan<float> b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += a[i] * b[i];
        }

        return s;
    }

    /// <summary>Solves A·X = B (A: n×n, B: n×m) by Gaussian elimination with partial pivoting.</summary>
    public static double[,] Solve(double[,] a, double[,] b)
    {
        var n = a.GetLength(0);
        var m = b.GetLength(1);
        var aa = (double[,])a.Clone();
        var bb = (double[,])b.Clone();
        for (var col = 0; col < n; col++)
        {
            var pivot = col;
            for (var r = col + 1; r < n; r++)
            {
                if (Math.Abs(aa[r, col]) > Math.Abs(aa[pivot, col]))
                {
                    pivot = r;
                }
            }

            for (var c = 0; c < n; c++)
            {
                (aa[col, c], aa[pivot, c]) = (aa[pivot, c], aa[col, c]);
            }

            for (var c = 0; c < m; c++)
            {
                (bb[col, c], bb[pivot, c]) = (bb[pivot, c], bb[col, c]);
            }

            for (var r = 0; r < n; r++)
            {
                if (r == col)
                {
                    continue;
                }

                var f = aa[r, col] / aa[col, col];
                for (var c = 0; c < n; c++)
                {
                    aa[r, c] -= f * aa[col, c];
                }

                for (var c = 0; c < m; c++)
                {
                    bb[r, c] -= f * bb[col, c];
                }
            }
        }

        for (var r = 0; r < n; r++)
        {
            for (var c = 0; c < m; c++)
            {
                bb[r, c] /= aa[r, r];
            }
        }

        return bb;
    }

    /// <summary>Eigenvalues of a symmetric matrix by cyclic Jacobi rotations, descending.</summary>
    public static double[] JacobiEigenvalues(double[,] input)
    {
        var n = input.GetLength(0);
        var a = (double[,])input.Clone();
        for (var sweep = 0; sweep < 100; sweep++)
        {
            double off = 0;
            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    off += a[p, q] * a[p, q];
                }
            }

            if (off < 1e-22)
            {
                break;
            }

            for (var p = 0; p < n; p++)
            {
                for (var q = p + 1; q < n; q++)
                {
                    if (Math.Abs(a[p, q]) < 1e-300)
                    {
                        continue;
                    }

                    var theta = (a[q, q] - a[p, p]) / (2 * a[p, q]);
                    var t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0)
                    {
                        t = 1;
                    }

                    var c = 1 / Math.Sqrt(t * t + 1);
                    var s = t * c;
                    for (var k = 0; k < n; k++)
                    {
                        var akp = a[k, p];
                        var akq = a[k, q];
                        a[k, p] = c * akp - s * akq;
                        a[k, q] = s * akp + c * akq;
                    }

                    for (var k = 0; k < n; k++)
                    {
                        var apk = a[p, k];
                        var aqk = a[q, k];
                        a[p, k] = c * apk - s * aqk;
                        a[q, k] = s * apk + c * aqk;
                    }
                }
            }
        }

        var result = new double[n];
        for (var i = 0; i < n; i++)
        {
            result[i] = a[i, i];
        }

        Array.Sort(result);
        Array.Reverse(result);
        return result;
    }

    /// <summary>Asserts |actual − expected| ≤ atol + rtol·|expected| element-wise, naming the first failure.</summary>
    public static void AssertClose(ReadOnlySpan<double> expected, ReadOnlySpan<float> actual, double atol, double rtol, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var err = Math.Abs(actual[i] - expected[i]);
            if (err > atol + rtol * Math.Abs(expected[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]} but the reference is {expected[i]} (|error| {err:G3}).");
            }
        }
    }

    public static void AssertRowClose(double[] expected, ReadOnlySpan<float> actual, double atol, string what) =>
        AssertClose(expected, actual, atol, 0, what);
}

/// <summary>Seeded synthetic embeddings and the committed COCO embeddings.</summary>
internal static class TestData
{
    /// <summary>
    /// Paired embeddings with a modality gap: shared content c_i ~ N(0, I), texts = c + g_t + noise, images =
    /// c + g_v + noise, with different constant offsets g_t, g_v — the geometry "Mind the Gap" describes.
    /// </summary>
    public static (EmbeddingMatrix Images, EmbeddingMatrix Texts) Paired(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var gt = new double[d];
        var gv = new double[d];
        for (var j = 0; j < d; j++)
        {
            gt[j] = 1.5 * Normal(rng);
            gv[j] = 1.5 * Normal(rng);
        }

        var images = new EmbeddingMatrix(n, d);
        var texts = new EmbeddingMatrix(n, d);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                var c = Normal(rng);
                texts.Span[i * d + j] = (float)(c + gt[j] + 0.5 * Normal(rng));
                images.Span[i * d + j] = (float)(c + gv[j] + 0.5 * Normal(rng));
            }
        }

        return (images, texts);
    }

    public static EmbeddingMatrix Random(int n, int d, int seed)
    {
        var rng = new Random(seed);
        var m = new EmbeddingMatrix(n, d);
        for (var i = 0; i < m.Span.Length; i++)
        {
            m.Span[i] = (float)Normal(rng);
        }

        return m;
    }

    private static double Normal(Random rng) => BoxMuller.Sample(1 - rng.NextDouble(), rng.NextDouble());

    public static string RepositoryRoot() => RepositoryPaths.Root;

    public static string CocoDirectory => Path.Combine(RepositoryRoot(), "data", "embeddings", "coco_val2017_vitb16_500");

    private static readonly Lazy<(EmbeddingMatrix Images, EmbeddingMatrix Texts)> Coco = new(() => LoadPairs("features_clip.npy"));

    /// <summary>The 500 real COCO val2017 pairs (CLIP ViT-B/16).</summary>
    public static (EmbeddingMatrix Images, EmbeddingMatrix Texts) CocoPairs => Coco.Value;

    public static (EmbeddingMatrix Images, EmbeddingMatrix Texts) LoadPairs(string file)
    {
        var array = CrossModal.Tensors.IO.NpyFile.Read(Path.Combine(CocoDirectory, file));
        Assert.Equal(new[] { 2, 500, 512 }, array.Shape);
        var half = 500 * 512;
        return (new EmbeddingMatrix(array.Data[..half], 500, 512), new EmbeddingMatrix(array.Data[half..], 500, 512));
    }
}
