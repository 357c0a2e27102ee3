using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.ShapesWorld.Scoring;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>A bridge's scene-F1 difference to the baseline (C1), pooled over worlds and per world.</summary>
/// <param name="System">The bridge.</param>
/// <param name="Baseline">The system it is compared with (C1: no bridge).</param>
/// <param name="Difference">Pooled: mean over worlds of the mean over seeds and photos of system − baseline, with its
/// paired-bootstrap interval.</param>
/// <param name="PerWorld">The same, world by world (in <see cref="ShapesStudy.Worlds"/> order).</param>
public sealed record BridgeComparison(string System, string Baseline, BootstrapInterval Difference, IReadOnlyList<BootstrapInterval> PerWorld);

/// <summary>The experiment over one or more worlds (<see cref="ShapesExperiment.RunWorlds"/>): each world's results,
/// the pooled scores and the paired-bootstrap comparisons of every bridge with C1 in scene F1.</summary>
public sealed class ShapesStudy
{
    /// <summary>The system every bridge is compared with: C1, the captioner fed raw image embeddings.</summary>
    public const string Baseline = "C1";

    private ShapesStudy(IReadOnlyList<ShapesExperimentResult> worlds, IReadOnlyList<BridgeComparison> comparisons)
    {
        Worlds = worlds;
        Comparisons = comparisons;
    }

    /// <summary>Each world's result, in world-seed order.</summary>
    public IReadOnlyList<ShapesExperimentResult> Worlds { get; }

    /// <summary>Every system other than C1 and the paired ceiling, compared with C1 in scene F1.</summary>
    public IReadOnlyList<BridgeComparison> Comparisons { get; }

    /// <summary>The options of the first world (the others differ in the world seed only).</summary>
    public ShapesExperimentOptions Options => Worlds[0].Options;

    /// <summary>The systems in report order.</summary>
    public IReadOnlyList<string> Systems => Worlds[0].Systems;

    /// <summary>The retrieval ceiling's scores, averaged over worlds.</summary>
    public ShapesScores RetrievalCeiling => ShapesScores.Summarize(Worlds.Select(w => w.RetrievalCeiling.Scores).ToArray()).Mean;

    /// <summary>The corpus oracle and the bag-of-objects retrieval (<see cref="ShapesCorpusBounds"/>): mean F1s and
    /// exact fractions averaged over worlds, counts summed.</summary>
    public ShapesCorpusBounds CorpusBounds => new(
        Pool(Worlds.Select(w => w.CorpusBounds.Oracle).ToArray()),
        Pool(Worlds.Select(w => w.CorpusBounds.BagOfObjects).ToArray()));

    /// <summary>The ground truth's scores, averaged over worlds.</summary>
    public ShapesScores HumanScores => ShapesScores.Summarize(Worlds.Select(w => w.HumanScores).ToArray()).Mean;

    /// <summary>Every world's gap-study points, world after world.</summary>
    public IReadOnlyList<GapStudyPoint> GapStudy => Worlds.SelectMany(w => w.GapStudy).ToArray();

    /// <summary>Seconds per stage, summed over worlds.</summary>
    public IReadOnlyDictionary<string, double> StageSeconds
    {
        get
        {
            var sum = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var (stage, seconds) in Worlds.SelectMany(w => w.StageSeconds))
            {
                sum[stage] = sum.GetValueOrDefault(stage) + seconds;
            }

            return sum;
        }
    }

    /// <summary>Mean and sample standard deviation of each score of <paramref name="system"/> over every (world, seed) run.</summary>
    /// <param name="system">A system name.</param>
    public (ShapesScores Mean, ShapesScores Std) Summary(string system)
    {
        var rows = Worlds.SelectMany(w => w.RunsOf(system)).Select(r => r.Scores).ToArray();
        if (rows.Length == 0)
        {
            throw new ArgumentException($"No runs of system '{system}'.", nameof(system));
        }

        return ShapesScores.Summarize(rows);
    }

    /// <summary>The comparison of <paramref name="system"/> with C1, or null for C1 and the paired ceiling.</summary>
    /// <param name="system">A system name.</param>
    public BridgeComparison? ComparisonOf(string system) => Comparisons.FirstOrDefault(c => c.System == system);

    /// <summary>Pools worlds and runs the paired bootstrap (<see cref="ShapesExperimentOptions.BootstrapResamples"/>,
    /// <see cref="ShapesExperimentOptions.BootstrapSeed"/> of the first world's options).</summary>
    /// <param name="worlds">At least one world's result, all with the same systems and seeds.</param>
    /// <exception cref="ArgumentException">No worlds, or worlds with different systems.</exception>
    public static ShapesStudy Create(IReadOnlyList<ShapesExperimentResult> worlds)
    {
        ArgumentNullException.ThrowIfNull(worlds);
        if (worlds.Count == 0)
        {
            throw new ArgumentException("At least one world is needed.", nameof(worlds));
        }

        var systems = worlds[0].Systems;
        if (worlds.Any(w => !w.Systems.SequenceEqual(systems)))
        {
            throw new ArgumentException("Every world must have the same systems.", nameof(worlds));
        }

        var options = worlds[0].Options;
        var comparisons = new List<BridgeComparison>();
        if (systems.Contains(Baseline))
        {
            var index = 0;
            foreach (var system in systems.Where(s => s != Baseline && s != "paired"))
            {
                // One resampling seed per comparison, so adding a system does not change another's interval.
                var seed = options.BootstrapSeed + 7919 * ++index;
                var strata = worlds.Select(w => PairedBootstrap.Differences(PhotoScores(w, system), PhotoScores(w, Baseline))).ToArray();
                var pooled = PairedBootstrap.MeanDifference(strata, options.BootstrapResamples, seed);
                var perWorld = strata.Select(s => PairedBootstrap.MeanDifference([s], options.BootstrapResamples, seed)).ToArray();
                comparisons.Add(new BridgeComparison(system, Baseline, pooled, perWorld));
            }
        }

        return new ShapesStudy(worlds, comparisons);
    }

    private static IReadOnlyList<IReadOnlyList<double>> PhotoScores(ShapesExperimentResult world, string system) =>
        world.RunsOf(system).OrderBy(r => r.Seed).Select(r => r.PhotoSceneF1).ToArray();

    private static SceneAccuracyReport Pool(IReadOnlyList<SceneAccuracyReport> reports) => new(
        reports.Sum(r => r.Count),
        reports.Average(r => r.MeanF1),
        reports.Average(r => r.MeanObjectF1),
        reports.Average(r => r.MeanRelationF1),
        reports.Average(r => r.ExactFraction),
        reports.Aggregate(default(TupleCounts), (a, r) => a + r.Objects),
        reports.Aggregate(default(TupleCounts), (a, r) => a + r.Relations));
}
