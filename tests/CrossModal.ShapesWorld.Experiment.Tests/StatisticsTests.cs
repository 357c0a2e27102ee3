using System;
using System.Linq;
using CrossModal.Abstractions;
using Xunit;

namespace CrossModal.ShapesWorld.Experiment.Tests;

/// <summary>The paired bootstrap on synthetic differences with known answers, and the emulated gap shift.</summary>
public sealed class StatisticsTests
{
    [Fact]
    public void AConstantDifferenceHasAZeroWidthInterval()
    {
        var grid = new[] { Enumerable.Repeat(0.1, 50).ToArray(), Enumerable.Repeat(0.1, 50).ToArray() };
        var interval = PairedBootstrap.MeanDifference([grid], 500, seed: 3);
        Assert.Equal(0.1, interval.Estimate, 12);
        Assert.Equal(0.1, interval.Lower, 12);
        Assert.Equal(0.1, interval.Upper, 12);
        Assert.True(interval.IsResolved);
    }

    /// <summary>Two seeds differing by 1 on one photo: a resample's mean is 0, ½ or 1 with probabilities ¼, ½, ¼, so
    /// the 2.5 % and 97.5 % points are exactly 0 and 1 — seeds are resampled, not held fixed.</summary>
    [Fact]
    public void SeedsAreResampledWithReplacement()
    {
        double[][] grid = [[0.0], [1.0]];
        var interval = PairedBootstrap.MeanDifference([grid], 2000, seed: 5);
        Assert.Equal(0.5, interval.Estimate, 12);
        Assert.Equal(0.0, interval.Lower, 12);
        Assert.Equal(1.0, interval.Upper, 12);
        Assert.False(interval.IsResolved);
    }

    /// <summary>Photos resampled with replacement: for N differences with sample standard deviation s, the 95 % interval
    /// of the mean is close to ±1.96·s/√N around it (the normal approximation the percentile bootstrap converges to).</summary>
    [Fact]
    public void PhotoResamplingGivesTheNormalWidth()
    {
        var rng = new Random(11);
        var n = 400;
        var d = Enumerable.Range(0, n).Select(_ => rng.NextDouble() < 0.3 ? 1.0 : 0.0).ToArray();
        var mean = d.Average();
        var sd = Math.Sqrt(d.Sum(x => (x - mean) * (x - mean)) / (n - 1));
        var interval = PairedBootstrap.MeanDifference([[d]], 4000, seed: 7);
        var half = 1.96 * sd / Math.Sqrt(n);
        Assert.Equal(mean, interval.Estimate, 12);
        Assert.InRange(interval.Upper - mean, 0.85 * half, 1.15 * half);
        Assert.InRange(mean - interval.Lower, 0.85 * half, 1.15 * half);
    }

    /// <summary>Pairing: a system that beats the baseline by 0.01 on every photo, on photos whose scores vary from 0
    /// to 1, is resolved; the difference of two unpaired means would not be.</summary>
    [Fact]
    public void PairingCancelsWhatPhotosShare()
    {
        var rng = new Random(13);
        var baseline = Enumerable.Range(0, 200).Select(_ => rng.NextDouble() * 0.9).ToArray();
        var system = baseline.Select(x => x + 0.01).ToArray();
        var grid = PairedBootstrap.Differences([system], [baseline]);
        var interval = PairedBootstrap.MeanDifference([grid], 2000, seed: 17);
        Assert.Equal(0.01, interval.Lower, 9);
        Assert.Equal(0.01, interval.Upper, 9);
    }

    [Fact]
    public void StrataWeighEquallyAndTheSameSeedGivesTheSameInterval()
    {
        double[][] a = [[0.0, 0.0, 0.0, 0.0]];
        double[][] b = [[1.0, 1.0]];
        var interval = PairedBootstrap.MeanDifference([a, b], 300, seed: 1);
        Assert.Equal(0.5, interval.Estimate, 12);
        Assert.Equal(interval, PairedBootstrap.MeanDifference([a, b], 300, seed: 1));
    }

    [Fact]
    public void BadInputIsRejectedNamingTheArgument()
    {
        Assert.Equal("resamples", Assert.Throws<ArgumentOutOfRangeException>(() => PairedBootstrap.MeanDifference([[[1.0]]], 10, 0)).ParamName);
        Assert.Equal("strata", Assert.Throws<ArgumentException>(() => PairedBootstrap.MeanDifference([], 100, 0)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => PairedBootstrap.Differences([[1.0, 2.0]], [[1.0]])).ParamName);
    }

    [Theory]
    [InlineData(0.2)]
    [InlineData(0.55)]
    [InlineData(0.84)]
    public void TheEmulatedShiftReachesTheRequestedCentroidDistance(double target)
    {
        var (images, texts) = Cones(seed: 21);
        var direction = ModalityGapShift.GapDirection(images, texts);
        Assert.True(ModalityGapShift.TrySolve(images, texts, direction, target, out var amount), $"no shift reaches {target}");
        var shifted = ModalityGapShift.Shift(images, direction, amount);
        var report = CrossModal.Bridging.ModalityGapReport.Compute(shifted, texts);
        Assert.Equal(target, report.CentroidDistance, 3);
        for (var i = 0; i < shifted.Rows; i++)
        {
            Assert.Equal(1.0, Math.Sqrt(shifted.Row(i).ToArray().Sum(x => (double)x * x)), 5);
        }
    }

    [Fact]
    public void ShiftingAlongTheGapVectorWidensTheGapAndAgainstItNarrowsIt()
    {
        var (images, texts) = Cones(seed: 22);
        var direction = ModalityGapShift.GapDirection(images, texts);
        var before = ModalityGapShift.CentroidDistance(images, texts);
        Assert.True(ModalityGapShift.CentroidDistance(ModalityGapShift.Shift(images, direction, 0.3), texts) > before);
        Assert.True(ModalityGapShift.CentroidDistance(ModalityGapShift.Shift(images, direction, -0.1), texts) < before);
        Assert.Throws<ArgumentOutOfRangeException>(() => ModalityGapShift.TrySolve(images, texts, direction, 2.5, out _));
    }

    /// <summary>Two cones on the unit sphere in 16-D, their axes 0.4 apart: unit rows around an axis plus noise.</summary>
    private static (EmbeddingMatrix Images, EmbeddingMatrix Texts) Cones(int seed)
    {
        const int n = 120, d = 16;
        var rng = new Random(seed);
        var images = new EmbeddingMatrix(n, d);
        var texts = new EmbeddingMatrix(n, d);
        for (var i = 0; i < n; i++)
        {
            var shared = Enumerable.Range(0, d).Select(_ => (float)(rng.NextDouble() - 0.5) * 0.6f).ToArray();
            for (var j = 0; j < d; j++)
            {
                images.Row(i)[j] = shared[j] + (j == 0 ? 1f : 0f) + (j == 1 ? 0.2f : 0f) + (float)(rng.NextDouble() - 0.5) * 0.1f;
                texts.Row(i)[j] = shared[j] + (j == 0 ? 1f : 0f) - (j == 1 ? 0.2f : 0f) + (float)(rng.NextDouble() - 0.5) * 0.1f;
            }

            Normalize(images.Row(i));
            Normalize(texts.Row(i));
        }

        return (images, texts);
    }

    private static void Normalize(Span<float> row)
    {
        var norm = (float)Math.Sqrt(row.ToArray().Sum(x => (double)x * x));
        for (var j = 0; j < row.Length; j++)
        {
            row[j] /= norm;
        }
    }
}
