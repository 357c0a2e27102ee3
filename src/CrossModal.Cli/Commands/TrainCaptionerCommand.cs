using System;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.Training.Captioning;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary><c>crossmodal train-captioner</c>: text-only training of a prefix language model (ClipCap / CapDec / C3 recipe).</summary>
internal static class TrainCaptionerCommand
{
    public static Command Create()
    {
        var captions = new Option<string>("--captions") { Description = "Captions: COCO JSON, Flickr8k *.token.txt, or one per line.", Required = true };
        var textEmbeddings = new Option<string>("--text-embeddings") { Description = "(rows, D) float32 .npy; row i embeds caption i.", Required = true };
        var bridge = new Option<string>("--bridge") { Description = "c3|c1|c2-collapse|c2-noise|capdec|close-noise|close-linear|close-cov|decap|syntic.", DefaultValueFactory = _ => "c3" };
        var imageEmbeddings = new Option<string?>("--image-embeddings") { Description = "(rows, D) .npy of real image embeddings: unpaired for c3/c2-collapse, row i paired with caption i for close-linear/close-cov." };
        var pseudoImageEmbeddings = new Option<string?>("--pseudo-image-embeddings") { Description = "(rows, D) .npy for syntic: row i embeds a synthetic image generated from caption i (e.g. by a text-to-image model)." };
        var tokenizer = new Option<string>("--tokenizer") { Description = "word (a vocabulary built from the captions), gpt2, clip, or a .tiktoken ranks file.", DefaultValueFactory = _ => "word" };
        var mapper = new Option<string>("--mapper") { Description = "mlp, transformer or linear.", DefaultValueFactory = _ => "mlp" };
        var prefix = new Option<int>("--prefix-length") { Description = "Prefix vectors k.", DefaultValueFactory = _ => 4 };
        var layers = new Option<int>("--decoder-layers") { Description = "Decoder blocks.", DefaultValueFactory = _ => 2 };
        var width = new Option<int>("--width") { Description = "Decoder width.", DefaultValueFactory = _ => 128 };
        var heads = new Option<int>("--heads") { Description = "Attention heads.", DefaultValueFactory = _ => 4 };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the captions.", DefaultValueFactory = _ => 10 };
        var batch = new Option<int>("--batch") { Description = "Captions per step.", DefaultValueFactory = _ => 32 };
        var lr = new Option<float>("--lr") { Description = "Peak learning rate.", DefaultValueFactory = _ => 1e-3f };
        var warmup = new Option<int>("--warmup") { Description = "Warm-up steps.", DefaultValueFactory = _ => 50 };
        var validation = new Option<double>("--validation-fraction") { Description = "Captions held out for the validation loss.", DefaultValueFactory = _ => 0.1 };
        var patience = new Option<int>("--patience") { Description = "Early-stopping patience in epochs (0: never).", DefaultValueFactory = _ => 3 };
        var seed = new Option<int>("--seed") { Description = "Seed of initialisation, shuffling and noise.", DefaultValueFactory = _ => 0 };
        var output = new Option<string>("--out") { Description = "The model file (.safetensors) to write.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary on stdout." };
        var device = DeviceOption.Create();
        var command = new Command("train-captioner", "Train a captioner on text alone: caption embeddings → bridge → mapper → decoder.")
        {
            captions, textEmbeddings, bridge, imageEmbeddings, pseudoImageEmbeddings, tokenizer, mapper, prefix, layers, width, heads, epochs, batch, lr, warmup,
            validation, patience, seed, output, json, device,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            return System.Threading.Tasks.Task.FromResult(Train());

            int Train()
            {
                using var backend = DeviceOption.CreateBackend(parse, device);
                var texts = CaptionerInputs.ReadCaptions(parse.GetValue(captions)!);
                var embeddings = CaptionerInputs.ReadEmbeddings(parse.GetValue(textEmbeddings)!, "--text-embeddings");
                if (embeddings.Rows != texts.Count)
                {
                    throw new CommandLineError($"--text-embeddings: {embeddings.Rows} rows for {texts.Count} captions; row i must embed caption i.");
                }

                var preset = ParseBridge(parse.GetValue(bridge)!);
                var images = parse.GetValue(imageEmbeddings) is { } imagePath ? CaptionerInputs.ReadEmbeddings(imagePath, "--image-embeddings") : null;
                var pseudoImages = parse.GetValue(pseudoImageEmbeddings) is { } pseudoPath ? CaptionerInputs.ReadEmbeddings(pseudoPath, "--pseudo-image-embeddings") : null;
                var pipeline = BridgePresets.Create(preset);
                pipeline.Fit(BridgeInputs(preset, parse.GetValue(bridge)!, embeddings, images, pseudoImages));
                var tok = CaptionerInputs.Tokenizer(parse.GetValue(tokenizer)!, texts);
                var longest = 1;
                foreach (var text in texts)
                {
                    longest = Math.Max(longest, tok.Encode(text).Length);
                }

                var mapperName = parse.GetValue(mapper)!;
                if (!PrefixMapperKinds.TryParse(mapperName, out var mapperKind))
                {
                    throw new CommandLineError($"--mapper: unknown mapper '{mapperName}'; expected mlp, transformer or linear.");
                }

                var k = mapperKind == PrefixMapperKind.Linear ? 1 : parse.GetValue(prefix);
                var modelOptions = new PrefixLanguageModelOptions
                {
                    Mapper = mapperKind,
                    EmbeddingDimension = embeddings.Dimension,
                    PrefixLength = k,
                    Decoder = new Gpt2DecoderOptions
                    {
                        VocabularySize = tok.VocabularySize,
                        Context = k + Math.Min(longest, 64),
                        Width = parse.GetValue(width),
                        Layers = parse.GetValue(layers),
                        Heads = parse.GetValue(heads),
                    },
                };
                var seedValue = parse.GetValue(seed);
                var model = new PrefixLanguageModel(backend, modelOptions);
                model.ResetParameters(seedValue);
                var options = new CaptionTrainerOptions
                {
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(lr),
                    WarmupSteps = parse.GetValue(warmup),
                    ValidationFraction = parse.GetValue(validation),
                    EarlyStoppingPatience = parse.GetValue(patience),
                    Seed = seedValue,
                    BestModelPath = parse.GetValue(output)!,
                };
                var trainer = new CaptionTrainer(model, tok, pipeline, options);
                CaptionTrainingResult? result = null;
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(Console.Error) });
                console.Progress()
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                    .Start(context =>
                    {
                        var task = context.AddTask("training");
                        result = trainer.Train(texts, embeddings, new Reporter(task), cancellationToken);
                        task.Value = task.MaxValue;
                    });
                var summary = new
                {
                    model = options.BestModelPath,
                    captions = texts.Count,
                    steps = result!.Steps,
                    final_loss = result.StepLosses.Count > 0 ? result.StepLosses[^1] : double.NaN,
                    best_validation_loss = result.BestValidationLoss,
                    tokens_per_second = result.TokensPerSecond,
                    stopped_early = result.StoppedEarly,
                    cancelled = result.Cancelled,
                };
                if (parse.GetValue(json))
                {
                    Console.Out.WriteLine(JsonSerializer.Serialize(summary, new JsonSerializerOptions { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals }));
                }
                else
                {
                    Console.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"wrote {summary.model}: {summary.steps} steps, final loss {summary.final_loss:F4}, best validation loss {summary.best_validation_loss:F4}, {summary.tokens_per_second:F0} tokens/s"));
                }

                return result.Cancelled ? 130 : 0;
            }
        });
        return command;
    }

    private static BridgePreset ParseBridge(string name)
    {
        try
        {
            return BridgePresets.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new CommandLineError($"--bridge: unknown bridge '{name}'; expected c3, c1, c2-collapse, c2-noise, capdec, close-noise, close-linear, close-cov, decap or syntic.", e);
        }
    }

    /// <summary>
    /// The fit data of <paramref name="preset"/> from the command's embedding files, checked here so that a missing or
    /// mismatched file is reported by its option rather than by the library's field names.
    /// </summary>
    private static BridgeFitData BridgeInputs(BridgePreset preset, string name, EmbeddingMatrix texts, EmbeddingMatrix? images, EmbeddingMatrix? pseudoImages)
    {
        images?.EnsureDimension(texts.Dimension, "--image-embeddings");
        pseudoImages?.EnsureDimension(texts.Dimension, "--pseudo-image-embeddings");
        var needsImages = preset is BridgePreset.C3 or BridgePreset.C2Collapse;
        var needsPairedImages = preset is BridgePreset.CloseLinear or BridgePreset.CloseCovariance;
        if ((needsImages || needsPairedImages) && images is null)
        {
            throw new CommandLineError(needsPairedImages
                ? $"--bridge {name} fits on image–caption pairs: give --image-embeddings with row i embedding the image of caption i."
                : $"--bridge {name} needs --image-embeddings (any image embeddings of the same CLIP) to estimate the image mean.");
        }

        if (needsPairedImages && images!.Rows != texts.Rows)
        {
            throw new CommandLineError($"--image-embeddings: {images.Rows} rows for {texts.Rows} captions; --bridge {name} needs row i to embed the image of caption i.");
        }

        if (preset == BridgePreset.SynTic)
        {
            if (pseudoImages is null)
            {
                throw new CommandLineError("--bridge syntic needs --pseudo-image-embeddings: row i embeds a synthetic image generated from caption i.");
            }

            if (pseudoImages.Rows != texts.Rows)
            {
                throw new CommandLineError($"--pseudo-image-embeddings: {pseudoImages.Rows} rows for {texts.Rows} captions; row i must embed the synthetic image of caption i.");
            }
        }
        else if (pseudoImages is not null)
        {
            throw new CommandLineError($"--pseudo-image-embeddings is used by --bridge syntic only, not by --bridge {name}.");
        }

        var paired = images is not null && images.Rows == texts.Rows;
        return new BridgeFitData
        {
            UnpairedTexts = texts,
            UnpairedImages = images,
            SupportTexts = texts,
            PairedTexts = paired ? texts : null,
            PairedImages = paired ? images : null,
            PseudoImages = pseudoImages,
            PseudoImageTexts = pseudoImages is null ? null : texts,
        };
    }

    /// <summary>Moves the Spectre progress bar from the trainer's reports (called on the training thread).</summary>
    private sealed class Reporter(ProgressTask task) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value)
        {
            task.MaxValue = Math.Max(1, value.TotalSteps);
            task.Value = value.Step;
            task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {value.Epoch + 1} loss {value.Loss:F3} {value.ItemsPerSecond:F0} tok/s");
        }
    }
}
