using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.ShapesWorld.Experiment;
using CrossModal.ShapesWorld.World;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary><c>crossmodal shapes</c> (without a subcommand): the whole method end to end in ShapesWorld (connect,
/// text-only captioners per strategy, the paired ceiling, scores and plots); see docs/shapesworld.md.</summary>
internal static class ShapesExperimentCommand
{
    /// <summary>Gives the <c>shapes</c> command the experiment's options and action (its subcommands stay).</summary>
    public static Command Configure(Command command)
    {
        var output = new Option<string>("--out") { Description = "Output folder (results.md, results.json, SVG and PNG plots, PNG photos, safetensors models).", DefaultValueFactory = _ => Path.Combine("out", "shapes") };
        var seeds = new Option<int?>("--seeds") { Description = "Captioner seeds per system (default 1; more seeds add the training randomness to the intervals at proportionally more time)." };
        var quick = new Option<bool>("--quick") { Description = "A small world, one seed, short budgets (about 2 minutes)." };
        var json = new Option<bool>("--json") { Description = "Print {\"strategies\": {…}, \"retrieval_ceiling\": {…}, \"differences_to_c1\": {…}, \"gap\": {…}, \"gap_study\": […], …} on stdout." };
        var worlds = new Option<int?>("--worlds") { Description = "Repeat the whole run (world, CLIP, captioners) over N world seeds (the world seed, +1, …) and pool them (default 1)." };
        var gapStudy = new Option<string?>("--gap-study") { Description = "Gap study arms: 'none', 'emulated' (shift the trained CLIP's image embeddings; the default) or 'full' (also CLIPs trained at other temperatures, about 5 more minutes per temperature)." };
        var resamples = new Option<int?>("--bootstrap-resamples") { Description = "Resamples of the paired bootstrap of each bridge's scene-F1 difference to C1 (default 2000; at least 100)." };
        var worldSeed = new Option<ulong?>("--world-seed") { Description = "Seed of the world (scenes, captions, renders); default 1." };
        var logitScale = new Option<string?>("--clip-logit-scale") { Description = "The CLIP's fixed logit scale 1/τ (e.g. 100, CLIP's final value), or 'learned' (the default)." };
        var split = new Option<string?>("--split") { Description = "Score on the 'test' photos (default) or the 'validation' photos (choose settings there, never on test)." };
        var clipSteps = new Option<int?>("--clip-steps") { Description = "Contrastive training steps (default 2000; 700 with --quick)." };
        var captionerSteps = new Option<int?>("--captioner-steps") { Description = "Training steps of every captioner, in batches grouped by caption length (default 12800; 1800 with --quick)." };
        var adversarialSteps = new Option<int?>("--adversarial-steps") { Description = "Generator steps of the CgT-GAN row, trained from each seed's C1 captioner (default 300; 60 with --quick; 0 leaves the row out)." };
        var adversarialAblations = new Option<bool>("--adversarial-ablations") { Description = "Also train the CgT-GAN ablations CLIP-cos + D, CLIP-agg only and D only." };
        command.Description = "ShapesWorld. Without a subcommand: run the experiment (train a small CLIP, one text-only captioner per bridging strategy and the paired ceiling, and score them on rendered test photos).";
        command.Options.Add(output);
        command.Options.Add(seeds);
        command.Options.Add(quick);
        command.Options.Add(json);
        command.Options.Add(worldSeed);
        command.Options.Add(logitScale);
        command.Options.Add(split);
        command.Options.Add(clipSteps);
        var clipBatchSize = new Option<int?>("--clip-batch-size") { Description = "Pairs per contrastive step, a multiple of --clip-hard-negatives (default 128; 64 with --quick). 256 with --clip-steps 4000 and --clip-group-weight 0 gives the CLIP four times the pairs without the group loss: a run of about 22 minutes whose retrieval ceiling matched the default's (docs/shapesworld.md)." };
        command.Options.Add(clipBatchSize);
        var clipHardNegatives = new Option<int?>("--clip-hard-negatives") { Description = "Pairs per hard-negative group of the CLIP's training data: a web pair and its minimal variants (two colours swapped, two sizes swapped, shapes redrawn), in one batch (default 4; 1: the web pairs alone)." };
        command.Options.Add(clipHardNegatives);
        var clipGroupWeight = new Option<float?>("--clip-group-weight") { Description = "Weight of each hard-negative group's own contrastive loss beside the batch's, ≥ 0 (default 4; 0: CLIP's loss alone)." };
        command.Options.Add(clipGroupWeight);
        var shapes = new Option<string?>("--shapes") { Description = "The world's shapes: comma-separated words (circle,square,triangle,star,cross,diamond,heart), 'default' (the first five) or 'all'." };
        var colors = new Option<string?>("--colors") { Description = "The world's colours: comma-separated words (red,orange,yellow,green,blue,purple,pink), 'default' (red,yellow,green,blue,purple) or 'all'." };
        command.Options.Add(shapes);
        command.Options.Add(colors);
        command.Options.Add(captionerSteps);
        command.Options.Add(worlds);
        command.Options.Add(gapStudy);
        command.Options.Add(resamples);
        command.Options.Add(adversarialSteps);
        command.Options.Add(adversarialAblations);
        command.SetAction((parse, cancellationToken) => System.Threading.Tasks.Task.FromResult(new Func<int>(() =>
        {
            var options = parse.GetValue(quick) ? ShapesExperimentOptions.Quick() : ShapesExperimentOptions.Default();
            options.Seeds = Positive(parse.GetValue(seeds), "--seeds") ?? options.Seeds;
            if (parse.GetValue(adversarialSteps) is { } adversarial)
            {
                options.AdversarialSteps = adversarial >= 0 ? adversarial : throw new CommandLineError($"--adversarial-steps must be 0 or more but is {adversarial}.");
            }

            options.AdversarialAblations = parse.GetValue(adversarialAblations);

            if (parse.GetValue(worldSeed) is { } ws)
            {
                options.World.Seed = ws;
            }

            if (parse.GetValue(shapes) is not null || parse.GetValue(colors) is not null)
            {
                try
                {
                    options.World.Kinds = ObjectKinds.Parse(parse.GetValue(shapes) ?? "default", parse.GetValue(colors) ?? "default");
                }
                catch (ArgumentException e)
                {
                    throw new CommandLineError($"{(e.ParamName == "colors" ? colors.Name : shapes.Name)}: {CommandLineError.Reason(e)}", e);
                }
            }

            if (parse.GetValue(logitScale) is { } scaleText)
            {
                if (string.Equals(scaleText, "learned", StringComparison.OrdinalIgnoreCase))
                {
                    options.ClipLogitScale = null;
                }
                else if (float.TryParse(scaleText, NumberStyles.Float, CultureInfo.InvariantCulture, out var scale) && scale is > 0 and <= 1000)
                {
                    options.ClipLogitScale = scale;
                }
                else
                {
                    throw new CommandLineError($"--clip-logit-scale must be a number in (0, 1000] or 'learned' but is '{scaleText}'.");
                }
            }

            if (parse.GetValue(split) is { } splitText)
            {
                options.EvaluationSplit = splitText.ToLowerInvariant() switch
                {
                    "test" => ShapesEvaluationSplit.Test,
                    "validation" => ShapesEvaluationSplit.Validation,
                    _ => throw new CommandLineError($"--split must be 'test' or 'validation' but is '{splitText}'."),
                };
            }

            options.Worlds = Positive(parse.GetValue(worlds), "--worlds") ?? options.Worlds;
            if (parse.GetValue(resamples) is { } r)
            {
                options.BootstrapResamples = r >= 100 ? r : throw new CommandLineError($"--bootstrap-resamples must be at least 100 but is {r}.");
            }

            if (parse.GetValue(gapStudy) is { } gapText)
            {
                options.GapStudy = gapText.ToLowerInvariant() switch
                {
                    "none" => ShapesGapStudy.None,
                    "emulated" => ShapesGapStudy.Emulated,
                    "full" => ShapesGapStudy.Full,
                    _ => throw new CommandLineError($"--gap-study must be 'none', 'emulated' or 'full' but is '{gapText}'."),
                };
            }

            options.ClipSteps = Positive(parse.GetValue(clipSteps), "--clip-steps") ?? options.ClipSteps;
            options.ClipHardNegatives = Positive(parse.GetValue(clipHardNegatives), "--clip-hard-negatives") ?? options.ClipHardNegatives;
            options.ClipBatchSize = Positive(parse.GetValue(clipBatchSize), "--clip-batch-size") ?? options.ClipBatchSize;
            if (options.ClipBatchSize < 2 || options.ClipBatchSize % options.ClipHardNegatives != 0)
            {
                throw new CommandLineError($"--clip-batch-size {options.ClipBatchSize} must be at least 2 and a multiple of --clip-hard-negatives {options.ClipHardNegatives}: every batch holds whole hard-negative groups.");
            }
            if (parse.GetValue(clipGroupWeight) is { } groupWeight)
            {
                options.ClipGroupLossWeight = groupWeight >= 0f && float.IsFinite(groupWeight)
                    ? groupWeight
                    : throw new CommandLineError($"--clip-group-weight must be a finite weight ≥ 0 but is {groupWeight.ToString(CultureInfo.InvariantCulture)}.");
            }

            options.CaptionerSteps = Positive(parse.GetValue(captionerSteps), "--captioner-steps") ?? options.CaptionerSteps;
            var directory = parse.GetValue(output)!;
            if (File.Exists(directory))
            {
                throw new CommandLineError($"--out: '{directory}' is a file; expected a folder.");
            }

            ShapesStudy? result = null;
            var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
            console.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(context =>
                {
                    var total = options.Worlds * (options.ClipSteps + options.Seeds * ShapesExperiment.Systems.Count * options.CaptionerSteps);
                    var overall = context.AddTask("overall", maxValue: total);
                    var stage = context.AddTask("world");
                    result = ShapesExperiment.RunWorlds(options, new Reporter(overall, stage, options.CaptionerSteps), cancellationToken: cancellationToken);
                    overall.Value = overall.MaxValue;
                    stage.Value = stage.MaxValue;
                });
            console.MarkupLine(CultureInfo.InvariantCulture, $"[grey]writing {Markup.Escape(directory)} …[/]");
            ShapesReportWriter.Write(result!, directory);
            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(ShapesExperimentJson.Summary(result!));
            }
            else
            {
                Console.Out.Write(ShapesReportWriter.Table(result!));
                foreach (var world in result!.Worlds)
                {
                    var g = world.Gap;
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"world {world.WorldSeed}: gap after the connect step: paired cosine {g.MeanPairedCosine:F3}, centroid distance {g.CentroidDistance:F3}, i→t R@1 {g.ImageToTextRecallAt1:F3}"));
                }

                Console.Out.WriteLine($"wrote {Path.Combine(directory, "results.md")}");
            }

            return 0;
        })()));
        return command;
    }

    private static int? Positive(int? value, string name) => value is { } v && v <= 0
        ? throw new CommandLineError($"{name} must be positive but is {v}.")
        : value;

    /// <summary>Moves the overall bar and the latest stage's bar. Captioners train concurrently, so reports arrive from
    /// several threads: the overall bar counts CLIP steps plus, per captioner, its fraction done times the step budget,
    /// over every world (stages "world k/N: …"); the gap study's extra CLIPs and captioners move the stage bar only.</summary>
    private sealed class Reporter(ProgressTask overall, ProgressTask stage, int captionerSteps) : IProgress<TrainingProgress>
    {
        private readonly System.Threading.Lock _gate = new();
        private readonly Dictionary<string, double> _done = new(StringComparer.Ordinal);
        private double _sum;

        public void Report(TrainingProgress value)
        {
            lock (_gate)
            {
                stage.MaxValue = Math.Max(1, value.TotalSteps);
                stage.Value = value.Step;
                var loss = double.IsNaN(value.Loss) ? string.Empty : string.Create(CultureInfo.InvariantCulture, $" loss {value.Loss:F3}");
                stage.Description = Markup.Escape(string.Create(CultureInfo.InvariantCulture, $"{value.Stage} step {value.Step}/{value.TotalSteps}{loss}"));
                double units;
                var name = value.Stage.StartsWith("world ", StringComparison.Ordinal) && value.Stage.Contains(": ", StringComparison.Ordinal)
                    ? value.Stage[(value.Stage.IndexOf(": ", StringComparison.Ordinal) + 2)..]
                    : value.Stage;
                if (name.StartsWith("clip", StringComparison.Ordinal))
                {
                    units = value.Step;
                }
                else if (name.StartsWith("captioner", StringComparison.Ordinal) && value.TotalSteps > 0)
                {
                    units = (double)value.Step / value.TotalSteps * captionerSteps;
                }
                else
                {
                    return;
                }

                _sum += units - _done.GetValueOrDefault(value.Stage);
                _done[value.Stage] = units;
                overall.Value = Math.Min(overall.MaxValue, _sum);
            }
        }
    }
}
