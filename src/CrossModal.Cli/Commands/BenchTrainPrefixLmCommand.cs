using System;
using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Text.Json.Nodes;
using CrossModal.Abstractions;
using CrossModal.Training.Captioning;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.Optim;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench train-prefix-lm</c>: tokens per second of the full text-only captioner step (ClipCap MLP mapper
/// from a 512-d embedding to k = 10 prefix vectors, then the decoder of <c>bench train</c>: 4 layers, width 256, 8 heads,
/// vocabulary 5,000; 22 caption slots so the sequence is 32 long; batch 32), forward, backward, clipping and AdamW, from
/// the median step time after warm-up. Tokens are the B·T positions the decoder runs, as in <c>bench train</c>.
/// With <c>--decoder-checkpoint DIR</c> (a Hugging Face GPT-2 folder) the decoder is the checkpoint's, with the MLP
/// mapper from scratch, and three runs are timed side by side on the same shapes: the engine's own step on a randomly
/// initialised model (<c>engine</c>), the same step on the loaded model (<c>checkpoint</c>), and
/// <see cref="CaptionTrainer"/> training that model on synthetic captions with the GPT-2 tokenizer, as
/// <c>train-captioner --decoder-checkpoint</c> does (<c>trainer</c>), each as median wall and process CPU seconds and
/// managed bytes allocated per step.
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
        var checkpoint = new Option<string?>("--decoder-checkpoint") { Description = "A Hugging Face GPT-2 folder: time the engine's step, the loaded model's step and the trainer's step side by side on its shapes." };
        var batch = new Option<int>("--batch") { Description = "Captions per step with --decoder-checkpoint.", DefaultValueFactory = _ => 40 };
        var command = new Command("train-prefix-lm", "Measure the training throughput (tokens/s) of the full prefix-LM captioner step.") { json, steps, warmup, device, checkpoint, batch };
        command.SetAction(parse =>
        {
            var timed = parse.GetValue(steps);
            var untimed = parse.GetValue(warmup);
            if (timed < 1 || untimed < 0)
            {
                throw new CommandLineError($"--steps must be at least 1 and --warmup at least 0; got {timed} and {untimed}.");
            }

            using var backend = DeviceOption.CreateBackend(parse, device);
            if (parse.GetValue(checkpoint) is { } checkpointPath)
            {
                var batchSize = parse.GetValue(batch);
                if (batchSize < 1)
                {
                    throw new CommandLineError($"--batch: expected 1 or more, got {batchSize}.");
                }

                return RunCheckpoint(backend, checkpointPath, batchSize, timed, untimed, parse.GetValue(json));
            }

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

    private static int RunCheckpoint(IComputeBackend backend, string path, int batch, int steps, int warmup, bool json)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            throw new CommandLineError($"--decoder-checkpoint: '{path}' does not exist; expected a Hugging Face GPT2LMHeadModel folder (config.json + model.safetensors).");
        }

        var loadStart = Stopwatch.GetTimestamp();
        var decoder = Gpt2Decoder.Load(path, backend);
        var loadSeconds = Stopwatch.GetElapsedTime(loadStart).TotalSeconds;
        var o = decoder.Options;
        var mapperOptions = new PrefixLanguageModelOptions { Mapper = PrefixMapperKind.Mlp, EmbeddingDimension = Embedding, PrefixLength = Prefix };
        var sequence = Prefix + CaptionSlots;
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loaded {path} in {loadSeconds:F1} s: V={o.VocabularySize}, context {o.Context}, C={o.Width}, L={o.Layers}, NH={o.Heads}; B={batch}, T={sequence}"));

        // The engine's own step on a randomly initialised model of the same shapes.
        var engineOptions = new PrefixLanguageModelOptions { Mapper = PrefixMapperKind.Mlp, EmbeddingDimension = Embedding, PrefixLength = Prefix, Decoder = o.Clone() };
        var engine = new PrefixLanguageModel(backend, engineOptions);
        engine.ResetParameters(1234);
        var engineTime = TimeSteps(backend, engine, batch, o.VocabularySize, steps, warmup);
        engine = null;
        GC.Collect();
        if (json)
        {
            Console.Error.WriteLine(Describe("engine", engineTime, batch * sequence));
        }

        var model = new PrefixLanguageModel(mapperOptions, decoder);
        model.Mapper.ResetParameters(1234);
        var checkpointTime = TimeSteps(backend, model, batch, o.VocabularySize, steps, warmup);
        if (json)
        {
            Console.Error.WriteLine(Describe("checkpoint", checkpointTime, batch * sequence));
        }

        var trainerTime = TimeTrainer(model, batch, steps, warmup);
        if (json)
        {
            Console.Error.WriteLine(Describe("trainer", trainerTime, batch * sequence));
        }

        if (json)
        {
            var root = new JsonObject
            {
                ["checkpoint"] = Path.GetFullPath(path),
                ["load_seconds"] = loadSeconds,
                ["model"] = new JsonObject
                {
                    ["mapper"] = "mlp", ["embedding"] = Embedding, ["prefix"] = Prefix, ["layers"] = o.Layers, ["width"] = o.Width, ["heads"] = o.Heads,
                    ["vocab"] = o.VocabularySize, ["sequence"] = sequence, ["batch"] = batch,
                },
                ["threads"] = Environment.ProcessorCount,
            };
            foreach (var (name, time) in new[] { ("engine", engineTime), ("checkpoint", checkpointTime), ("trainer", trainerTime) })
            {
                root[name] = new JsonObject
                {
                    ["tokens_per_second"] = batch * sequence / time.Wall,
                    ["wall_seconds_per_step"] = time.Wall,
                    ["cpu_seconds_per_step"] = time.Cpu,
                    ["managed_bytes_allocated_per_step"] = time.Bytes,
                };
            }

            Console.Out.WriteLine(root.ToJsonString());
        }
        else
        {
            Console.Out.WriteLine(Describe("engine", engineTime, batch * sequence));
            Console.Out.WriteLine(Describe("checkpoint", checkpointTime, batch * sequence));
            Console.Out.WriteLine(Describe("trainer", trainerTime, batch * sequence));
        }

        return 0;
    }

    private static string Describe(string name, (double Wall, double Cpu, double Bytes) time, int tokens) => string.Create(CultureInfo.InvariantCulture,
        $"{name,-10} {tokens / time.Wall,10:0.0} tokens/s  {time.Wall,8:0.000} s/step wall  {time.Cpu,8:0.000} CPU-s/step  {time.Bytes,10:0} bytes allocated/step");

    /// <summary>Median wall and process-CPU seconds of the bare training step (forward, backward, clip, AdamW).</summary>
    private static (double Wall, double Cpu, double Bytes) TimeSteps(IComputeBackend backend, PrefixLanguageModel model, int batch, int vocabulary, int steps, int warmup)
    {
        var parameters = model.TrainableParameters();
        var optimizer = new AdamW(parameters, new AdamWOptions { LearningRate = 1e-5f });
        var rng = new Random(42);
        var embeddings = backend.Allocate(batch, Embedding);
        var host = new float[batch * Embedding];
        for (var i = 0; i < host.Length; i++)
        {
            host[i] = (float)(rng.NextDouble() - 0.5);
        }

        embeddings.CopyFrom(host);
        var tokens = new int[batch * CaptionSlots];
        var targets = new int[batch * (Prefix + CaptionSlots)];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = rng.Next(vocabulary);
        }

        for (var i = 0; i < targets.Length; i++)
        {
            targets[i] = i % (Prefix + CaptionSlots) < Prefix - 1 ? -100 : rng.Next(vocabulary);
        }

        var wall = new double[steps];
        var cpu = new double[steps];
        var bytes = new double[steps];
        model.Train();
        for (var i = -warmup; i < steps; i++)
        {
            var start = Stopwatch.GetTimestamp();
            var cpuStart = Environment.CpuUsage.TotalTime;
            var allocatedStart = GC.GetTotalAllocatedBytes(precise: true);
            model.ZeroGrad();
            model.ForwardLoss(embeddings, tokens, targets, batch, CaptionSlots);
            model.Backward();
            GradientClipping.ClipGlobalNorm(parameters, 1f);
            optimizer.Step();
            backend.Synchronize();
            if (i >= 0)
            {
                wall[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
                cpu[i] = (Environment.CpuUsage.TotalTime - cpuStart).TotalSeconds;
                bytes[i] = GC.GetTotalAllocatedBytes(precise: true) - allocatedStart;
            }
        }

        return (BenchStatistics.Median(wall), BenchStatistics.Median(cpu), BenchStatistics.Median(bytes));
    }

    /// <summary>
    /// Median wall and process-CPU seconds per step of <see cref="CaptionTrainer"/> on <paramref name="model"/>, timed
    /// between its per-step progress reports: synthetic captions long enough to fill the caption slots, GPT-2 tokens,
    /// no bridge, no validation and no checkpoint files, so the time is the trainer's own path.
    /// </summary>
    private static (double Wall, double Cpu, double Bytes) TimeTrainer(PrefixLanguageModel model, int batch, int steps, int warmup)
    {
        string[] words = ["a", "man", "riding", "wave", "on", "top", "of", "surfboard", "two", "dogs", "playing", "in", "the", "snow", "kitchen", "with", "white", "cabinets"];
        var rng = new Random(7);
        var count = batch * (steps + warmup + 1);
        var captions = new string[count];
        var embeddings = new EmbeddingMatrix(count, Embedding);
        for (var i = 0; i < count; i++)
        {
            var caption = new System.Text.StringBuilder();
            for (var w = 0; w < CaptionSlots + 4; w++)
            {
                caption.Append(w == 0 ? string.Empty : " ").Append(words[rng.Next(words.Length)]);
            }

            captions[i] = caption.ToString();
            foreach (ref var value in embeddings.Row(i))
            {
                value = (float)(rng.NextDouble() - 0.5);
            }
        }

        var options = new CaptionTrainerOptions
        {
            Epochs = 1, BatchSize = batch, LearningRate = 1e-5f, WarmupSteps = 0, ValidationFraction = 0, EarlyStoppingPatience = 0,
            MaxCaptionTokens = CaptionSlots,
        };
        var trainer = new CaptionTrainer(model, CrossModal.Text.Gpt2Tokenizer.Shared, bridge: null, options);
        var clock = new StepClock(steps, warmup);
        trainer.Train(captions, embeddings, clock);
        return (BenchStatistics.Median(clock.Wall), BenchStatistics.Median(clock.Cpu), BenchStatistics.Median(clock.Bytes));
    }

    /// <summary>Times the steps between the trainer's progress reports (reported synchronously after each step).</summary>
    private sealed class StepClock(int steps, int warmup) : IProgress<TrainingProgress>
    {
        private long _last = Stopwatch.GetTimestamp();
        private TimeSpan _lastCpu = Environment.CpuUsage.TotalTime;
        private long _lastBytes = GC.GetTotalAllocatedBytes(precise: true);
        private int _seen;

        public double[] Wall { get; } = new double[steps];

        public double[] Cpu { get; } = new double[steps];

        public double[] Bytes { get; } = new double[steps];

        public void Report(TrainingProgress value)
        {
            var now = Stopwatch.GetTimestamp();
            var cpu = Environment.CpuUsage.TotalTime;
            var bytes = GC.GetTotalAllocatedBytes(precise: true);
            var index = _seen - warmup - 1; // the first interval also holds the trainer's set-up
            if (index >= 0 && index < steps)
            {
                Wall[index] = Stopwatch.GetElapsedTime(_last, now).TotalSeconds;
                Cpu[index] = (cpu - _lastCpu).TotalSeconds;
                Bytes[index] = bytes - _lastBytes;
            }

            _seen++;
            _last = now;
            _lastCpu = cpu;
            _lastBytes = bytes;
        }
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
