using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.Text;
using CrossModal.Training.Captioning;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary><c>crossmodal train-captioner</c>: text-only training of a prefix language model (ClipCap / CapDec / C3 recipe).</summary>
internal static class TrainCaptionerCommand
{
    public static Command Create()
    {
        var captions = new Option<string>("--captions") { Description = "Captions: COCO JSON, Karpathy split JSON (dataset_coco.json), Flickr8k *.token.txt, or one per line.", Required = true };
        var split = new Option<string?>("--split") { Description = "With a Karpathy split file: train (with restval, as the papers), val, test or all." };
        var decoderCheckpoint = new Option<string?>("--decoder-checkpoint") { Description = "Start the decoder from a Hugging Face GPT2LMHeadModel folder (config.json + model.safetensors); needs --tokenizer gpt2 and applies the papers' fine-tuning defaults (lr 2e-5, batch 40, 10 epochs, 5000 warm-up steps) unless given." };
        var freezeDecoder = new Option<bool>("--freeze-decoder") { Description = "Train only the mapper (ClipCap's frozen-GPT-2 variant; use with --mapper transformer). Needs --decoder-checkpoint." };
        var maxCaptionTokens = new Option<int>("--max-caption-tokens") { Description = "Truncate captions to this many tokens, end token included (0: the longest caption, at most the context).", DefaultValueFactory = _ => 0 };
        var textEmbeddings = new Option<string>("--text-embeddings") { Description = "(rows, D) float32 .npy; row i embeds caption i.", Required = true };
        var bridge = new Option<string>("--bridge") { Description = "c3|c1|c2-collapse|c2-noise|capdec|close-noise|close-linear|close-cov|decap|syntic.", DefaultValueFactory = _ => "c3" };
        var imageEmbeddings = new Option<string?>("--image-embeddings") { Description = "(rows, D) .npy of real image embeddings: unpaired for c3/c2-collapse, row i paired with caption i for close-linear/close-cov." };
        var pseudoImageEmbeddings = new Option<string?>("--pseudo-image-embeddings") { Description = "(rows, D) .npy for syntic: row i embeds a synthetic image generated from caption i (e.g. by a text-to-image model)." };
        var tokenizer = new Option<string>("--tokenizer") { Description = "word (a vocabulary built from the captions), gpt2, clip (gpt2 with --decoder-checkpoint), or a .tiktoken ranks file.", DefaultValueFactory = _ => "word" };
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
        var groupByLength = new Option<bool>("--group-by-length") { Description = "Batch captions of similar length together, each step at its batch's longest caption (far fewer padded positions; changes which captions share a step)." };
        var device = DeviceOption.Create();
        var command = new Command("train-captioner", "Train a captioner on text alone: caption embeddings → bridge → mapper → decoder.")
        {
            captions, split, decoderCheckpoint, freezeDecoder, maxCaptionTokens, textEmbeddings, bridge, imageEmbeddings, pseudoImageEmbeddings, tokenizer, mapper, prefix, layers, width, heads, epochs, batch, lr, warmup,
            validation, patience, seed, output, json, groupByLength, device,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            return System.Threading.Tasks.Task.FromResult(Train());

            int Train()
            {
                using var backend = DeviceOption.CreateBackend(parse, device);
                var checkpointPath = parse.GetValue(decoderCheckpoint);
                if (checkpointPath is not null)
                {
                    // The checkpoint fixes the decoder's shape; a shape option given as well would be silently ignored.
                    foreach (var shapeOption in new Option[] { layers, width, heads })
                    {
                        if (parse.GetResult(shapeOption) is { Implicit: false })
                        {
                            throw new CommandLineError($"{shapeOption.Name}: the decoder's shape comes from --decoder-checkpoint '{checkpointPath}'; drop {shapeOption.Name}.");
                        }
                    }
                }
                else if (parse.GetValue(freezeDecoder))
                {
                    throw new CommandLineError("--freeze-decoder needs --decoder-checkpoint: a frozen randomly initialised decoder cannot learn to write captions.");
                }

                var texts = CaptionerInputs.ReadCaptions(parse.GetValue(captions)!, parse.GetValue(split));
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
                var tokenizerName = parse.GetValue(tokenizer)!;
                if (checkpointPath is not null)
                {
                    if (parse.GetResult(tokenizer) is { Implicit: false } && !tokenizerName.Equals(TokenizerRegistry.Gpt2, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new CommandLineError($"--tokenizer: a GPT-2 checkpoint ('{checkpointPath}') reads GPT-2 token ids; expected --tokenizer gpt2, got '{tokenizerName}'.");
                    }

                    tokenizerName = TokenizerRegistry.Gpt2;
                }

                var tok = CaptionerInputs.Tokenizer(tokenizerName, texts);
                var pretrained = checkpointPath is null ? null : LoadDecoder(checkpointPath, tok, backend);
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
                var captionLimit = parse.GetValue(maxCaptionTokens);
                if (captionLimit < 0)
                {
                    throw new CommandLineError($"--max-caption-tokens: expected 0 or more, got {captionLimit}.");
                }

                var seedValue = parse.GetValue(seed);
                PrefixLanguageModel model;
                if (pretrained is not null)
                {
                    if (k >= pretrained.Options.Context)
                    {
                        throw new CommandLineError($"--prefix-length: {k} prefix vectors leave no room in the checkpoint's context of {pretrained.Options.Context}.");
                    }

                    // The decoder keeps the checkpoint's weights; only the mapper starts from random values.
                    model = new PrefixLanguageModel(
                        new PrefixLanguageModelOptions { Mapper = mapperKind, EmbeddingDimension = embeddings.Dimension, PrefixLength = k, FreezeDecoder = parse.GetValue(freezeDecoder) },
                        pretrained);
                    model.Mapper.ResetParameters(seedValue);
                }
                else
                {
                    var contextTokens = captionLimit > 0 ? captionLimit : Math.Min(longest, 64);
                    model = new PrefixLanguageModel(backend, new PrefixLanguageModelOptions
                    {
                        Mapper = mapperKind,
                        EmbeddingDimension = embeddings.Dimension,
                        PrefixLength = k,
                        Decoder = new Gpt2DecoderOptions
                        {
                            VocabularySize = tok.VocabularySize,
                            Context = k + contextTokens,
                            Width = parse.GetValue(width),
                            Layers = parse.GetValue(layers),
                            Heads = parse.GetValue(heads),
                        },
                    });
                    model.ResetParameters(seedValue);
                }

                // With a pretrained GPT-2 the papers' fine-tuning settings are the defaults; an option given explicitly wins.
                var defaults = pretrained is not null ? CaptionTrainerOptions.PretrainedGpt2 : new CaptionTrainerOptions
                {
                    Epochs = parse.GetValue(epochs), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr), WarmupSteps = parse.GetValue(warmup),
                };
                var options = new CaptionTrainerOptions
                {
                    Epochs = Given(epochs) ? parse.GetValue(epochs) : defaults.Epochs,
                    BatchSize = Given(batch) ? parse.GetValue(batch) : defaults.BatchSize,
                    LearningRate = Given(lr) ? parse.GetValue(lr) : defaults.LearningRate,
                    WarmupSteps = Given(warmup) ? parse.GetValue(warmup) : defaults.WarmupSteps,
                    MaxCaptionTokens = captionLimit,
                    ValidationFraction = parse.GetValue(validation),
                    EarlyStoppingPatience = parse.GetValue(patience),
                    Seed = seedValue,
                    GroupByLength = parse.GetValue(groupByLength),
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
                    decoder_source = model.Decoder.Source,
                    frozen_decoder = model.FreezeDecoder,
                    learning_rate = options.LearningRate,
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

            bool Given(Option option) => parse.GetResult(option) is { Implicit: false };
        });
        return command;
    }

    /// <summary>
    /// Loads the GPT-2 checkpoint of <c>--decoder-checkpoint</c> and checks that <paramref name="tokenizer"/>'s ids are
    /// its vocabulary; a folder that is not a GPT-2 checkpoint is reported by its file (exit 2).
    /// </summary>
    private static Gpt2Decoder LoadDecoder(string path, ITokenizer tokenizer, Tensors.IComputeBackend backend)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            throw new CommandLineError($"--decoder-checkpoint: '{path}' does not exist; expected a Hugging Face GPT2LMHeadModel folder (config.json + model.safetensors).");
        }

        var config = Directory.Exists(path) ? Path.Combine(path, "config.json") : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", "config.json");
        if (File.Exists(config))
        {
            var shape = Gpt2Checkpoint.ReadConfig(config);
            if (shape.VocabularySize != tokenizer.VocabularySize)
            {
                throw new InvalidDataException(
                    $"--decoder-checkpoint: '{config}' has vocab_size {shape.VocabularySize} but the gpt2 tokenizer has {tokenizer.VocabularySize} ids; expected GPT-2's vocabulary.");
            }
        }

        return Gpt2Decoder.Load(path, backend);
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
