using System;
using System.IO;
using System.Runtime.InteropServices;
using CrossModal.Data.ClipRetrieval;
using CrossModal.Data.Statistics;
using CrossModal.Testing;
using Xunit;

namespace CrossModal.Data.Tests;

/// <summary>The one-pass accumulator against its slow twin: a two-pass mean and covariance in double over all rows.</summary>
public class EmbeddingMomentsTests
{
    private const float Atol = 1e-5f;
    private const float Rtol = 1e-4f;

    /// <summary>Two-pass reference: mean, then Σ (x − μ)(x − μ)ᵀ / (n − 1), in double.</summary>
    private static (double[] Mean, double[] Covariance) Reference(float[] rows, int n, int d, bool normalize)
    {
        var x = new double[n * d];
        for (int i = 0; i < n; i++)
        {
            double norm = 0;
            for (int j = 0; j < d; j++)
            {
                norm += (double)rows[(i * d) + j] * rows[(i * d) + j];
            }

            norm = Math.Sqrt(norm);
            for (int j = 0; j < d; j++)
            {
                x[(i * d) + j] = normalize && norm > 0 ? rows[(i * d) + j] / norm : rows[(i * d) + j];
            }
        }

        var mean = new double[d];
        for (int i = 0; i < n; i++)
        {
            for (int j = 0; j < d; j++)
            {
                mean[j] += x[(i * d) + j] / n;
            }
        }

        var cov = new double[d * d];
        for (int i = 0; i < n; i++)
        {
            for (int a = 0; a < d; a++)
            {
                for (int b = 0; b < d; b++)
                {
                    cov[(a * d) + b] += (x[(i * d) + a] - mean[a]) * (x[(i * d) + b] - mean[b]) / (n - 1);
                }
            }
        }

        return (mean, cov);
    }

    private static void AssertClose(double[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= Atol + (Rtol * Math.Abs(expected[i])), $"[{i}] {actual[i]} vs {expected[i]}");
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Batches_of_any_size_give_the_two_pass_mean_and_covariance(bool normalize)
    {
        const int D = 5;
        int[] batches = [1, 7, 3, 16, 2, 1];
        int n = 30;
        var random = new Random(7);
        var rows = new float[n * D];
        for (int i = 0; i < rows.Length; i++)
        {
            rows[i] = (float)((random.NextDouble() * 2) - 1 + (i % D == 0 ? 3 : 0)); // an offset column: a non-zero mean
        }

        var moments = new EmbeddingMoments(D, withCovariance: true, normalizeRows: normalize);
        int at = 0;
        foreach (int b in batches)
        {
            moments.Add(rows.AsSpan(at * D, b * D), b);
            at += b;
        }

        Assert.Equal(n, at);
        Assert.Equal(n, moments.Count);
        var (mean, covariance) = Reference(rows, n, D, normalize);
        AssertClose(mean, moments.Mean());
        AssertClose(covariance, moments.Covariance());
    }

    [Fact]
    public void Folder_passes_match_the_reference_over_all_rows()
    {
        string dir = Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "clip_retrieval", "f32");
        float[] img = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "expected_img.f32"))).ToArray();
        float[] text = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(dir, "expected_text.f32"))).ToArray();
        const int D = 8;
        int n = img.Length / D;
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(dir);

        EmbeddingMoments texts = folder.ComputeMoments(ClipRetrievalModality.Text, normalizeRows: true, withCovariance: true);
        var (mean, covariance) = Reference(text, n, D, normalize: true);
        AssertClose(mean, texts.Mean());
        AssertClose(covariance, texts.Covariance());

        // Δ_i = n(v_i) − n(t_i): normalise both sides, subtract, then the plain moments.
        var delta = new float[img.Length];
        for (int i = 0; i < n; i++)
        {
            double nv = 0, nt = 0;
            for (int j = 0; j < D; j++)
            {
                nv += (double)img[(i * D) + j] * img[(i * D) + j];
                nt += (double)text[(i * D) + j] * text[(i * D) + j];
            }

            for (int j = 0; j < D; j++)
            {
                delta[(i * D) + j] = (float)((img[(i * D) + j] / Math.Sqrt(nv)) - (text[(i * D) + j] / Math.Sqrt(nt)));
            }
        }

        EmbeddingMoments gap = folder.ComputeGapMoments();
        (mean, covariance) = Reference(delta, n, D, normalize: false);
        AssertClose(mean, gap.Mean());
        AssertClose(covariance, gap.Covariance());
    }

    [Fact]
    public void Undefined_results_and_bad_input_throw()
    {
        var moments = new EmbeddingMoments(3, withCovariance: true);
        Assert.Throws<InvalidOperationException>(() => moments.Mean());
        moments.Add([1f, 2f, 3f], 1);
        Assert.Throws<InvalidOperationException>(() => moments.Covariance());
        Assert.Throws<ArgumentException>(() => moments.Add([1f, 2f], 1));
        var e = Assert.Throws<ArgumentException>(() => moments.Add([1f, 2f, 3f, 4f, float.NaN, 6f], 2));
        Assert.Contains("row 2 overall", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => new EmbeddingMoments(3).Covariance());
    }
}
