using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.Optim;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench train-prefix-lm</c>: tokens per second of the full text-only captioner step (ClipCap MLP mapper
/// from a 512-d embedding to k = 10 prefix vectors, then the decoder of <c>bench train</c>: 4 layers, width 256, 8 heads,
/// vocabulary 5,000; 22 caption slots so the sequence is 32 long; batch 32), forward, backward, clipping and AdamW, from
/// the median step time after warm-up. Tokens are the B·T positions the decoder runs, as in <c>bench train</c>.
/// </summary>
internal static class BenchTrainPrefixLmCommand
{
    private const int Layers = 4;
    private const int Width = 256;
    private const int Heads = 8;
    private const int Vocabulary = 5000;
    private const int Embedding = 512;
    private const int Prefix = 10;
    private const int CaptionSlots = 22;
    private const int Batch = 32;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var device = DeviceOption.Create();
        var steps = new Option<int>("--steps") { Description = "Timed steps (the median is reported).", DefaultValueFactory = _ => 10 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 2 };
        var command = new Command("train-prefix-lm", "Measure the training throughput (tokens/s) of the full prefix-LM captioner step.") { json, steps, warmup, device };
        command.SetAction(parse =>
        {
            var timed = parse.GetValue(steps);
            var untimed = parse.GetValue(warmup);
            if (timed < 1 || untimed < 0)
            {
                throw new CommandLineError($"--steps must be at least 1 and --warmup at least 0; got {timed} and {untimed}.");
            }

            using var backend = DeviceOption.CreateBackend(parse, device);
            var tokensPerSecond = Run(backend, timed, untimed);
            var sequence = Prefix + CaptionSlots;
            Console.WriteLine(parse.GetValue(json)
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{{\"tokens_per_second\": {tokensPerSecond:0.0}, \"model\": {{\"mapper\": \"mlp\", \"embedding\": {Embedding}, \"prefix\": {Prefix}, \"layers\": {Layers}, \"width\": {Width}, \"heads\": {Heads}, \"vocab\": {Vocabulary}, \"context\": {sequence}, \"batch\": {Batch}}}}}")
                : string.Create(CultureInfo.InvariantCulture,
                    $"prefix-LM training step (MLP mapper {Embedding}→{Prefix}×{Width}, L={Layers}, C={Width}, NH={Heads}, V={Vocabulary}, T={sequence}, B={Batch}), {Environment.ProcessorCount} threads: {tokensPerSecond:0.0} tokens/s ({Batch * sequence / tokensPerSecond * 1000:0.0} ms/step)"));
            return 0;
        });
        return command;
    }

    private static double Run(IComputeBackend backend, int steps, int warmup)
    {
        var modelOptions = new PrefixLanguageModelOptions
        {
            Mapper = PrefixMapperKind.Mlp,
            EmbeddingDimension = Embedding,
            PrefixLength = Prefix,
            Decoder = new Gpt2DecoderOptions { VocabularySize = Vocabulary, Context = Prefix + CaptionSlots, Width = Width, Layers = Layers, Heads = Heads },
        };
        var model = new PrefixLanguageModel(backend, modelOptions);
        model.ResetParameters(1234);
        var parameters = model.TrainableParameters();
        var optimizer = new AdamW(parameters, new AdamWOptions { LearningRate = 1e-3f });
        var rng = new Random(42);
        var embeddings = backend.Allocate(Batch, Embedding);
        var host = new float[Batch * Embedding];
        for (var i = 0; i < host.Length; i++)
        {
            host[i] = (float)(rng.NextDouble() - 0.5);
        }

        embeddings.CopyFrom(host);
        var tokens = new int[Batch * CaptionSlots];
        var targets = new int[Batch * (Prefix + CaptionSlots)];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = rng.Next(Vocabulary);
        }

        for (var i = 0; i < targets.Length; i++)
        {
            // Prefix positions (but the last) are not scored, as in CaptionTrainer.
            targets[i] = i % (Prefix + CaptionSlots) < Prefix - 1 ? -100 : rng.Next(Vocabulary);
        }

        var times = new double[steps];
        for (var i = -warmup; i < steps; i++)
        {
            var start = Stopwatch.GetTimestamp();
            model.ZeroGrad();
            model.ForwardLoss(embeddings, tokens, targets, Batch, CaptionSlots);
            model.Backward();
            GradientClipping.ClipGlobalNorm(parameters, 1f);
            optimizer.Step();
            backend.Synchronize(); // a GPU queues the step; the clock stops when it has run (a no-op on the CPU)
            var elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
            if (i >= 0)
            {
                times[i] = elapsed;
            }
        }

        Array.Sort(times);
        var median = steps % 2 == 1 ? times[steps / 2] : 0.5 * (times[(steps / 2) - 1] + times[steps / 2]);
        return Batch * (Prefix + CaptionSlots) / median;
    }
}
