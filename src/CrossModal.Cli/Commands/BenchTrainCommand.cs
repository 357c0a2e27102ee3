using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CrossModal.Models.Language;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench train</c>: tokens per second of a full training step (forward, backward, AdamW) of a GPT-2-style
/// decoder with 4 layers, width 256, 8 heads, vocabulary 5,000, context 32 and batch 32, in process after warm-up,
/// from the median step time. tests/reference/bench_torch_train.py measures the same step in PyTorch.
/// </summary>
internal static class BenchTrainCommand
{
    private const int Layers = 4;
    private const int Width = 256;
    private const int Heads = 8;
    private const int Vocabulary = 5000;
    private const int Context = 32;
    private const int Batch = 32;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var steps = new Option<int>("--steps") { Description = "Timed steps (the median is reported).", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 3 };
        var device = DeviceOption.Create();
        var command = new Command("train", "Measure training throughput (tokens/s) of a 4-layer GPT-2-style decoder.") { json, steps, warmup, device };
        command.SetAction(parse =>
        {
            var timed = parse.GetValue(steps);
            var untimed = parse.GetValue(warmup);
            if (timed < 1)
            {
                throw new CommandLineError($"--steps must be at least 1; got {timed}.");
            }

            if (untimed < 0)
            {
                throw new CommandLineError($"--warmup must be at least 0; got {untimed}.");
            }

            using var backend = DeviceOption.CreateBackend(parse, device);
            var tokensPerSecond = Run(backend, timed, untimed);
            if (parse.GetValue(json))
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{{\"tokens_per_second\": {tokensPerSecond:0.0}, \"model\": {{\"layers\": {Layers}, \"width\": {Width}, \"heads\": {Heads}, \"vocab\": {Vocabulary}, \"context\": {Context}, \"batch\": {Batch}}}}}"));
            }
            else
            {
                Console.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"training step, GPT-2-style decoder (L={Layers}, C={Width}, NH={Heads}, V={Vocabulary}, T={Context}, B={Batch}), {Environment.ProcessorCount} threads: {tokensPerSecond:0.0} tokens/s ({Batch * Context / tokensPerSecond * 1000:0.0} ms/step)"));
            }

            return 0;
        });
        return command;
    }

    private static double Run(IComputeBackend backend, int steps, int warmup)
    {
        var model = new TransformerLanguageModel(backend, new TransformerLanguageModelOptions
        {
            VocabularySize = Vocabulary,
            Context = Context,
            Width = Width,
            Layers = Layers,
            Heads = Heads,
        });
        model.ResetParameters(seed: 1234);
        var optimizer = new AdamW(model.Parameters(), new AdamWOptions { LearningRate = 3e-4f, WeightDecay = 0.1f });
        var rng = new Random(42);
        var tokens = new int[Batch * Context];
        var targets = new int[Batch * Context];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = rng.Next(Vocabulary);
            targets[i] = rng.Next(Vocabulary);
        }

        var times = new double[steps];
        for (var i = -warmup; i < steps; i++)
        {
            var start = Stopwatch.GetTimestamp();
            model.ZeroGrad();
            var loss = model.ForwardLoss(tokens, targets, Batch, Context);
            model.Backward();
            optimizer.Step();
            backend.Synchronize(); // a GPU queues the step; the clock stops when it has run (a no-op on the CPU)
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (i >= 0)
            {
                times[i] = elapsed;
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(i < 0 ? "warm-up" : "step")} {i + (i < 0 ? warmup + 1 : 1)}: {elapsed * 1000:0.0} ms, loss {loss:0.0000}"));
        }

        return Batch * Context / BenchStatistics.Median(times);
    }
}
