using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Captioning;
using CrossModal.ShapesWorld.Scoring;
using CrossModal.Tensors;
using CrossModal.Text;
using CrossModal.Training.Adversarial;
using CrossModal.Training.Captioning;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>The training curves of one adversarial run: per generator step the mean sample reward and the
/// discriminator's loss, and the scene F1 of greedy captions of (up to 200) evaluation photos at a few steps.</summary>
/// <param name="System">The system's name, e.g. <c>CgT-GAN</c>.</param>
/// <param name="Seed">The captioner seed of the C1 initialisation.</param>
/// <param name="Reward">Mean combined reward of the samples at every step.</param>
/// <param name="DiscriminatorLoss">The discriminator's BCE loss at every step.</param>
/// <param name="EvaluationSteps">The steps at which <paramref name="SceneF1"/> was measured (0: the C1 initialisation).</param>
/// <param name="SceneF1">Mean scene F1 in [0, 1] at those steps.</param>
public sealed record ShapesAdversarialCurve(string System, int Seed, IReadOnlyList<float> Reward, IReadOnlyList<float> DiscriminatorLoss,
                                            IReadOnlyList<int> EvaluationSteps, IReadOnlyList<double> SceneF1);

/// <summary>
/// The experiment's adversarial stage: CgT-GAN (CLIP-agg + discriminator) trained from each seed's C1 captioner on the
/// world's unpaired photos and its caption corpus, scored like every other system; optionally the ablations CLIP-cos + D,
/// CLIP-agg only and D only.
/// </summary>
internal static class ShapesAdversarial
{
    /// <summary>The CgT-GAN row's system name.</summary>
    public const string System = "CgT-GAN";

    /// <summary>What the stage produced: the scored runs (every variant, every seed), the curves and the variants' names in order.</summary>
    public sealed record Outcome(IReadOnlyList<ShapesSystemRun> Runs, IReadOnlyList<ShapesAdversarialCurve> Curves, IReadOnlyList<string> Systems);

    /// <summary>A C1 captioner to start from.</summary>
    public sealed record Initial(int Seed, PrefixLanguageModel Model, IModalityBridge? Bridge, ModalityGapReport Gap);

    /// <summary>The variants: CgT-GAN, then (with ablations) CLIP-cos + D, CLIP-agg only, D only.</summary>
    public static IReadOnlyList<(string Name, string Reward)> Variants(bool ablations) => ablations
        ? [(System, "agg+d"), ("CgT-GAN-cos+D", "cos+d"), ("CgT-GAN-agg-only", "agg"), ("CgT-GAN-D-only", "d")]
        : [(System, "agg+d")];

    public static Outcome Run(
        ShapesExperimentOptions options, IReadOnlyList<Initial> initial, ShapesClip clip, WordTokenizer tokenizer, int maxWords,
        EmbeddingMatrix unpairedImages, IReadOnlyList<string> corpus, EmbeddingMatrix corpusTexts, EmbeddingMatrix testImages,
        IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<World.SceneDescription> scenes, IComputeBackend backend,
        IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var corpusTokens = corpus.Select(c => tokenizer.Encode(c)).Where(t => t.Length > 0).ToArray();
        ClipAggregateReward? aggregate = null;
        var runs = new List<ShapesSystemRun>();
        var curves = new List<ShapesAdversarialCurve>();
        var variants = Variants(options.AdversarialAblations);
        var evaluationCount = Math.Min(200, testImages.Rows);
        var evaluationImages = new EmbeddingMatrix(testImages.Span[..(evaluationCount * testImages.Dimension)].ToArray(), evaluationCount, testImages.Dimension);
        var evaluationScenes = scenes.Take(evaluationCount).ToArray();
        for (var v = 0; v < variants.Count; v++)
        {
            var (name, reward) = variants[v];
            foreach (var init in initial)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var model = Copy(init.Model, backend);
                var discriminator = new Discriminator(backend, new DiscriminatorOptions
                {
                    VocabularySize = tokenizer.VocabularySize,
                    Context = Math.Max(32, maxWords + 2),
                    DropoutSeed = (ulong)(17 + init.Seed),
                });
                discriminator.ResetParameters(5000 + init.Seed);
                IRewardFunction clipReward = reward.StartsWith("agg", StringComparison.Ordinal)
                    ? aggregate ??= new ClipAggregateReward(unpairedImages, corpusTexts, backend: backend)
                    : new ClipCosineReward(unpairedImages);
                var steps = options.AdversarialSteps;

                // The authors' λ schedule (150 warm-up steps, then a ramp to 0.5 over 2,350) scaled to this budget.
                var warmup = (int)Math.Round(steps * 150.0 / 2500.0);
                var schedule = reward switch
                {
                    "agg" or "cos" => new RewardSchedule { WarmupSteps = 0, RampSteps = 0, Final = 1f },
                    "d" => new RewardSchedule { WarmupSteps = 0, RampSteps = 0, Final = 0f },
                    _ => new RewardSchedule { WarmupSteps = warmup, RampSteps = Math.Max(1, steps - warmup), Final = 0.5f },
                };
                var trainerOptions = new AdversarialCaptionTrainerOptions
                {
                    Steps = Math.Max(1, steps),
                    ImagesPerStep = 8,
                    SamplesPerImage = 5,
                    MaxTokens = Math.Min(maxWords + 1, model.MaxCaptionTokens),
                    GeneratorLearningRate = options.AdversarialLearningRate,
                    DiscriminatorLearningRate = options.AdversarialLearningRate,
                    Schedule = schedule,
                    Seed = (7919 * (init.Seed + 1)) + v,
                };
                var trainer = new AdversarialCaptionTrainer(
                    model, discriminator, clipReward,
                    (ICaptionEmbedder)clip,
                    tokenizer.EndOfTextId, trainerOptions);
                var generatorImages = init.Bridge is { } bridge ? bridge.TransformForInference(unpairedImages) : unpairedImages;
                var decoding = new DecodingOptions { MaxTokens = maxWords + 1 };
                var stage = $"adversarial {name} seed {init.Seed + 1}";
                var history = new List<AdversarialStep>(steps);
                var evaluationSteps = new List<int>();
                var sceneF1 = new List<double>();
                var watch = Stopwatch.StartNew();
                var checkpoints = Enumerable.Range(0, 6).Select(k => (int)Math.Round(steps * k / 5.0)).Distinct().ToArray();
                foreach (var target in checkpoints)
                {
                    if (target > trainer.StepsDone)
                    {
                        trainerOptions.Steps = target;
                        var reporter = new Reporter(progress, stage, steps);
                        history.AddRange(trainer.Train(generatorImages, corpusTokens, reporter, cancellationToken));
                    }

                    model.Eval();
                    var sample = new PrefixCaptioner(model, tokenizer, init.Bridge, decoding).Caption(evaluationImages);
                    model.Train();
                    evaluationSteps.Add(trainer.StepsDone);
                    sceneF1.Add(SceneAccuracy.Evaluate(sample, evaluationScenes).MeanF1);
                }

                var seconds = watch.Elapsed.TotalSeconds;
                model.Eval();
                var captions = new PrefixCaptioner(model, tokenizer, init.Bridge, decoding).Caption(testImages);
                var scored = ShapesExperiment.Score(captions, references, scenes, clip, testImages);
                runs.Add(new ShapesSystemRun
                {
                    System = name,
                    Seed = init.Seed,
                    Scores = scored.Scores,
                    PhotoSceneF1 = scored.PhotoSceneF1,
                    Gap = init.Gap,
                    Losses = [],
                    Captions = captions,
                    TrainSeconds = seconds,
                    Model = init.Seed == 0 ? model : null,
                    Bridge = init.Bridge,
                });
                curves.Add(new ShapesAdversarialCurve(name, init.Seed, history.Select(h => h.MeanReward).ToArray(),
                                                      history.Select(h => h.DiscriminatorLoss).ToArray(), evaluationSteps, sceneF1));
            }
        }

        return new Outcome(runs, curves, variants.Select(x => x.Name).ToArray());
    }

    /// <summary>
    /// Writes, for each adversarial system of <paramref name="study"/>, <c>"NAME": {"scene_f1", "object_f1",
    /// "relation_f1", "cider_d", "bleu_4", "clip_score", "init": "C1", "steps", "seeds", "scene_f1_difference_to_c1":
    /// {"scene_f1", "ci_low", "ci_high"}}</c> (means over worlds and seeds; the difference is the paired bootstrap's).
    /// With <paramref name="curves"/>, also each run's curves under <c>"curves"</c>.
    /// </summary>
    public static void WriteJson(Utf8JsonWriter writer, ShapesStudy study, bool curves = false)
    {
        foreach (var (name, _) in Variants(ablations: true))
        {
            if (!study.Systems.Contains(name))
            {
                continue;
            }

            var mean = study.Summary(name).Mean.ToArray();
            writer.WriteStartObject(name);
            for (var i = 0; i < mean.Length; i++)
            {
                writer.WriteNumber(ShapesScores.Keys[i], Math.Round(mean[i], 6));
            }

            writer.WriteString("init", "C1");
            writer.WriteNumber("steps", study.Options.AdversarialSteps);
            writer.WriteNumber("seeds", study.Options.Seeds);
            if (study.ComparisonOf(name) is { } comparison)
            {
                writer.WriteStartObject("scene_f1_difference_to_c1");
                writer.WriteNumber("scene_f1", Math.Round(comparison.Difference.Estimate, 6));
                writer.WriteNumber("ci_low", Math.Round(comparison.Difference.Lower, 6));
                writer.WriteNumber("ci_high", Math.Round(comparison.Difference.Upper, 6));
                writer.WriteEndObject();
            }

            if (curves)
            {
                writer.WriteStartArray("curves");
                foreach (var curve in study.Worlds.SelectMany(w => w.AdversarialCurves).Where(c => c.System == name))
                {
                    writer.WriteStartObject();
                    writer.WriteNumber("seed", curve.Seed);
                    Array(writer, "reward", curve.Reward.Select(r => (double)r));
                    Array(writer, "discriminator_loss", curve.DiscriminatorLoss.Select(r => (double)r));
                    Array(writer, "evaluation_steps", curve.EvaluationSteps.Select(r => (double)r));
                    Array(writer, "scene_f1", curve.SceneF1);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }
    }

    private static void Array(Utf8JsonWriter writer, string name, IEnumerable<double> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            if (double.IsFinite(v))
            {
                writer.WriteNumberValue(Math.Round(v, 5));
            }
            else
            {
                writer.WriteNullValue();
            }
        }

        writer.WriteEndArray();
    }

    /// <summary>The adversarial figures of the first world (none without the stage): reward, discriminator loss and
    /// scene F1 over the generator steps, one line per system (its first seed).</summary>
    public static IReadOnlyList<ShapesPlots.Figure> Figures(ShapesStudy study)
    {
        var curves = study.Worlds[0].AdversarialCurves.Where(c => c.Seed == 0).ToArray();
        if (curves.Length == 0)
        {
            return [];
        }

        string[] palette = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd"];
        ScottPlot.Plot Lines(string title, string label, Func<ShapesAdversarialCurve, (double[] X, double[] Y)> pick)
        {
            var plot = new ScottPlot.Plot();
            for (var i = 0; i < curves.Length; i++)
            {
                var (x, y) = pick(curves[i]);
                var line = plot.Add.ScatterLine(x, y, ScottPlot.Color.FromHex(palette[i % palette.Length]));
                line.LineWidth = 1.5f;
                line.LegendText = curves[i].System;
            }

            plot.Title(title);
            plot.XLabel("generator step");
            plot.YLabel(label);
            plot.ShowLegend();
            return plot;
        }

        (double[], double[]) Smoothed(IReadOnlyList<float> values)
        {
            const int window = 10;
            var y = new double[values.Count];
            double sum = 0;
            for (var i = 0; i < values.Count; i++)
            {
                sum += values[i];
                if (i >= window)
                {
                    sum -= values[i - window];
                }

                y[i] = sum / Math.Min(i + 1, window);
            }

            return (Enumerable.Range(1, values.Count).Select(i => (double)i).ToArray(), y);
        }

        return
        [
            new("adversarial_reward", Lines("mean sample reward (moving average of 10 steps)", "reward", c => Smoothed(c.Reward)), 640, 420),
            new("adversarial_discriminator", Lines("discriminator BCE loss (moving average of 10 steps)", "loss", c => Smoothed(c.DiscriminatorLoss)), 640, 420),
            new("adversarial_scene_f1", Lines($"greedy scene F1, {Math.Min(200, study.Worlds[0].TestPhotos.Count)} photos (step 0: C1)", "scene F1",
                                              c => (c.EvaluationSteps.Select(x => (double)x).ToArray(), c.SceneF1.ToArray())), 640, 420),
        ];
    }

    /// <summary>The report's adversarial section (nothing without the stage).</summary>
    public static void AppendReport(StringBuilder sb, ShapesStudy study)
    {
        var names = Variants(ablations: true).Select(v => v.Name).Where(study.Systems.Contains).ToArray();
        if (names.Length == 0)
        {
            return;
        }

        var o = study.Options;
        var inv = CultureInfo.InvariantCulture;
        var c1 = study.Summary("C1").Mean;
        sb.AppendLine("## Adversarial training (CgT-GAN) from C1");
        sb.AppendLine();
        sb.AppendLine(inv, $"Each seed's C1 captioner, copied, trained for {o.AdversarialSteps} generator steps (8 unpaired photos × 5 samples per step, greedy self-critical baseline, AdamW lr {o.AdversarialLearningRate:G3} for generator and discriminator; λ_t: the authors' 150 / 2,350 schedule scaled to the budget) on the world's unpaired photos and corpus; greedy decoding as every other row. Δ: minus C1 (×100); the scene-F1 interval is the paired bootstrap's.");
        sb.AppendLine();
        sb.AppendLine("| system | scene F1 | Δ scene F1 [95 % CI] | CIDEr-D | Δ CIDEr-D | BLEU-4 | CLIP-score |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        sb.AppendLine(inv, $"| C1 (init) | {100 * c1.SceneF1:F1} | – | {100 * c1.CiderD:F1} | – | {100 * c1.Bleu4:F1} | {c1.ClipScore:F3} |");
        foreach (var name in names)
        {
            var m = study.Summary(name).Mean;
            var ci = study.ComparisonOf(name) is { } c ? string.Create(inv, $"{100 * c.Difference.Estimate:+0.0;-0.0} [{100 * c.Difference.Lower:+0.0;-0.0}, {100 * c.Difference.Upper:+0.0;-0.0}]") : "–";
            sb.AppendLine(inv, $"| {name} | {100 * m.SceneF1:F1} | {ci} | {100 * m.CiderD:F1} | {100 * (m.CiderD - c1.CiderD):+0.0;-0.0} | {100 * m.Bleu4:F1} | {m.ClipScore:F3} |");
        }

        sb.AppendLine();
        if (study.Worlds[0].AdversarialCurves.Count > 0)
        {
            sb.AppendLine("![Adversarial reward](adversarial_reward.svg) ![Discriminator loss](adversarial_discriminator.svg) ![Scene F1 over adversarial training](adversarial_scene_f1.svg)");
            sb.AppendLine();
        }
    }

    /// <summary>A copy of <paramref name="source"/> with the same weights, so the C1 run itself stays as trained.</summary>
    private static PrefixLanguageModel Copy(PrefixLanguageModel source, IComputeBackend backend)
    {
        var copy = new PrefixLanguageModel(backend, source.Options);
        foreach (var ((_, to), (_, from)) in copy.NamedParameters().Zip(source.NamedParameters()))
        {
            to.Value.CopyFrom(from.Value.ToArray());
        }

        return copy;
    }

    /// <summary>Forwards each adversarial step as a <see cref="TrainingProgress"/> of the experiment.</summary>
    private sealed class Reporter(IProgress<TrainingProgress>? inner, string stage, int total) : IProgress<AdversarialStep>
    {
        public void Report(AdversarialStep value) =>
            inner?.Report(new TrainingProgress(stage, value.Step + 1, total, 0, value.PolicyLoss, 0, TimeSpan.Zero));
    }
}
