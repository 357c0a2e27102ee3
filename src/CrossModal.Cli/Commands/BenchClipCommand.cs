using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using CrossModal.Models.Clip;
using CrossModal.Tensors;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench clip [--json] [--iterations N]</c>: image and text encoding throughput of a ViT-B/32-shaped
/// CLIP with random weights — images 224×224 in batches of 16, texts of 77 tokens in batches of 64 — the shapes of
/// tests/reference/bench_torch_clip.py, which measures PyTorch on the same machine.
/// JSON keys: <c>images_per_second</c>, <c>texts_per_second</c>, <c>image_batch</c>, <c>text_batch</c>,
/// <c>text_tokens</c>, <c>iterations</c>, <c>threads</c>, <c>model</c>.
/// </summary>
internal static class BenchClipCommand
{
    public const int ImageBatch = 16;
    public const int TextBatch = 64;
    public const int TextTokens = 77;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var iterations = new Option<int>("--iterations") { Description = "Timed batches per modality (after one warm-up batch).", DefaultValueFactory = _ => 5 };
        var device = DeviceOption.Create();
        var command = new Command("clip", "Measure CLIP ViT-B/32 image and text encoding throughput (random weights).") { json, iterations, device };
        command.SetAction(parse =>
        {
            using var backend = DeviceOption.CreateBackend(parse, device);
            return Run(backend, parse.GetValue(json), parse.GetValue(iterations));
        });
        return command;
    }

    private static int Run(IComputeBackend backend, bool json, int iterations)
    {
        if (iterations <= 0)
        {
            throw new CommandLineError($"--iterations must be positive but is {iterations}");
        }

        var config = new ClipConfig(); // openai/clip-vit-base-patch32's shape
        Console.Error.WriteLine($"building a random {config} …");
        var model = new ClipModel(backend, config);
        model.ResetParameters(seed: 0);
        model.Eval();

        var rng = new Random(1);
        var pixels = new float[ImageBatch * model.Vision.PixelsPerImage];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)(rng.NextDouble() * 4 - 2);
        }

        // Every text uses all 77 positions (end-of-text last), as the PyTorch script's full-context batches do.
        var tokens = new int[TextBatch * TextTokens];
        for (var b = 0; b < TextBatch; b++)
        {
            for (var t = 0; t < TextTokens - 1; t++)
            {
                tokens[b * TextTokens + t] = rng.Next(1, 49406);
            }

            tokens[b * TextTokens + TextTokens - 1] = 49407;
        }

        var imagesPerSecond = Measure(() => model.EncodePixels(pixels, ImageBatch), ImageBatch, iterations);
        Console.Error.WriteLine($"images: {imagesPerSecond:F1}/s");
        var textsPerSecond = Measure(() => model.EncodeTokens(tokens, TextBatch), TextBatch, iterations);
        Console.Error.WriteLine($"texts: {textsPerSecond:F1}/s");

        if (json)
        {
            var root = new JsonObject
            {
                ["model"] = "ViT-B/32 (random weights)",
                ["images_per_second"] = Math.Round(imagesPerSecond, 2),
                ["texts_per_second"] = Math.Round(textsPerSecond, 2),
                ["image_batch"] = ImageBatch,
                ["text_batch"] = TextBatch,
                ["text_tokens"] = TextTokens,
                ["iterations"] = iterations,
                ["threads"] = Environment.ProcessorCount,
            };
            Console.WriteLine(root.ToJsonString());
        }
        else
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CLIP ViT-B/32, {Environment.ProcessorCount} threads"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  images (224×224, batch {ImageBatch}): {imagesPerSecond,10:F1} /s"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  texts  (77 tokens, batch {TextBatch}): {textsPerSecond,10:F1} /s"));
        }

        return 0;
    }

    private static double Measure(Action encode, int batch, int iterations)
    {
        encode(); // warm-up: JIT, buffer allocation, GEMM workspaces
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < iterations; i++)
        {
            encode();
        }

        return batch * iterations / watch.Elapsed.TotalSeconds;
    }
}
