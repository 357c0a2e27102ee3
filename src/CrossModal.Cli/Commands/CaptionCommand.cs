using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrossModal.Abstractions;
using CrossModal.Evaluation.Captioning;
using CrossModal.Models.Captioning;
using CrossModal.Models.Clip;
using CrossModal.Models.Images;
using CrossModal.Tensors;
using CrossModal.Text.Corpora;
using CrossModal.Training.Captioning;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal caption</c>: one caption per image from a trained captioner, given either image embeddings
/// (<c>--image-embeddings</c>) or image files with the CLIP model that embeds them (<c>--clip DIR --images FILE… |
/// --images-dir DIR</c>: decode, CLIP-preprocess, encode, bridge and decode in batches, progress on stderr). With
/// <c>--refs</c> (COCO captions JSON or a Karpathy split file) the captions are scored as the papers report them:
/// BLEU-1..4, ROUGE-L and CIDEr-D on PTB-tokenized text, and CLIP-score with the same CLIP.
/// </summary>
internal static class CaptionCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A model written by train-captioner.", Required = true };
        var embeddings = new Option<string?>("--image-embeddings") { Description = "(rows, D) float32 .npy of image embeddings (instead of --clip with image files)." };
        var clip = new Option<string?>("--clip") { Description = "Folder of the Hugging Face CLIPModel the captioner's embeddings came from; embeds --images / --images-dir." };
        var images = new Option<string[]>("--images") { Description = "Image files (PNG, JPEG, PPM/PGM).", AllowMultipleArgumentsPerToken = true };
        var imagesDir = new Option<string?>("--images-dir") { Description = "A folder of images (read non-recursively, in name order); with --refs FILE --split S, the image root of a Karpathy split file." };
        var refs = new Option<string?>("--refs") { Description = "Reference captions to score against: COCO captions JSON (matched by its images' file_name, else the id in the file name) or a Karpathy split file (dataset_coco.json)." };
        var split = new Option<string?>("--split") { Description = "With a Karpathy --refs file and --images-dir: caption the images of this split (train, val, test, all)." };
        var batch = new Option<int>("--batch") { Description = "Images per batch.", DefaultValueFactory = _ => 32 };
        var beam = new Option<int>("--beam") { Description = "Beam width (1: greedy).", DefaultValueFactory = _ => 1 };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per caption (0: as many as the model's context allows, at most 30)." };
        var json = new Option<bool>("--json") { Description = "Print JSON on stdout: an array of captions (embeddings), of {file, caption} records (images), or with --refs an object with captions and scores." };
        var device = DeviceOption.Create();
        var command = new Command("caption", "Caption images, given as embeddings or as files with their CLIP model (the model's bridge is applied first); --refs scores them.")
        {
            model, embeddings, clip, images, imagesDir, refs, split, batch, beam, maxTokens, json, device,
        };
        command.SetAction(parse =>
        {
            var path = parse.GetValue(model)!;
            if (!File.Exists(path))
            {
                throw new CommandLineError($"--model: the file '{path}' does not exist.");
            }

            var width = parse.GetValue(beam);
            if (width < 1)
            {
                throw new CommandLineError($"--beam: expected 1 or more, got {width}.");
            }

            var batchSize = parse.GetValue(batch);
            if (batchSize < 1)
            {
                throw new CommandLineError($"--batch: expected 1 or more, got {batchSize}.");
            }

            var embeddingsPath = parse.GetValue(embeddings);
            var clipPath = parse.GetValue(clip);
            var files = parse.GetValue(images) ?? [];
            var folder = parse.GetValue(imagesDir);
            var refsPath = parse.GetValue(refs);
            var splitName = parse.GetValue(split);
            var fromFiles = files.Length > 0 || folder is not null;
            if ((embeddingsPath is null) == !fromFiles || (files.Length > 0 && folder is not null))
            {
                throw new CommandLineError("give exactly one of --image-embeddings FILE, --images FILE… or --images-dir DIR.");
            }

            if (fromFiles && clipPath is null)
            {
                throw new CommandLineError("--images / --images-dir need --clip DIR: the CLIP model that embeds the images (the one the captioner was trained with).");
            }

            if (refsPath is not null && !fromFiles)
            {
                throw new CommandLineError("--refs scores captions of image files: give --clip with --images or --images-dir.");
            }

            if (splitName is not null && (refsPath is null || folder is null))
            {
                throw new CommandLineError("--split selects the images of a Karpathy --refs file under --images-dir: give both.");
            }

            // Inputs are checked before the (possibly large) checkpoints are read.
            var references = refsPath is null ? null : References.Read(refsPath, splitName);
            var inputs = !fromFiles ? [] : folder is not null ? ListFolder(folder, references, splitName) : CheckFiles(files);
            if (fromFiles && !Directory.Exists(clipPath))
            {
                throw new CommandLineError($"--clip: '{clipPath}' is not a folder; expected a Hugging Face CLIPModel folder (config.json + model.safetensors).");
            }

            using var backend = DeviceOption.CreateBackend(parse, device);
            var checkpoint = CaptionerCheckpoint.Load(path, backend);
            var limit = parse.GetValue(maxTokens);
            var decoding = new DecodingOptions
            {
                Strategy = width > 1 ? DecodingStrategy.Beam : DecodingStrategy.Greedy,
                BeamWidth = width,
                MaxTokens = limit > 0 ? Math.Min(limit, checkpoint.Model.MaxCaptionTokens) : Math.Min(30, checkpoint.Model.MaxCaptionTokens),
            };
            var captioner = checkpoint.ToCaptioner(decoding);
            if (!fromFiles)
            {
                return CaptionEmbeddings(captioner, checkpoint, embeddingsPath!, parse.GetValue(json));
            }

            return CaptionFiles(captioner, clipPath!, inputs, references, batchSize, parse.GetValue(json), Console.Error, backend);
        });
        return command;
    }

    private static int CaptionEmbeddings(PrefixCaptioner captioner, CaptionerCheckpoint checkpoint, string path, bool json)
    {
        var embeddings = CaptionerInputs.ReadEmbeddings(path, "--image-embeddings");
        if (embeddings.Dimension != checkpoint.Model.EmbeddingDimension)
        {
            throw new CommandLineError($"--image-embeddings: dimension {embeddings.Dimension}, but the model expects {checkpoint.Model.EmbeddingDimension}.");
        }

        var captions = captioner.Caption(embeddings);
        if (json)
        {
            Console.Out.WriteLine(JsonSerializer.Serialize(captions));
        }
        else
        {
            foreach (var caption in captions)
            {
                Console.Out.WriteLine(caption);
            }
        }

        return 0;
    }

    /// <summary>Decodes, embeds and captions <paramref name="files"/> in batches; scores against <paramref name="references"/> when given.</summary>
    internal static int CaptionFiles(
        PrefixCaptioner captioner, string clipPath, IReadOnlyList<string> files, References? references, int batch, bool json, TextWriter progressWriter, IComputeBackend backend)
    {
        if (!Directory.Exists(clipPath))
        {
            throw new CommandLineError($"--clip: '{clipPath}' is not a folder; expected a Hugging Face CLIPModel folder (config.json + model.safetensors).");
        }

        // Every image must have references before hours of captioning, not after.
        var imageIds = references is null ? null : files.Select(references.ImageIdOf).ToArray();
        var clipModel = ClipModel.Load(clipPath, backend);
        if (clipModel.Dimension != captioner.Model.EmbeddingDimension)
        {
            throw new CommandLineError($"--clip: '{clipPath}' embeds into {clipModel.Dimension} dimensions but the captioner expects {captioner.Model.EmbeddingDimension}; give the CLIP it was trained with.");
        }

        clipModel.EncodeBatchSize = batch;
        clipModel.NormalizeEmbeddings = true;
        var dimension = clipModel.Dimension;
        var imageEmbeddings = new float[files.Count * dimension];
        var captions = new List<string>(files.Count);
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(progressWriter) });
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask("captioning images", maxValue: files.Count);
                var decoded = new List<ImageData>(batch);
                for (var start = 0; start < files.Count; start += batch)
                {
                    var count = Math.Min(batch, files.Count - start);
                    decoded.Clear();
                    for (var i = start; i < start + count; i++)
                    {
                        decoded.Add(Decode(files[i]));
                    }

                    var embedded = clipModel.EncodeImages(decoded);
                    embedded.EnsureFinite("images");
                    var copy = new EmbeddingMatrix(count, dimension);
                    embedded.Span[..(count * dimension)].CopyTo(copy.Span);
                    copy.Span.CopyTo(imageEmbeddings.AsSpan(start * dimension));
                    captions.AddRange(captioner.Caption(copy));
                    task.Increment(count);
                }
            });
        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        progressWriter.WriteLine(string.Create(CultureInfo.InvariantCulture, $"captioned {files.Count} images in {seconds:F1} s ({files.Count / Math.Max(seconds, 1e-9):F2} images/s)"));

        IReadOnlyDictionary<string, double>? scores = null;
        if (references is not null)
        {
            var refs = imageIds!.Select(id => references.Corpus.ReferencesOf(id)).ToArray();
            var metrics = CaptionMetrics.Score(refs, captions, CaptionTokenization.Ptb);
            var textEmbeddings = clipModel.EncodeTexts(captions).Clone();
            var all = new Dictionary<string, double>(metrics.ToDictionary(), StringComparer.Ordinal)
            {
                ["CLIP-S"] = ClipScore.Mean(new EmbeddingMatrix(imageEmbeddings, files.Count, dimension), textEmbeddings),
            };
            scores = all;
        }

        if (json)
        {
            var records = new JsonArray();
            for (var i = 0; i < files.Count; i++)
            {
                records.Add(new JsonObject { ["file"] = files[i], ["caption"] = captions[i] });
            }

            JsonNode output = records;
            if (scores is not null)
            {
                var scoreObject = new JsonObject();
                foreach (var (name, value) in scores)
                {
                    scoreObject[name] = value;
                }

                output = new JsonObject { ["images"] = files.Count, ["captions"] = records, ["scores"] = scoreObject };
            }

            Console.Out.WriteLine(output.ToJsonString());
        }
        else
        {
            for (var i = 0; i < files.Count; i++)
            {
                Console.Out.WriteLine($"{files[i]}\t{captions[i]}");
            }

            if (scores is not null)
            {
                Console.Out.WriteLine(string.Join("  ", scores.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Key} {p.Value:F4}"))));
            }
        }

        return 0;
    }

    private static ImageData Decode(string path)
    {
        try
        {
            return ImageDecoder.Default.Decode(path);
        }
        catch (DllNotFoundException e)
        {
            throw new CommandLineError($"{path}: {e.Message}", e);
        }
    }

    private static List<string> CheckFiles(IReadOnlyList<string> files)
    {
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                throw new CommandLineError($"--images: the file '{file}' does not exist; expected an image file (PNG, JPEG, PPM/PGM).");
            }
        }

        return [.. files];
    }

    private static List<string> ListFolder(string folder, References? references, string? split)
    {
        if (!Directory.Exists(folder))
        {
            throw new CommandLineError($"--images-dir: '{folder}' is not a folder.");
        }

        if (split is not null)
        {
            // The split's images under the image root, where the Karpathy file places them (root/filepath/filename) or flat.
            var listed = new List<string>();
            foreach (var image in references!.Split!.Select(split))
            {
                var nested = Path.Combine(folder, image.FilePath, image.FileName);
                var flat = Path.Combine(folder, image.FileName);
                listed.Add(File.Exists(nested) ? nested : File.Exists(flat) ? flat
                    : throw new CommandLineError($"--images-dir: the {split} image '{image.FileName}' of '{references.Path}' is neither at '{nested}' nor at '{flat}'."));
            }

            if (listed.Count == 0)
            {
                throw new CommandLineError($"--split: '{references.Path}' has no images in split '{split}'.");
            }

            return listed;
        }

        var files = new List<string>();
        Span<byte> header = stackalloc byte[16];
        foreach (var file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            using var stream = File.OpenRead(file);
            var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
            if (ImageDecoder.Default.CanDecode(header[..read]))
            {
                files.Add(file);
            }
        }

        return files.Count > 0 ? files : throw new CommandLineError($"--images-dir: '{folder}' holds no PNG, JPEG or PPM/PGM images.");
    }

    /// <summary>Reference captions of <c>--refs</c> and the look-up from an image file to its image id.</summary>
    internal sealed class References
    {
        private readonly Dictionary<string, string> _idByFileName;

        private References(string path, CaptionCorpus corpus, Dictionary<string, string> idByFileName, KarpathySplit? split)
        {
            Path = path;
            Corpus = corpus;
            _idByFileName = idByFileName;
            Split = split;
        }

        public string Path { get; }

        public CaptionCorpus Corpus { get; }

        public KarpathySplit? Split { get; }

        public static References Read(string path, string? split)
        {
            if (!File.Exists(path))
            {
                throw new CommandLineError($"--refs: the file '{path}' does not exist.");
            }

            if (split is not null && !CaptionerInputs.KarpathySplitNames.Contains(split))
            {
                throw new CommandLineError($"--split: unknown split '{split}'; expected train (with restval), val, test or all.");
            }

            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            if (KarpathySplit.IsKarpathyFile(path))
            {
                var karpathy = KarpathySplit.Read(path);
                foreach (var image in karpathy.Select(split ?? "all"))
                {
                    names[image.FileName] = image.ImageId;
                }

                return new References(path, karpathy.Corpus(split ?? "all"), names, karpathy);
            }

            if (split is not null)
            {
                throw new CommandLineError($"--split: '{path}' is COCO captions JSON, which has no splits; give the Karpathy split file (dataset_coco.json).");
            }

            foreach (var (id, name) in CocoImages.ReadFileNames(path))
            {
                names[name] = id;
            }

            return new References(path, CocoCaptions.Read(path), names, null);
        }

        /// <summary>The image id of <paramref name="file"/>: by its file name in the references' image table, else by the
        /// COCO id its name carries (<c>COCO_val2014_000000391895.jpg</c> → 391895).</summary>
        public string ImageIdOf(string file)
        {
            var name = System.IO.Path.GetFileName(file);
            if (_idByFileName.TryGetValue(name, out var id))
            {
                return id;
            }

            if (CocoImages.IdFromFileName(name) is { } fromName && Corpus.ReferencesByImage.ContainsKey(fromName))
            {
                return fromName;
            }

            throw new CommandLineError($"--refs: '{Path}' has no reference captions for the image '{file}' (matched by file name, then by the COCO id in the name).");
        }
    }
}
