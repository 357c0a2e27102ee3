using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrossModal.Abstractions;
using CrossModal.Models.Clip;
using CrossModal.Models.Images;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using Spectre.Console;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal encode --model DIR (--text FILE | --images DIR_OR_FILES…) --out OUT.npy [--batch N]</c>: embeds
/// texts (one per line) or images with a Hugging Face CLIP checkpoint and writes an (N, D) float32 .npy of
/// L2-normalised embeddings plus, beside it, OUT.json listing the inputs in row order. Both files are written
/// atomically; progress goes to stderr.
/// </summary>
internal static class EncodeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Folder of a Hugging Face CLIPModel (config.json + model.safetensors).", Required = true };
        var text = new Option<string?>("--text") { Description = "Text file: one text per line." };
        var images = new Option<string[]>("--images")
        {
            Description = "Image files and/or folders (PNG, JPEG, PPM/PGM; chosen by signature). Folders are read non-recursively, in name order.",
            AllowMultipleArgumentsPerToken = true,
        };
        var splitFile = new Option<string?>("--split-file") { Description = "Karpathy split file (dataset_coco.json) or COCO captions JSON: without --images, encode its captions (of --split) in the order train-captioner reads them; with --images ROOT, encode the images of --split under ROOT." };
        var split = new Option<string?>("--split") { Description = "With --split-file (a Karpathy file): train (with restval), val, test or all." };
        var output = new Option<string>("--out") { Description = "Output .npy path; the input list goes to the same path with .json.", Required = true };
        var batch = new Option<int>("--batch") { Description = "Inputs per forward pass.", DefaultValueFactory = _ => 32 };
        var device = DeviceOption.Create();
        var command = new Command("encode", "Embed texts or images with a CLIP model into an .npy matrix.") { model, text, images, splitFile, split, output, batch, device };
        command.SetAction(parse =>
        {
            using var backend = DeviceOption.CreateBackend(parse, device);
            var splitPath = parse.GetValue(splitFile);
            var splitName = parse.GetValue(split);
            var imageArguments = parse.GetValue(images) ?? [];
            if (splitName is not null && splitPath is null)
            {
                throw new CommandLineError("--split needs --split-file: the Karpathy split file (dataset_coco.json) that names each image's split.");
            }

            if (splitPath is not null)
            {
                if (parse.GetValue(text) is not null)
                {
                    throw new CommandLineError("--split-file replaces --text: its captions are the texts to encode; give one of them.");
                }

                if (imageArguments.Length == 0)
                {
                    return RunTexts(parse.GetValue(model)!, CaptionerInputs.ReadCaptions(splitPath, splitName, "--split-file"), parse.GetValue(output)!, parse.GetValue(batch), Console.Error, backend);
                }

                imageArguments = SplitImages(splitPath, splitName, imageArguments);
            }

            return Run(
                parse.GetValue(model)!,
                parse.GetValue(text),
                imageArguments,
                parse.GetValue(output)!,
                parse.GetValue(batch),
                Console.Error,
                backend);
        });
        return command;
    }

    /// <summary>Encodes <paramref name="texts"/> (captions read from a split file) like <c>--text</c> does its lines.</summary>
    private static int RunTexts(string modelDirectory, IReadOnlyList<string> texts, string output, int batch, TextWriter progressWriter, IComputeBackend backend)
    {
        var list = Path.Combine(Path.GetTempPath(), $"crossmodal-encode-{Guid.NewGuid():N}.txt");
        if (texts.Any(t => t.Contains('\n', StringComparison.Ordinal) || t.Contains('\r', StringComparison.Ordinal)))
        {
            // One text per line is the --text format; a caption with a line break is encoded with it replaced by a space.
            texts = texts.Select(t => t.Replace("\r\n", " ", StringComparison.Ordinal).Replace('\n', ' ').Replace('\r', ' ')).ToList();
        }

        try
        {
            File.WriteAllLines(list, texts);
            return Run(modelDirectory, list, [], output, batch, progressWriter, backend);
        }
        finally
        {
            File.Delete(list);
        }
    }

    /// <summary>The image files of a split: ROOT/filepath/filename (or ROOT/filename) for each image of the split.</summary>
    private static string[] SplitImages(string splitPath, string? splitName, IReadOnlyList<string> roots)
    {
        if (roots.Count != 1 || !Directory.Exists(roots[0]))
        {
            throw new CommandLineError("--images with --split-file takes one folder: the image root the split file's filepath/filename are relative to.");
        }

        if (!File.Exists(splitPath) || !CrossModal.Text.Corpora.KarpathySplit.IsKarpathyFile(splitPath))
        {
            throw new CommandLineError($"--split-file: '{splitPath}' is not a Karpathy split file (dataset_coco.json: \"images\" with \"split\" and \"sentences\"), which images need.");
        }

        if (splitName is not null && !CaptionerInputs.KarpathySplitNames.Contains(splitName))
        {
            throw new CommandLineError($"--split: unknown split '{splitName}'; expected train (with restval), val, test or all.");
        }

        var files = new List<string>();
        foreach (var image in CrossModal.Text.Corpora.KarpathySplit.Read(splitPath).Select(splitName ?? "all"))
        {
            var nested = Path.Combine(roots[0], image.FilePath, image.FileName);
            var flat = Path.Combine(roots[0], image.FileName);
            files.Add(File.Exists(nested) ? nested : File.Exists(flat) ? flat
                : throw new CommandLineError($"--images: the image '{image.FileName}' of '{splitPath}' is neither at '{nested}' nor at '{flat}'."));
        }

        return [.. files];
    }

    /// <summary>The command's body; returns the exit code.</summary>
    internal static int Run(string modelDirectory, string? textFile, IReadOnlyList<string> imageArguments, string output, int batch, TextWriter progressWriter, IComputeBackend? backend = null)
    {
        if ((textFile is null) == (imageArguments.Count == 0))
        {
            throw new CommandLineError("give exactly one of --text FILE or --images DIR_OR_FILES…");
        }

        if (batch <= 0)
        {
            throw new CommandLineError($"--batch must be positive but is {batch}");
        }

        if (!output.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            throw new CommandLineError($"--out '{output}' must end with .npy");
        }

        List<string> inputs;
        if (textFile is not null)
        {
            if (!File.Exists(textFile))
            {
                throw new CommandLineError($"--text file '{textFile}' does not exist");
            }

            inputs = [.. File.ReadAllLines(textFile)];
        }
        else
        {
            inputs = ListImages(imageArguments);
        }

        if (inputs.Count == 0)
        {
            throw new CommandLineError(textFile is not null ? $"--text file '{textFile}' holds no lines" : "--images names no image files");
        }

        var clip = ClipModel.Load(modelDirectory, backend);
        clip.EncodeBatchSize = batch;
        clip.NormalizeEmbeddings = true;
        var result = new float[inputs.Count * clip.Dimension];
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(progressWriter) });
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask(textFile is not null ? "encoding texts" : "encoding images", maxValue: inputs.Count);
                var decoder = ImageDecoder.Default;
                for (var start = 0; start < inputs.Count; start += batch)
                {
                    var count = Math.Min(batch, inputs.Count - start);
                    var slice = inputs.GetRange(start, count);
                    EmbeddingMatrix embeddings = textFile is not null
                        ? clip.EncodeTexts(slice)
                        : clip.EncodeImages(slice.Select(DecodeImage).ToList());
                    embeddings.EnsureFinite(textFile is not null ? "texts" : "images");
                    embeddings.Span.CopyTo(result.AsSpan(start * clip.Dimension));
                    task.Increment(count);
                }

                ImageData DecodeImage(string path)
                {
                    try
                    {
                        return decoder.Decode(path);
                    }
                    catch (DllNotFoundException e)
                    {
                        throw new CommandLineError($"{path}: {e.Message}", e);
                    }
                }
            });

        var seconds = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds;
        NpyFile.Write(output, new HostArray([inputs.Count, clip.Dimension], result));
        WriteInputList(Path.ChangeExtension(output, ".json"), modelDirectory, textFile is not null ? "text" : "image", clip.Dimension, inputs);
        progressWriter.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"wrote {inputs.Count} × {clip.Dimension} embeddings to {output} (encoded in {seconds:F1} s: {inputs.Count / Math.Max(seconds, 1e-9):F1} {(textFile is not null ? "texts" : "images")}/s)"));
        return 0;
    }

    /// <summary>Files in argument order; each folder contributes its decodable files in ordinal name order.</summary>
    private static List<string> ListImages(IReadOnlyList<string> arguments)
    {
        var files = new List<string>();
        foreach (var argument in arguments)
        {
            if (Directory.Exists(argument))
            {
                foreach (var file in Directory.GetFiles(argument).Order(StringComparer.Ordinal))
                {
                    if (LooksLikeImage(file))
                    {
                        files.Add(file);
                    }
                }
            }
            else if (File.Exists(argument))
            {
                files.Add(argument);
            }
            else
            {
                throw new CommandLineError($"--images: '{argument}' is neither a file nor a folder");
            }
        }

        return files;
    }

    private static bool LooksLikeImage(string path)
    {
        Span<byte> header = stackalloc byte[16];
        using var stream = File.OpenRead(path);
        var read = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return ImageDecoder.Default.CanDecode(header[..read]);
    }

    private static void WriteInputList(string path, string modelDirectory, string modality, int dimension, List<string> inputs)
    {
        var root = new JsonObject
        {
            ["model"] = Path.GetFullPath(modelDirectory),
            ["modality"] = modality,
            ["rows"] = inputs.Count,
            ["dimension"] = dimension,
            ["normalized"] = true,
            ["inputs"] = new JsonArray(inputs.Select(i => (JsonNode?)JsonValue.Create(i)).ToArray()),
        };
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            File.WriteAllText(temp, root.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }
}
