using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using CrossModal.Abstractions;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Captioning;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Training.Adversarial;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal bench adversarial [--json] [--steps N] [--warmup N]</c>: one CgT-GAN generator step with random
/// weights — the generator of <c>bench train-prefix-lm</c> (MLP mapper 512 → 10 × 256, 4 layers, width 256, 8 heads,
/// vocabulary 5,000), 8 images × 5 samples of at most 20 tokens and the 8 greedy baseline captions in one KV-cached
/// batch, CLIP-agg through a ViT-B/32-shaped
/// CLIP text encoder (12 layers, width 512) on the samples and the greedy captions, the discriminator reward, then the
/// two backward passes (policy gradient, discriminator BCE) — profiled by stage. Each stage's share of the wall time is
/// set beside its share of the step's floating-point operations (counted from the shapes and the measured caption
/// lengths). JSON keys: <c>samples_per_second</c>, <c>ms_per_step</c>, <c>stages</c> (per stage <c>ms</c>,
/// <c>time_share</c>, <c>flop_share</c>, <c>ratio</c> = time share / FLOP share), <c>gflop_per_step</c>,
/// <c>allocated_bytes_per_step</c>, <c>threads</c>, <c>model</c>.
/// </summary>
internal static class BenchAdversarialCommand
{
    private const int Layers = 4;
    private const int Width = 256;
    private const int Heads = 8;
    private const int Vocabulary = 5000;
    private const int Embedding = 512;
    private const int Prefix = 10;
    private const int Images = 8;
    private const int Samples = 5;
    private const int MaxTokens = 20;
    private const int ClipEndOfText = 49407;

    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var steps = new Option<int>("--steps") { Description = "Timed steps (the median of each stage is reported).", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed steps first.", DefaultValueFactory = _ => 2 };
        var device = DeviceOption.Create();
        var command = new Command("adversarial", "Profile one CgT-GAN adversarial generator step (sampling, CLIP text encoder, two backward passes).") { json, steps, warmup, device };
        command.SetAction(parse =>
        {
            var timed = parse.GetValue(steps);
            var untimed = parse.GetValue(warmup);
            if (timed < 1 || untimed < 0)
            {
                throw new CommandLineError($"--steps must be at least 1 and --warmup at least 0; got {timed} and {untimed}.");
            }

            using var backend = DeviceOption.CreateBackend(parse, device);
            var result = Run(backend, timed, untimed);
            Console.Out.WriteLine(parse.GetValue(json) ? result.ToJsonString() : Describe(result));
            return 0;
        });
        return command;
    }

    private static string Describe(JsonObject result)
    {
        var lines = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture,
                $"adversarial step ({Images} images × {Samples} samples, ≤ {MaxTokens} tokens), {Environment.ProcessorCount} threads: {result["ms_per_step"]} ms/step, {result["samples_per_second"]} samples/s, {result["gflop_per_step"]} GFLOP/step"),
        };
        foreach (var (name, stage) in result["stages"]!.AsObject())
        {
            lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-18} {stage!["ms"],8} ms  time {stage["time_share"]:0.000}  FLOPs {stage["flop_share"]:0.000}  ratio {stage["ratio"]}"));
        }

        return string.Join(Environment.NewLine, lines);
    }

    private static JsonObject Run(IComputeBackend backend, int steps, int warmup)
    {
        var rng = new Random(42);
        var generator = new PrefixLanguageModel(backend, new PrefixLanguageModelOptions
        {
            Mapper = PrefixMapperKind.Mlp,
            EmbeddingDimension = Embedding,
            PrefixLength = Prefix,
            Decoder = new Gpt2DecoderOptions { VocabularySize = Vocabulary, Context = Prefix + MaxTokens + 2, Width = Width, Layers = Layers, Heads = Heads },
        });
        generator.ResetParameters(1234);
        var discriminatorOptions = new DiscriminatorOptions { VocabularySize = Vocabulary };
        var discriminator = new Discriminator(backend, discriminatorOptions);
        discriminator.ResetParameters(5);
        Console.Error.WriteLine("building a random ViT-B/32-shaped CLIP …");
        var clipConfig = new ClipConfig();
        var clip = new ClipModel(backend, clipConfig);
        clip.ResetParameters(seed: 0);
        clip.Eval();

        var images = RandomUnitRows(64, Embedding, rng);
        var corpusEmbeddings = RandomUnitRows(1000, Embedding, rng);
        var corpus = new List<int[]>();
        for (var i = 0; i < 1000; i++)
        {
            var caption = new int[rng.Next(6, 16)];
            for (var t = 0; t < caption.Length; t++)
            {
                caption[t] = rng.Next(Vocabulary - 1);
            }

            corpus.Add(caption);
        }

        // The captions go to CLIP as token ids (generator id → a CLIP id, then end-of-text), so the stage measures the
        // text encoder itself, not string decoding and re-tokenising; the embedder writes into the trainer's matrix.
        var embedder = new ClipIdEmbedder(clip, clipConfig.Text.Context);
        var options = new AdversarialCaptionTrainerOptions
        {
            Steps = 1,
            ImagesPerStep = Images,
            SamplesPerImage = Samples,
            MaxTokens = MaxTokens,
            Schedule = new RewardSchedule { WarmupSteps = 0, RampSteps = 0, Final = 0.5f }, // both rewards on, as after the warm-up
        };
        var trainer = new AdversarialCaptionTrainer(generator, discriminator, new ClipAggregateReward(images, corpusEmbeddings, backend: backend), embedder, Vocabulary - 1, options);

        var stages = new double[5][];
        for (var k = 0; k < stages.Length; k++)
        {
            stages[k] = new double[steps];
        }

        var totals = new double[steps];
        long allocated = 0;
        for (var i = -warmup; i < steps; i++)
        {
            embedder.Tokens = 0;
            embedder.Rows = 0;
            var before = GC.GetAllocatedBytesForCurrentThread();
            trainer.Step(images, corpus);
            var after = GC.GetAllocatedBytesForCurrentThread();
            if (i < 0)
            {
                continue;
            }

            allocated = after - before;
            var t = trainer.LastStepTimings;
            double[] values = [t.Sampling, t.CaptionEmbedding, t.Rewards, t.Generator, t.Discriminator];
            for (var k = 0; k < values.Length; k++)
            {
                stages[k][i] = values[k];
            }

            totals[i] = t.Total;
        }

        // FLOPs of the last step from the shapes (a multiply-add counts 2): decoder tokens cost 24·W² per layer plus
        // 4·W per attended position, each vocabulary row 2·W·V; a backward pass costs twice its forward pass.
        var s = Images * Samples;
        var meanCaption = embedder.Rows > 0 ? (double)embedder.Tokens / embedder.Rows : MaxTokens; // caption tokens + end token
        var sampleSteps = Math.Min(MaxTokens, meanCaption);
        var mapper = 2.0 * ((Embedding * (Prefix * Width / 2.0)) + (Prefix * Width / 2.0 * Prefix * Width));
        double Decoder(double rows, double tokens, double context, double scoredRows) =>
            (rows * tokens * Layers * ((24.0 * Width * Width) + (4.0 * Width * context))) + (scoredRows * 2.0 * Width * Vocabulary);
        double Decode(int rows) => (rows * mapper) + Decoder(rows, Prefix + sampleSteps, (Prefix + sampleSteps) / 2.0, rows * sampleSteps);
        var w = clipConfig.Text.Width;
        var clipFlops = embedder.Rows * meanCaption * ((clipConfig.Text.Layers * ((8.0 * w * w) + (4.0 * w * clipConfig.Text.MlpHidden) + (4.0 * w * meanCaption / 2))) + (2.0 * w * clipConfig.ProjectionDim / meanCaption));
        var dw = discriminatorOptions.Width;
        double DiscriminatorForward(double rows) => rows * (meanCaption + 1) * discriminatorOptions.Layers * ((24.0 * dw * dw) + (4.0 * dw * (meanCaption + 1)));
        var generatorTokens = Prefix + meanCaption;
        double[] flops =
        [
            Decode(s) + Decode(Images),
            clipFlops,
            DiscriminatorForward(s + Images),
            3.0 * ((s * mapper) + Decoder(s, generatorTokens, generatorTokens / 2, s * generatorTokens)),
            3.0 * DiscriminatorForward(2 * s),
        ];
        string[] names = ["sampling", "clip_text_encoder", "rewards", "generator_backward", "discriminator_backward"];
        var totalFlops = 0.0;
        foreach (var f in flops)
        {
            totalFlops += f;
        }

        var medianTotal = BenchStatistics.Median(totals);
        var stageMedians = new double[names.Length];
        var stageSum = 0.0;
        for (var k = 0; k < names.Length; k++)
        {
            stageMedians[k] = BenchStatistics.Median(stages[k]);
            stageSum += stageMedians[k];
        }

        var stageJson = new JsonObject();
        for (var k = 0; k < names.Length; k++)
        {
            var timeShare = stageMedians[k] / stageSum;
            var flopShare = flops[k] / totalFlops;
            stageJson[names[k]] = new JsonObject
            {
                ["ms"] = Math.Round(stageMedians[k] * 1000, 2),
                ["time_share"] = Math.Round(timeShare, 4),
                ["flop_share"] = Math.Round(flopShare, 4),
                ["ratio"] = Math.Round(timeShare / flopShare, 2),
            };
        }

        return new JsonObject
        {
            ["samples_per_second"] = Math.Round(s / medianTotal, 2),
            ["ms_per_step"] = Math.Round(medianTotal * 1000, 1),
            ["gflop_per_step"] = Math.Round(totalFlops / 1e9, 2),
            ["stages"] = stageJson,
            ["mean_caption_tokens"] = Math.Round(meanCaption, 2),
            ["allocated_bytes_per_step"] = allocated,
            ["threads"] = Environment.ProcessorCount,
            ["steps"] = steps,
            ["model"] = new JsonObject
            {
                ["generator"] = string.Create(CultureInfo.InvariantCulture, $"mlp mapper {Embedding}→{Prefix}×{Width}, L={Layers}, C={Width}, NH={Heads}, V={Vocabulary}"),
                ["clip_text"] = string.Create(CultureInfo.InvariantCulture, $"ViT-B/32 text tower (L={clipConfig.Text.Layers}, C={w}), random weights"),
                ["discriminator"] = string.Create(CultureInfo.InvariantCulture, $"L={discriminatorOptions.Layers}, C={dw}, NH={discriminatorOptions.Heads}"),
                ["images_per_step"] = Images,
                ["samples_per_image"] = Samples,
                ["max_tokens"] = MaxTokens,
            },
        };
    }

    /// <summary>Generator ids → CLIP ids (then end-of-text) → the CLIP text encoder, written into the trainer's matrix.</summary>
    private sealed class ClipIdEmbedder(ClipModel clip, int context) : ICaptionEmbedder
    {
        private int[] _ids = [];

        public long Tokens { get; set; }

        public long Rows { get; set; }

        public int Dimension => clip.Dimension;

        public void Embed(RewardBatch captions, EmbeddingMatrix destination)
        {
            // One row length for every step (padding after the end token changes nothing: CLIP pools at the end token).
            var length = Math.Min(MaxTokens + 1, context);
            var needed = captions.Count * length;
            if (_ids.Length < needed)
            {
                _ids = new int[needed];
            }

            var ids = _ids.AsSpan(0, needed);
            ids.Clear();
            for (var i = 0; i < captions.Count; i++)
            {
                var row = ids.Slice(i * length, length);
                var caption = captions.Caption(i);
                var n = Math.Min(caption.Length, length - 1);
                for (var t = 0; t < n; t++)
                {
                    row[t] = 1 + (caption[t] % 49000);
                }

                row[n] = ClipEndOfText;
                Tokens += n + 1;
            }

            Rows += captions.Count;
            clip.EncodeTokens(ids, captions.Count, destination.Span);
        }
    }

    private static EmbeddingMatrix RandomUnitRows(int rows, int dimension, Random rng)
    {
        var m = new EmbeddingMatrix(rows, dimension);
        for (var r = 0; r < rows; r++)
        {
            var row = m.Row(r);
            var norm = 0.0;
            for (var c = 0; c < dimension; c++)
            {
                row[c] = (float)((rng.NextDouble() * 2) - 1);
                norm += row[c] * row[c];
            }

            for (var c = 0; c < dimension; c++)
            {
                row[c] /= (float)Math.Sqrt(norm);
            }
        }

        return m;
    }
}
