using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CrossModal.ShapesWorld.Experiment;
using CrossModal.Tensors;
using CrossModal.Tensors.Optim;
using CrossModal.Text;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench shapes-clip</c>: the contrastive training step of the ShapesWorld experiment's CLIP (its default
/// sizes: the convolutional image tower over 32×32 photos, the text transformer, batch 128) — forward, loss, backward
/// and AdamW — on random photos and captions, from the median step time after warm-up, with the image and text
/// towers' forward and backward passes timed apart. The default warm-up is long because .NET compiles hot loops
/// again, optimised, only after they have run for a while; a short warm-up times the first compilation.
/// </summary>
internal static class BenchShapesClipCommand
{
    private const int Batch = 128;
    private const int Words = 20;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var steps = new Option<int>("--steps") { Description = "Timed steps (the median is reported).", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 40 };
        var width = new Option<int>("--width") { Description = "Width of the text transformer (the experiment's ClipWidth).", DefaultValueFactory = _ => ShapesExperimentOptions.Default().ClipWidth };
        var device = DeviceOption.Create();
        var command = new Command("shapes-clip", "Measure the training step of the ShapesWorld CLIP (batch 128).") { json, steps, warmup, width, device };
        command.SetAction(parse =>
        {
            var timed = parse.GetValue(steps);
            var untimed = parse.GetValue(warmup);
            var textWidth = parse.GetValue(width);
            if (timed < 1)
            {
                throw new CommandLineError($"--steps must be at least 1; got {timed}.");
            }

            if (untimed < 0)
            {
                throw new CommandLineError($"--warmup must be at least 0; got {untimed}.");
            }

            if (textWidth < 32 || textWidth % 32 != 0)
            {
                throw new CommandLineError($"--width must be a positive multiple of 32 (heads of 32); got {textWidth}.");
            }

            using var backend = DeviceOption.CreateBackend(parse, device);
            var (step, vision, text) = Run(backend, timed, untimed, textWidth);
            if (parse.GetValue(json))
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{{\"step_ms\": {step:0.00}, \"pairs_per_second\": {Batch / step * 1000:0.0}, \"image_tower_ms\": {vision:0.00}, \"text_tower_ms\": {text:0.00}, \"batch\": {Batch}, \"text_width\": {textWidth}, \"threads\": {Environment.ProcessorCount}}}"));
            }
            else
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"ShapesWorld CLIP training step (batch {Batch}, text width {textWidth}), {Environment.ProcessorCount} threads: {step:0.0} ms/step ({Batch / step * 1000:0} pairs/s); image tower forward + backward {vision:0.0} ms, text tower {text:0.0} ms"));
            }

            return 0;
        });
        return command;
    }

    private static (double Step, double Vision, double Text) Run(IComputeBackend backend, int steps, int warmup, int width)
    {
        var options = ShapesExperimentOptions.Default();
        options.ClipWidth = width;
        var words = "a an the small large big tiny red yellow green blue purple circle square triangle star cross left right of above below beneath and there is it to".Split(' ');
        var clip = ShapesClip.Create(backend, options, WordTokenizer.Build(words), Words, seed: 1);
        var model = clip.Model;
        var optimizer = new AdamW(model.Parameters(), new AdamWOptions { LearningRate = 1e-4f, WeightDecay = 0.1f });
        var rng = new Random(42);
        var pixels = new float[Batch * model.Vision.PixelsPerImage];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)rng.NextDouble();
        }

        var context = Words + 1;
        var tokens = new int[Batch * context];
        for (var b = 0; b < Batch; b++)
        {
            var length = 6 + rng.Next(Words - 6);
            for (var t = 0; t < length; t++)
            {
                tokens[(b * context) + t] = 4 + rng.Next(words.Length);
            }

            tokens[(b * context) + length] = clip.EndOfTextId;
        }

        var times = new double[steps];
        var visionTimes = new double[steps];
        var textTimes = new double[steps];
        for (var i = -warmup; i < steps; i++)
        {
            var start = Stopwatch.GetTimestamp();
            model.ZeroGrad();
            var loss = model.ForwardLoss(pixels, tokens, Batch);
            model.Backward();
            optimizer.Step();
            backend.Synchronize();
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;

            // The towers alone, forward and backward (a backward from their own output stands in for the loss's).
            var towers = Stopwatch.GetTimestamp();
            model.Vision.Backward(model.Vision.Forward(pixels, Batch));
            backend.Synchronize();
            var vision = Stopwatch.GetElapsedTime(towers).TotalMilliseconds;
            towers = Stopwatch.GetTimestamp();
            model.Text.Backward(model.Text.Forward(tokens, Batch));
            backend.Synchronize();
            var text = Stopwatch.GetElapsedTime(towers).TotalMilliseconds;
            if (i >= 0)
            {
                times[i] = elapsed;
                visionTimes[i] = vision;
                textTimes[i] = text;
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(i < 0 ? "warm-up" : "step")} {i + (i < 0 ? warmup + 1 : 1)}: {elapsed:0.0} ms, loss {loss:0.0000}"));
        }

        return (BenchStatistics.Median(times), BenchStatistics.Median(visionTimes), BenchStatistics.Median(textTimes));
    }
}
