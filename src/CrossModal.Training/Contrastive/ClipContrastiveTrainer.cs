using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;
using CrossModal.Text;

namespace CrossModal.Training.Contrastive;

/// <summary>Writes the token ids of one text into a row of the context length T (ids, end-of-text, padding).</summary>
/// <param name="text">The text.</param>
/// <param name="destination">(T) ids.</param>
public delegate void ClipTokenWriter(string text, Span<int> destination);

/// <summary>What a contrastive run did.</summary>
public sealed class ClipContrastiveTrainingResult
{
    /// <summary>The loss of every step taken, those of a resumed run's earlier part included.</summary>
    public required IReadOnlyList<float> StepLosses { get; init; }

    /// <summary>Steps completed.</summary>
    public int Steps { get; init; }

    /// <summary>Whether the cancellation token stopped the run (at a step boundary, after writing the checkpoint).</summary>
    public bool Cancelled { get; init; }

    /// <summary>The step this call started from (0, or the resumed checkpoint's step).</summary>
    public int StartStep { get; init; }

    /// <summary>Pairs per second over this call's steps.</summary>
    public double PairsPerSecond { get; init; }
}

/// <summary>
/// Trains any <see cref="ClipModel"/> (ViT or convolutional image tower) from (image, text) pairs with CLIP's
/// symmetric contrastive loss (Radford et al., 2021): each step draws a batch of pairs without replacement within an
/// epoch, runs <see cref="ClipModel.ForwardLoss(System.ReadOnlySpan{float}, System.ReadOnlySpan{int}, int, int, float)"/> (with the group term when <see cref="ClipContrastiveTrainerOptions.GroupLossWeight"/> is set) and <see cref="ClipModel.Backward"/>, clips the global gradient
/// norm and takes an AdamW step on a warm-up + cosine schedule. Reports progress every step, stops on cancellation at
/// a step boundary, and writes a resumable checkpoint (atomically) on a period, on cancellation and at the end.
/// </summary>
/// <remarks>The step loop allocates nothing on the managed heap when the token writer does not.</remarks>
public sealed class ClipContrastiveTrainer
{
    /// <summary>The <c>format</c> metadata value of a training checkpoint.</summary>
    public const string FormatName = "crossmodal-clip-contrastive";

    private const string ModelPrefix = "model.";

    /// <summary>Creates a trainer for <paramref name="model"/>.</summary>
    /// <param name="model">The model, initialised (or loaded) already.</param>
    /// <param name="options">The options; validated.</param>
    public ClipContrastiveTrainer(ClipModel model, ClipContrastiveTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Model = model;
        Options = options;
    }

    /// <summary>The model being trained.</summary>
    public ClipModel Model { get; }

    /// <summary>The options.</summary>
    public ClipContrastiveTrainerOptions Options { get; }

    /// <summary>Trains on <paramref name="images"/> paired row by row with <paramref name="texts"/>.</summary>
    /// <param name="images">The images (any size; the model's preprocessor resizes them).</param>
    /// <param name="texts">Their texts.</param>
    /// <param name="tokenize">Writes a text's ids into a row of the model's text context; null uses CLIP's BPE
    /// (<see cref="ClipTokenizer.Shared"/>), which allocates per text.</param>
    /// <param name="progress">Receives a report after every step (stage <c>"clip"</c>, items = pairs), or null.</param>
    /// <param name="cancellationToken">Stops the run at the next step boundary, after writing the checkpoint.</param>
    /// <returns>The losses and how the run ended.</returns>
    /// <exception cref="InvalidDataException">A checkpoint to resume from does not match this run.</exception>
    public ClipContrastiveTrainingResult Train(
        IReadOnlyList<ImageData> images, IReadOnlyList<string> texts, ClipTokenWriter? tokenize = null,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        if (images.Count != texts.Count)
        {
            throw new ArgumentException($"{images.Count} images but {texts.Count} texts; they must pair row by row.", nameof(texts));
        }

        var options = Options;
        var group = options.GroupSize;
        if (images.Count % group != 0)
        {
            throw new ArgumentException($"{images.Count} pairs do not split into groups of {group} (GroupSize).", nameof(images));
        }

        var batch = Math.Min(options.BatchSize, images.Count);
        if (batch < 2)
        {
            throw new ArgumentException("Contrastive training needs at least 2 pairs.", nameof(images));
        }

        var model = Model;
        var context = model.Config.Text.Context;
        tokenize ??= (text, destination) => ClipTokenizer.Shared.EncodeContext(text, context).CopyTo(destination);
        IReadOnlyList<Parameter> parameters = model.Parameters();
        if (options.FixedLogitScale is { } fixedScale)
        {
            model.LogitScale.Value.CopyFrom([MathF.Log(fixedScale)]);
            parameters = [.. parameters.Where(p => !ReferenceEquals(p, model.LogitScale))];
        }

        var optimizer = new AdamW(parameters, new AdamWOptions { LearningRate = options.LearningRate, WeightDecay = options.WeightDecay });
        var warmup = (int)Math.Round(options.WarmupFraction * options.Steps);
        var schedule = new CosineWarmupSchedule(options.LearningRate, warmup, options.Steps, options.LearningRate * options.FinalLearningRateFraction);
        var losses = new List<float>(options.Steps);
        var start = 0;
        if (options.Resume && File.Exists(options.CheckpointPath))
        {
            start = LoadCheckpoint(options.CheckpointPath!, optimizer, losses, images.Count, batch);
        }

        var per = model.Vision.PixelsPerImage;
        var pixels = new float[batch * per];
        var tokens = new int[batch * context];
        var perEpoch = images.Count / batch;
        var order = new int[images.Count / group];
        var orderEpoch = -1;
        model.Train();
        var clock = Stopwatch.StartNew();
        var step = start;
        var cancelled = false;
        for (; step < options.Steps; step++)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                cancelled = true;
                break;
            }

            var epoch = step / perEpoch;
            if (epoch != orderEpoch)
            {
                Permutation(order, options.Seed, epoch);
                orderEpoch = epoch;
            }

            var first = (step % perEpoch) * batch;
            for (var b = 0; b < batch; b++)
            {
                var index = order[(first + b) / group] * group + (first + b) % group;
                var image = images[index] ?? throw new ArgumentException($"Image {index} is null.", nameof(images));
                var text = texts[index] ?? throw new ArgumentException($"Text {index} is null.", nameof(texts));
                model.Preprocessor.Preprocess(image, pixels.AsSpan(b * per, per));
                tokenize(text, tokens.AsSpan(b * context, context));
            }

            model.ZeroGrad();
            var loss = model.ForwardLoss(pixels, tokens, batch, group, options.GroupLossWeight);
            model.Backward();
            if (options.MaxGradientNorm > 0f)
            {
                GradientClipping.ClipGlobalNorm(parameters, options.MaxGradientNorm);
            }

            optimizer.LearningRate = schedule.At(step);
            optimizer.Step();
            losses.Add(loss);
            if (progress is not null)
            {
                var done = step + 1 - start;
                var elapsed = clock.Elapsed;
                var remaining = TimeSpan.FromTicks(elapsed.Ticks / done * (options.Steps - step - 1));
                progress.Report(new TrainingProgress("clip", step + 1, options.Steps, epoch, loss, done * batch / Math.Max(elapsed.TotalSeconds, 1e-9), remaining));
            }

            if (options.CheckpointEverySteps > 0 && (step + 1) % options.CheckpointEverySteps == 0 && step + 1 < options.Steps)
            {
                SaveCheckpoint(optimizer, losses, step + 1, images.Count, batch);
            }
        }

        SaveCheckpoint(optimizer, losses, step, images.Count, batch);
        model.Eval();
        return new ClipContrastiveTrainingResult
        {
            StepLosses = losses,
            Steps = step,
            StartStep = start,
            Cancelled = cancelled,
            PairsPerSecond = (step - start) * batch / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
        };
    }

    /// <summary>Fills <paramref name="order"/> with epoch <paramref name="epoch"/>'s permutation of the pair groups (Fisher–Yates from a seed
    /// of (seed, epoch)), so any step's batch is known without replaying earlier epochs.</summary>
    private static void Permutation(int[] order, int seed, int epoch)
    {
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        // Not HashCode.Combine, which .NET seeds randomly per process: the same Seed must give the same batches in every
        // process, or a resumed run and a rerun would see other batches than the first run.
        new Random(Captioning.CaptionTrainer.Mix(seed, epoch)).Shuffle(order);
    }

    private void SaveCheckpoint(AdamW optimizer, List<float> losses, int step, int pairs, int batch)
    {
        if (Options.CheckpointPath is not { } path)
        {
            return;
        }

        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var (name, parameter) in Model.NamedParameters())
        {
            tensors[ModelPrefix + name] = new HostArray(parameter.Value.Shape.ToArray(), parameter.Value.ToArray());
        }

        for (var i = 0; i < optimizer.FirstMoments.Count; i++)
        {
            var m = optimizer.FirstMoments[i];
            var v = optimizer.SecondMoments[i];
            tensors["optimizer.m." + i.ToString(CultureInfo.InvariantCulture)] = new HostArray(m.Shape.ToArray(), m.ToArray());
            tensors["optimizer.v." + i.ToString(CultureInfo.InvariantCulture)] = new HostArray(v.Shape.ToArray(), v.ToArray());
        }

        tensors["losses"] = new HostArray([losses.Count], [.. losses]);
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        // SafeTensorsFile.Write goes through a temporary file and a rename: a crash never leaves a torn checkpoint.
        SafeTensorsFile.Write(path, tensors, Metadata(step, optimizer.StepCount, pairs, batch));
    }

    private Dictionary<string, string> Metadata(int step, int optimizerStep, int pairs, int batch) => new(StringComparer.Ordinal)
    {
        ["format"] = FormatName,
        ["version"] = "1",
        ["step"] = step.ToString(CultureInfo.InvariantCulture),
        ["optimizer.step"] = optimizerStep.ToString(CultureInfo.InvariantCulture),
        ["steps"] = Options.Steps.ToString(CultureInfo.InvariantCulture),
        ["batch"] = batch.ToString(CultureInfo.InvariantCulture),
        ["pairs"] = pairs.ToString(CultureInfo.InvariantCulture),
        ["seed"] = Options.Seed.ToString(CultureInfo.InvariantCulture),
        ["group"] = Options.GroupSize.ToString(CultureInfo.InvariantCulture),
        ["group_loss_weight"] = Options.GroupLossWeight.ToString("R", CultureInfo.InvariantCulture),
        ["model"] = Model.Config.ToString(),
    };

    private int LoadCheckpoint(string path, AdamW optimizer, List<float> losses, int pairs, int batch)
    {
        var content = SafeTensorsFile.Read(path);
        var metadata = content.Metadata;
        if (metadata.GetValueOrDefault("format") != FormatName)
        {
            throw new InvalidDataException($"{path}: not a CLIP contrastive training checkpoint (no 'format': '{FormatName}' metadata).");
        }

        var expected = Metadata(0, 0, pairs, batch);
        foreach (var key in new[] { "steps", "batch", "pairs", "seed", "group", "group_loss_weight", "model" })
        {
            // Checkpoints from before pair groups existed have no "group": they trained with groups of one; those from
            // before the group term have no "group_loss_weight": they trained without it.
            var recordedValue = metadata.GetValueOrDefault(key) ?? key switch { "group" => "1", "group_loss_weight" => "0", _ => null };
            if (recordedValue != expected[key])
            {
                throw new InvalidDataException($"{path}: written by a different run: '{key}' is '{recordedValue}' but this run has '{expected[key]}'.");
            }
        }

        var problems = new List<string>();
        foreach (var (name, parameter) in Model.NamedParameters())
        {
            if (!content.Tensors.TryGetValue(ModelPrefix + name, out var array) || !array.Shape.AsSpan().SequenceEqual(parameter.Value.Shape))
            {
                problems.Add($"'{ModelPrefix + name}' is missing or mis-shaped");
                continue;
            }

            parameter.Value.CopyFrom(array.Data);
        }

        for (var i = 0; i < optimizer.FirstMoments.Count; i++)
        {
            var suffix = i.ToString(CultureInfo.InvariantCulture);
            foreach (var (key, tensor) in new[] { ("optimizer.m." + suffix, optimizer.FirstMoments[i]), ("optimizer.v." + suffix, optimizer.SecondMoments[i]) })
            {
                if (!content.Tensors.TryGetValue(key, out var array) || array.Data.Length != tensor.Length)
                {
                    problems.Add($"'{key}' is missing or mis-shaped");
                    continue;
                }

                tensor.CopyFrom(array.Data);
            }
        }

        if (problems.Count > 0)
        {
            throw new InvalidDataException($"{path}: {string.Join("; ", problems)}.");
        }

        if (!int.TryParse(metadata.GetValueOrDefault("step"), NumberStyles.None, CultureInfo.InvariantCulture, out var step)
            || !int.TryParse(metadata.GetValueOrDefault("optimizer.step"), NumberStyles.None, CultureInfo.InvariantCulture, out var optimizerStep)
            || !content.Tensors.TryGetValue("losses", out var recorded) || recorded.Data.Length != step)
        {
            throw new InvalidDataException($"{path}: expected integer 'step' and 'optimizer.step' metadata and a 'losses' tensor of that many steps.");
        }

        optimizer.StepCount = optimizerStep;
        losses.AddRange(recorded.Data);
        return step;
    }
}
