using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Evaluation.Captioning;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Text;
using CrossModal.Training.Adversarial;
using CrossModal.Training.Captioning;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal train-adversarial</c>: CgT-GAN's adversarial reinforcement learning of a saved captioner on unpaired
/// image embeddings and a caption corpus. The generator is the captioner of <c>--init</c>; a new discriminator learns
/// to tell corpus sentences from samples; the CLIP model of <c>--clip</c> embeds the sampled captions for the CLIP
/// rewards. The run checkpoints atomically beside <c>--out</c> (<c>OUT.resume.safetensors</c>) every
/// <c>--checkpoint-every</c> steps and on Ctrl+C (exit 130); running the same command again resumes from it. The
/// result is a captioner file that <c>crossmodal caption</c> reads (tokenizer and bridge of the initial captioner).
/// </summary>
internal static class TrainAdversarialCommand
{
    /// <summary>The rewards <c>--reward</c> accepts.</summary>
    internal static readonly string[] RewardNames = ["agg", "cos", "agg+d", "cos+d", "d", "cider"];

    public static Command Create()
    {
        var init = new Option<string>("--init") { Description = "The captioner to start from (a train-captioner model, e.g. C1).", Required = true };
        var clip = new Option<string>("--clip") { Description = "Folder of a Hugging Face CLIPModel (the one `encode` reads): embeds the sampled captions.", Required = true };
        var images = new Option<string>("--images") { Description = "(M, D) float32 .npy of CLIP image embeddings of the (unpaired) training images.", Required = true };
        var corpus = new Option<string>("--corpus") { Description = "Captions: the discriminator's real sentences (COCO JSON, Flickr8k token file or one per line). For --reward cider: the references, grouped by image in order (one per line: line i is image i's reference).", Required = true };
        var corpusEmbeddings = new Option<string?>("--corpus-embeddings") { Description = "(N, D) float32 .npy of the corpus' CLIP text embeddings, row i for caption i (computed with --clip when absent)." };
        var reward = new Option<string>("--reward") { Description = "agg, cos, agg+d, cos+d, d or cider.", DefaultValueFactory = _ => "agg+d" };
        var steps = new Option<int>("--steps") { Description = "Generator steps in all (a resumed run continues to this count).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<int>("--seed") { Description = "Seed of the discriminator's initialisation and of every step's sampling.", DefaultValueFactory = _ => 0 };
        var imagesPerStep = new Option<int>("--images-per-step") { Description = "Images per generator step.", DefaultValueFactory = _ => 8 };
        var samples = new Option<int>("--samples") { Description = "Multinomial samples per image.", DefaultValueFactory = _ => 5 };
        var baseline = new Option<string>("--baseline") { Description = "greedy (self-critical) or leave-one-out.", DefaultValueFactory = _ => "greedy" };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Write the resume checkpoint every N steps.", DefaultValueFactory = _ => 50 };
        var output = new Option<string>("--out") { Description = "The trained captioner (.safetensors), readable by `crossmodal caption`.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary on stdout." };
        var device = DeviceOption.Create();
        var command = new Command("train-adversarial", "Adversarial RL (CgT-GAN) of a captioner on unpaired image embeddings and a caption corpus.")
        {
            init, clip, images, corpus, corpusEmbeddings, reward, steps, seed, imagesPerStep, samples, baseline, checkpointEvery, output, json, device,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = new Settings(
                parse.GetValue(init)!, parse.GetValue(clip)!, parse.GetValue(images)!, parse.GetValue(corpus)!, parse.GetValue(corpusEmbeddings),
                parse.GetValue(reward)!, parse.GetValue(steps), parse.GetValue(seed), parse.GetValue(imagesPerStep), parse.GetValue(samples),
                parse.GetValue(baseline)!, parse.GetValue(checkpointEvery), parse.GetValue(output)!, parse.GetValue(json));
            settings.Validate();
            using var backend = DeviceOption.CreateBackend(parse, device);
            return System.Threading.Tasks.Task.FromResult(Run(settings, backend, cancellationToken));
        });
        return command;
    }

    /// <summary>The resume checkpoint written beside <paramref name="output"/>.</summary>
    internal static string ResumePath(string output) => Path.ChangeExtension(output, null) + ".resume.safetensors";

    /// <summary>The command's body after its options are read and checked; returns the exit code.</summary>
    internal static int Run(Settings s, IComputeBackend backend, System.Threading.CancellationToken cancellationToken)
    {
        var initial = CaptionerCheckpoint.Load(s.Init, backend);
        var generator = initial.Model;
        var tokenizer = initial.Tokenizer;
        var imageEmbeddings = CaptionerInputs.ReadEmbeddings(s.Images, "--images");
        if (imageEmbeddings.Dimension != generator.EmbeddingDimension)
        {
            throw new CommandLineError($"--images: dimension {imageEmbeddings.Dimension}, but the captioner of --init expects {generator.EmbeddingDimension}.");
        }

        var texts = ReadCorpus(s.Corpus);
        var needsClipText = s.Reward is "agg" or "cos" or "agg+d" or "cos+d";
        ClipModel? clipModel = null;
        if (needsClipText || (s.Reward is "agg" or "agg+d" && s.CorpusEmbeddings is null))
        {
            clipModel = LoadClip(s.Clip, backend);
            clipModel.NormalizeEmbeddings = true;
            if (clipModel.Dimension != imageEmbeddings.Dimension)
            {
                throw new CommandLineError($"--clip: the model's embeddings have dimension {clipModel.Dimension}, but --images has {imageEmbeddings.Dimension}.");
            }
        }

        IRewardFunction clipReward;
        RewardSchedule schedule;
        switch (s.Reward)
        {
            case "agg" or "agg+d":
                var corpusMatrix = s.CorpusEmbeddings is not null
                    ? CaptionerInputs.ReadEmbeddings(s.CorpusEmbeddings, "--corpus-embeddings")
                    : clipModel!.EncodeTexts(texts);
                if (corpusMatrix.Rows != texts.Count)
                {
                    throw new CommandLineError($"--corpus-embeddings: {corpusMatrix.Rows} rows for {texts.Count} corpus captions; row i must embed caption i.");
                }

                if (corpusMatrix.Dimension != imageEmbeddings.Dimension)
                {
                    throw new CommandLineError($"--corpus-embeddings: dimension {corpusMatrix.Dimension}, but --images has {imageEmbeddings.Dimension}.");
                }

                clipReward = new ClipAggregateReward(imageEmbeddings, corpusMatrix, backend: backend);
                schedule = s.Reward == "agg" ? Constant(1f) : new RewardSchedule();
                break;
            case "cos" or "cos+d":
                clipReward = new ClipCosineReward(imageEmbeddings);
                schedule = s.Reward == "cos" ? Constant(1f) : new RewardSchedule();
                break;
            case "d":
                // λ = 0 throughout: the CLIP term is never computed.
                clipReward = new ClipCosineReward(imageEmbeddings);
                schedule = Constant(0f);
                break;
            default:
                // Self-critical CIDEr-D: it takes the CLIP term's slot with λ = 1, so the naturalness term has weight 0.
                if (texts.Count != imageEmbeddings.Rows)
                {
                    throw new CommandLineError($"--corpus: {texts.Count} references for {imageEmbeddings.Rows} images; --reward cider needs line i to be image i's reference.");
                }

                clipReward = new CiderDReward(texts.Select(t => (IReadOnlyList<string>)[t]).ToList(), CaptionTokenization.Ptb);
                schedule = Constant(1f);
                break;
        }

        var corpusTokens = new List<int[]>(texts.Count);
        foreach (var text in texts)
        {
            var ids = tokenizer.Encode(text);
            if (ids.Length > 0)
            {
                corpusTokens.Add(ids);
            }
        }

        if (corpusTokens.Count == 0)
        {
            throw new CommandLineError($"--corpus: '{s.Corpus}' holds no caption with a token the captioner's tokenizer knows.");
        }

        var maxTokens = Math.Min(20, generator.MaxCaptionTokens);
        var discriminator = new Discriminator(backend, new DiscriminatorOptions { VocabularySize = tokenizer.VocabularySize, Context = Math.Max(32, maxTokens + 1), DropoutSeed = (ulong)s.Seed });
        discriminator.ResetParameters(s.Seed);
        var options = new AdversarialCaptionTrainerOptions
        {
            Steps = s.Steps,
            Seed = s.Seed,
            ImagesPerStep = s.ImagesPerStep,
            SamplesPerImage = s.Samples,
            MaxTokens = maxTokens,
            Baseline = s.Baseline == "greedy" ? PolicyBaseline.Greedy : PolicyBaseline.LeaveOneOut,
            Schedule = schedule,
        };

        // The generator sees the image embeddings as `caption` feeds them: through the initial captioner's bridge.
        var generatorImages = initial.Bridge is { } bridge ? bridge.TransformForInference(imageEmbeddings) : imageEmbeddings;
        Func<IReadOnlyList<int[]>, EmbeddingMatrix>? embedder = needsClipText
            ? captions => clipModel!.EncodeTexts(captions.Select(c => tokenizer.Decode(c)).ToList())
            : null;
        Func<int[], string>? detokenize = s.Reward == "cider" ? c => tokenizer.Decode(c) : null;
        var trainer = new AdversarialCaptionTrainer(generator, discriminator, clipReward, embedder, tokenizer.EndOfTextId, options, detokenize);

        var resume = ResumePath(s.Output);
        var resumedFrom = 0;
        if (File.Exists(resume))
        {
            trainer.LoadCheckpoint(resume);
            resumedFrom = trainer.StepsDone;
        }

        var history = new List<AdversarialStep>();
        var cancelled = false;
        var watch = Stopwatch.StartNew();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("adversarial training", maxValue: Math.Max(1, s.Steps));
                task.Value = Math.Min(resumedFrom, s.Steps);
                var reporter = new Reporter(task, history, trainer, resume, s.CheckpointEvery);
                try
                {
                    trainer.Train(generatorImages, corpusTokens, reporter, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    cancelled = true;
                }

                task.Value = trainer.StepsDone;
            });
        watch.Stop();
        trainer.SaveCheckpoint(resume);
        if (cancelled)
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"cancelled after step {trainer.StepsDone}; saved {resume}: run the same command again to resume."));
        }
        else
        {
            new CaptionerCheckpoint(generator, tokenizer) { Bridge = initial.Bridge }.Save(s.Output);
        }

        var stepsRun = trainer.StepsDone - resumedFrom;
        var summary = new
        {
            model = cancelled ? null : s.Output,
            checkpoint = resume,
            reward = s.Reward,
            steps = trainer.StepsDone,
            resumed_from = resumedFrom,
            final_reward = history.Count > 0 ? history[^1].MeanReward : double.NaN,
            final_discriminator_loss = history.Count > 0 ? history[^1].DiscriminatorLoss : double.NaN,
            samples_per_second = stepsRun > 0 ? stepsRun * (double)options.SamplesPerImage * Math.Min(options.ImagesPerStep, imageEmbeddings.Rows) / watch.Elapsed.TotalSeconds : 0,
            cancelled,
        };
        if (s.Json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(summary, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
        }
        else if (!cancelled)
        {
            Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"wrote {s.Output}: {summary.steps} steps ({stepsRun} this run), reward {summary.final_reward:F3}, discriminator loss {summary.final_discriminator_loss:F3}, {summary.samples_per_second:F1} samples/s"));
        }

        return cancelled ? 130 : 0;
    }

    private static RewardSchedule Constant(float lambda) => new() { WarmupSteps = 0, RampSteps = 0, Final = lambda };

    private static IReadOnlyList<string> ReadCorpus(string path)
    {
        if (!File.Exists(path))
        {
            throw new CommandLineError($"--corpus: the file '{path}' does not exist.");
        }

        var texts = CaptionerInputs.ReadCaptions(path);
        if (texts.Count == 0)
        {
            throw new CommandLineError($"--corpus: '{path}' holds no captions.");
        }

        return texts;
    }

    private static ClipModel LoadClip(string directory, IComputeBackend backend)
    {
        if (!Directory.Exists(directory))
        {
            throw new CommandLineError($"--clip: the folder '{directory}' does not exist; expected a Hugging Face CLIPModel folder (config.json + model.safetensors).");
        }

        return ClipModel.Load(directory, backend);
    }

    /// <summary>The command's options, checked before anything is read.</summary>
    internal sealed record Settings(
        string Init, string Clip, string Images, string Corpus, string? CorpusEmbeddings, string Reward, int Steps, int Seed,
        int ImagesPerStep, int Samples, string Baseline, int CheckpointEvery, string Output, bool Json)
    {
        public void Validate()
        {
            if (!File.Exists(Init))
            {
                throw new CommandLineError($"--init: the file '{Init}' does not exist; expected a captioner written by train-captioner.");
            }

            if (!File.Exists(Images))
            {
                throw new CommandLineError($"--images: the file '{Images}' does not exist.");
            }

            if (!File.Exists(Corpus))
            {
                throw new CommandLineError($"--corpus: the file '{Corpus}' does not exist.");
            }

            if (CorpusEmbeddings is not null && !File.Exists(CorpusEmbeddings))
            {
                throw new CommandLineError($"--corpus-embeddings: the file '{CorpusEmbeddings}' does not exist.");
            }

            if (!Directory.Exists(Clip))
            {
                throw new CommandLineError($"--clip: the folder '{Clip}' does not exist; expected a Hugging Face CLIPModel folder (config.json + model.safetensors).");
            }

            if (Array.IndexOf(RewardNames, Reward) < 0)
            {
                throw new CommandLineError($"--reward: unknown reward '{Reward}'; expected {string.Join(", ", RewardNames)}.");
            }

            if (Steps < 1)
            {
                throw new CommandLineError($"--steps: expected 1 or more, got {Steps}.");
            }

            if (ImagesPerStep < 1)
            {
                throw new CommandLineError($"--images-per-step: expected 1 or more, got {ImagesPerStep}.");
            }

            if (Samples < 1 || (Samples < 2 && Baseline == "leave-one-out"))
            {
                throw new CommandLineError($"--samples: expected {(Baseline == "leave-one-out" ? 2 : 1)} or more, got {Samples}.");
            }

            if (Baseline is not ("greedy" or "leave-one-out"))
            {
                throw new CommandLineError($"--baseline: unknown baseline '{Baseline}'; expected greedy or leave-one-out.");
            }

            if (CheckpointEvery < 1)
            {
                throw new CommandLineError($"--checkpoint-every: expected 1 or more, got {CheckpointEvery}.");
            }

            if (!Output.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                throw new CommandLineError($"--out: '{Output}' must end with .safetensors.");
            }
        }
    }

    /// <summary>Moves the progress bar, keeps the history and writes the resume checkpoint every few steps.</summary>
    private sealed class Reporter(ProgressTask task, List<AdversarialStep> history, AdversarialCaptionTrainer trainer, string resume, int every) : IProgress<AdversarialStep>
    {
        public void Report(AdversarialStep value)
        {
            history.Add(value);
            task.Value = value.Step + 1;
            task.Description = string.Create(CultureInfo.InvariantCulture, $"step {value.Step + 1} λ {value.Lambda:F2} reward {value.MeanReward:F2} D loss {value.DiscriminatorLoss:F3}");
            if ((value.Step + 1) % every == 0)
            {
                trainer.SaveCheckpoint(resume);
            }
        }
    }
}
