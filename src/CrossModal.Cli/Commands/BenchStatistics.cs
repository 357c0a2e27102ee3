using System;

namespace CrossModal.Cli.Commands;

/// <summary>Statistics the bench commands share.</summary>
internal static class BenchStatistics
{
    /// <summary>The median of <paramref name="values"/> (left unchanged): the middle value, or the mean of the two middle ones.</summary>
    public static double Median(double[] values)
    {
        var sorted = (double[])values.Clone();
        Array.Sort(sorted);
        var n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : 0.5 * (sorted[(n / 2) - 1] + sorted[n / 2]);
    }
}
