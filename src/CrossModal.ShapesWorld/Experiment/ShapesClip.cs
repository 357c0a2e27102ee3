using System;
using System.Collections.Generic;
using CrossModal.Abstractions;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Tensors.Optim;
using CrossModal.Text;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>
/// The ShapesWorld CLIP: a small <see cref="ClipModel"/> (a tiny ViT over 32×32 photos and a small text transformer)
/// trained from scratch with CLIP's symmetric contrastive loss on the world's web pairs — the "connect" step of
/// C3 (Zhang et al., ICLR 2024). Texts use a word-level vocabulary (<see cref="WordTokenizer"/>) built from the
/// world's captions, followed by an end-of-text id larger than every word id, because <see cref="ClipTextEncoder"/>
/// pools at the argmax of the ids as OpenAI's CLIP does.
/// </summary>
public sealed class ShapesClip : ITextEncoder, IImageEncoder
{
    private readonly int _context;
    private int[] _ids = [];

    private ShapesClip(ClipModel model, WordTokenizer tokenizer, int context)
    {
        Model = model;
        Tokenizer = tokenizer;
        _context = context;
    }

    /// <summary>The underlying model.</summary>
    public ClipModel Model { get; }

    /// <summary>The word vocabulary (ids 0–3 are its specials; the end-of-text id is its size).</summary>
    public WordTokenizer Tokenizer { get; }

    /// <summary>When set, the logit scale 1/τ is held at this value during <see cref="Train"/> instead of being learned
    /// (OpenAI's CLIP ends its training clamped at 100). Null: learned from <see cref="ClipConfig.LogitScaleInit"/>.</summary>
    public float? FixedLogitScale { get; set; }

    /// <summary>The logit scale 1/τ the model currently uses.</summary>
    public float CurrentLogitScale
    {
        get
        {
            var value = new float[1];
            Model.LogitScale.Value.CopyTo(value);
            return MathF.Exp(value[0]);
        }
    }

    /// <summary>The end-of-text id: one past the last word id.</summary>
    public int EndOfTextId => Tokenizer.VocabularySize;

    /// <inheritdoc />
    public int Dimension => Model.Dimension;

    /// <summary>Builds an untrained model sized by <paramref name="options"/>.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="options">Experiment options (widths, layers, patch size, D).</param>
    /// <param name="tokenizer">The word vocabulary of the world's captions.</param>
    /// <param name="maxWords">The longest caption in words.</param>
    /// <param name="seed">Initialisation seed.</param>
    public static ShapesClip Create(IComputeBackend backend, ShapesExperimentOptions options, WordTokenizer tokenizer, int maxWords, int seed)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var context = maxWords + 1;
        var width = options.ClipWidth;
        var config = new ClipConfig
        {
            ProjectionDim = options.EmbeddingDimension,
            Text = new ClipTextConfig
            {
                VocabularySize = tokenizer.VocabularySize + 1,
                Width = width,
                MlpHidden = 4 * width,
                Heads = Math.Max(1, width / 32),
                Layers = options.ClipLayers,
                Context = context,
            },
            Vision = new ClipVisionConfig
            {
                Width = width,
                MlpHidden = 4 * width,
                Heads = Math.Max(1, width / 32),
                Layers = options.ClipLayers,
                ImageSize = options.World.ImageSize,
                PatchSize = options.ClipPatchSize,
            },
        };
        var model = new ClipModel(backend, config) { EncodeBatchSize = 256 };
        model.ResetParameters(seed);
        return new ShapesClip(model, tokenizer, context);
    }

    /// <summary>Writes the token ids of <paramref name="text"/>: its words, end-of-text, then padding (id 0).
    /// Words past the context are cut (the world's captions always fit).</summary>
    /// <param name="text">A caption.</param>
    /// <param name="destination">(T) ids, T = the text context.</param>
    public void Tokenize(string text, Span<int> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (destination.Length != _context)
        {
            throw new ArgumentException($"destination holds {destination.Length} ids; expected the context {_context}.", nameof(destination));
        }

        var words = Tokenizer.Encode(text);
        var n = Math.Min(words.Length, _context - 1);
        destination.Clear();
        words.AsSpan(0, n).CopyTo(destination);
        destination[n] = EndOfTextId;
    }

    /// <summary>Trains the model contrastively on (photo, caption) pairs; one step draws a random batch without replacement
    /// within an epoch. AdamW (weight decay 0.1 except τ), linear warm-up for 5 % of the steps, cosine decay, gradient clipping at 1.</summary>
    /// <param name="images">The photos.</param>
    /// <param name="captions">Their captions; row i describes image i.</param>
    /// <param name="steps">Optimiser steps.</param>
    /// <param name="batch">Pairs per step.</param>
    /// <param name="learningRate">Peak learning rate.</param>
    /// <param name="seed">Shuffling seed.</param>
    /// <param name="progress">Receives a report after every step, or null.</param>
    /// <returns>The loss of every step.</returns>
    public float[] Train(IReadOnlyList<ImageData> images, IReadOnlyList<string> captions, int steps, int batch, float learningRate, int seed,
                         IProgress<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(captions);
        if (images.Count != captions.Count)
        {
            throw new ArgumentException($"{images.Count} images but {captions.Count} captions; they must pair row by row.", nameof(captions));
        }

        batch = Math.Min(batch, images.Count);
        if (batch < 2)
        {
            throw new ArgumentException("Contrastive training needs at least 2 pairs.", nameof(images));
        }

        var model = Model;
        model.Train();
        var parameters = model.Parameters();
        if (FixedLogitScale is { } fixedScale)
        {
            model.LogitScale.Value.CopyFrom([MathF.Log(fixedScale)]);
            parameters = [.. System.Linq.Enumerable.Where(parameters, p => !ReferenceEquals(p, model.LogitScale))];
        }
        var optimizer = new AdamW(parameters, new AdamWOptions { LearningRate = learningRate, WeightDecay = 0.1f });
        var schedule = new CosineWarmupSchedule(learningRate, Math.Max(1, steps / 20), steps, learningRate * 0.05f);
        var per = model.Vision.PixelsPerImage;
        var pixels = new float[batch * per];
        var tokens = new int[batch * _context];
        var chosen = new List<ImageData>(batch);
        var order = new int[images.Count];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var rng = new Random(seed);
        rng.Shuffle(order);
        var cursor = 0;
        var losses = new float[steps];
        var started = DateTime.UtcNow;
        for (var step = 0; step < steps; step++)
        {
            if (cursor + batch > order.Length)
            {
                rng.Shuffle(order);
                cursor = 0;
            }

            chosen.Clear();
            for (var b = 0; b < batch; b++)
            {
                var index = order[cursor + b];
                chosen.Add(images[index]);
                Tokenize(captions[index], tokens.AsSpan(b * _context, _context));
            }

            cursor += batch;
            model.Preprocessor.PreprocessBatch(chosen, pixels);
            model.ZeroGrad();
            var loss = model.ForwardLoss(pixels, tokens, batch);
            model.Backward();
            GradientClipping.ClipGlobalNorm(parameters, 1f);
            optimizer.LearningRate = schedule.At(step);
            optimizer.Step();
            losses[step] = loss;
            if (progress is not null)
            {
                var elapsed = DateTime.UtcNow - started;
                var remaining = TimeSpan.FromTicks(elapsed.Ticks / (step + 1) * (steps - step - 1));
                progress.Report(new TrainingProgress("clip", step + 1, steps, 0, loss, (step + 1) * batch / Math.Max(elapsed.TotalSeconds, 1e-9), remaining));
            }
        }

        model.Eval();
        return losses;
    }

    /// <inheritdoc />
    public EmbeddingMatrix EncodeTexts(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var chunk = Model.EncodeBatchSize;
        var result = new EmbeddingMatrix(texts.Count, Dimension);
        if (_ids.Length < chunk * _context)
        {
            _ids = new int[chunk * _context];
        }

        for (var start = 0; start < texts.Count; start += chunk)
        {
            var count = Math.Min(chunk, texts.Count - start);
            for (var i = 0; i < count; i++)
            {
                var text = texts[start + i] ?? throw new ArgumentException($"Text {start + i} is null.", nameof(texts));
                Tokenize(text, _ids.AsSpan(i * _context, _context));
            }

            Model.EncodeTokens(_ids.AsSpan(0, count * _context), count).Span.CopyTo(result.Span.Slice(start * Dimension));
        }

        return result;
    }

    /// <inheritdoc />
    public EmbeddingMatrix EncodeImages(IReadOnlyList<ImageData> images) => Model.EncodeImages(images);
}
