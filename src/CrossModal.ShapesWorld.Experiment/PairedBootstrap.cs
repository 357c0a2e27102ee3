using System;
using System.Collections.Generic;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>A bootstrap confidence interval of a mean difference.</summary>
/// <param name="Estimate">The difference on the data as observed.</param>
/// <param name="Lower">The lower end of the percentile interval.</param>
/// <param name="Upper">The upper end.</param>
/// <param name="Confidence">The interval's nominal coverage, e.g. 0.95.</param>
/// <param name="Resamples">Bootstrap resamples drawn.</param>
public readonly record struct BootstrapInterval(double Estimate, double Lower, double Upper, double Confidence, int Resamples)
{
    /// <summary>Whether the interval excludes 0: the difference is resolved at this confidence.</summary>
    public bool IsResolved => Lower > 0 || Upper < 0;
}

/// <summary>
/// The paired bootstrap of a difference between two systems scored on the same photos with the same captioner seeds
/// (Efron and Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13; Koehn, EMNLP 2004, for the paired form in
/// language generation). The data are per-unit differences d[s][i] = score_A(seed s, photo i) − score_B(seed s,
/// photo i), grouped in strata (one per world). A resample draws, independently within every stratum, its seeds with
/// replacement and its photos with replacement, and takes the mean of d over the drawn seed × photo grid (a crossed
/// two-way resample, so both the photo sample and the seed sample vary); the pooled statistic is the mean of the
/// stratum means, each world weighing the same. The interval is the percentile interval of the resampled statistics.
/// Because the difference is taken per unit, what photos and seeds share (an easy photo, a lucky initialisation)
/// cancels, which is what makes the paired test sharper than comparing two separate intervals.
/// </summary>
public static class PairedBootstrap
{
    /// <summary>The per-unit differences of two systems in one stratum: d[s][i] = a[s][i] − b[s][i].</summary>
    /// <param name="a">(S seeds)(N photos) scores of the first system.</param>
    /// <param name="b">(S)(N) scores of the second system, same seeds and photos in the same order.</param>
    /// <exception cref="ArgumentException">The shapes differ or are empty.</exception>
    public static double[][] Differences(IReadOnlyList<IReadOnlyList<double>> a, IReadOnlyList<IReadOnlyList<double>> b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Count != b.Count || a.Count == 0)
        {
            throw new ArgumentException($"Both systems need the same, non-zero number of seeds; got {a.Count} and {b.Count}.", nameof(b));
        }

        var d = new double[a.Count][];
        for (var s = 0; s < a.Count; s++)
        {
            if (a[s].Count != b[s].Count || a[s].Count == 0)
            {
                throw new ArgumentException($"Seed {s}: {a[s].Count} and {b[s].Count} photos; they must pair photo by photo.", nameof(b));
            }

            d[s] = new double[a[s].Count];
            for (var i = 0; i < d[s].Length; i++)
            {
                d[s][i] = a[s][i] - b[s][i];
            }
        }

        return d;
    }

    /// <summary>The percentile interval of the mean difference, resampling seeds and photos within each stratum.</summary>
    /// <param name="strata">One (S)(N) grid of differences per stratum (world); S and N may differ between strata.</param>
    /// <param name="resamples">Bootstrap resamples, at least 100 (2,000 gives stable 95 % ends).</param>
    /// <param name="seed">Seed of the resampling.</param>
    /// <param name="confidence">The nominal coverage in (0, 1).</param>
    /// <exception cref="ArgumentException">No strata, an empty or ragged grid, or a value out of range.</exception>
    public static BootstrapInterval MeanDifference(IReadOnlyList<double[][]> strata, int resamples, int seed, double confidence = 0.95)
    {
        ArgumentNullException.ThrowIfNull(strata);
        ArgumentOutOfRangeException.ThrowIfLessThan(resamples, 100);
        if (!(confidence is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must be in (0, 1).");
        }

        if (strata.Count == 0)
        {
            throw new ArgumentException("At least one stratum is needed.", nameof(strata));
        }

        var estimate = 0.0;
        foreach (var grid in strata)
        {
            Check(grid);
            var sum = 0.0;
            foreach (var row in grid)
            {
                foreach (var v in row)
                {
                    sum += v;
                }
            }

            estimate += sum / (grid.Length * grid[0].Length);
        }

        estimate /= strata.Count;
        var rng = new Random(seed);
        var statistics = new double[resamples];
        var maxSeeds = 0;
        var maxPhotos = 0;
        foreach (var grid in strata)
        {
            maxSeeds = Math.Max(maxSeeds, grid.Length);
            maxPhotos = Math.Max(maxPhotos, grid[0].Length);
        }

        var seedCounts = new int[maxSeeds];
        var photoCounts = new int[maxPhotos];
        for (var r = 0; r < resamples; r++)
        {
            var pooled = 0.0;
            foreach (var grid in strata)
            {
                int seeds = grid.Length, photos = grid[0].Length;
                Array.Clear(seedCounts);
                Array.Clear(photoCounts);
                for (var k = 0; k < seeds; k++)
                {
                    seedCounts[rng.Next(seeds)]++;
                }

                for (var k = 0; k < photos; k++)
                {
                    photoCounts[rng.Next(photos)]++;
                }

                var sum = 0.0;
                for (var s = 0; s < seeds; s++)
                {
                    if (seedCounts[s] == 0)
                    {
                        continue;
                    }

                    var row = grid[s];
                    var rowSum = 0.0;
                    for (var i = 0; i < photos; i++)
                    {
                        rowSum += photoCounts[i] * row[i];
                    }

                    sum += seedCounts[s] * rowSum;
                }

                pooled += sum / ((double)seeds * photos);
            }

            statistics[r] = pooled / strata.Count;
        }

        Array.Sort(statistics);
        var tail = (1 - confidence) / 2;
        return new BootstrapInterval(estimate, Quantile(statistics, tail), Quantile(statistics, 1 - tail), confidence, resamples);
    }

    private static void Check(double[][] grid)
    {
        if (grid is null || grid.Length == 0 || grid[0] is null || grid[0].Length == 0)
        {
            throw new ArgumentException("Every stratum needs at least one seed and one photo.", nameof(grid));
        }

        foreach (var row in grid)
        {
            if (row is null || row.Length != grid[0].Length)
            {
                throw new ArgumentException("Every seed of a stratum must cover the same photos.", nameof(grid));
            }
        }
    }

    // Linear interpolation between order statistics (Hyndman and Fan's type 7, numpy's default).
    private static double Quantile(double[] sorted, double p)
    {
        var h = (sorted.Length - 1) * p;
        var lo = (int)Math.Floor(h);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
    }
}
