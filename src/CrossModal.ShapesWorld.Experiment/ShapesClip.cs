using System;
using System.Collections.Generic;
using CrossModal.Abstractions;
using CrossModal.Models.Clip;
using System.Threading;
using CrossModal.Tensors;
using CrossModal.Text;
using CrossModal.Training.Adversarial;
using CrossModal.Training.Contrastive;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>
/// The ShapesWorld CLIP: a small <see cref="ClipModel"/> (by default a small convolutional image tower over the 32×32
/// photos, <see cref="ClipConvVisionEncoder"/>, and a small text transformer) trained from scratch with CLIP's symmetric contrastive loss on the world's web pairs — the "connect" step of
/// C3 (Zhang et al., ICLR 2024). Texts use a word-level vocabulary (<see cref="WordTokenizer"/>) built from the
/// world's captions, followed by an end-of-text id larger than every word id, because <see cref="ClipTextEncoder"/>
/// pools at the argmax of the ids as OpenAI's CLIP does.
/// </summary>
public sealed class ShapesClip : ITextEncoder, IImageEncoder, ICaptionEmbedder
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

    /// <summary>Pairs per hard-negative group in <see cref="Train"/>'s input: consecutive groups of this many pairs
    /// always share a batch (<see cref="ClipContrastiveTrainerOptions.GroupSize"/>).</summary>
    /// <value>1 (no groups).</value>
    public int GroupSize { get; set; } = 1;

    /// <summary>Weight of each hard-negative group's own contrastive loss beside the batch's in <see cref="Train"/>
    /// (<see cref="ClipContrastiveTrainerOptions.GroupLossWeight"/>); used when <see cref="GroupSize"/> &gt; 1.</summary>
    /// <value>0 (CLIP's loss).</value>
    public float GroupLossWeight { get; set; }

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
    /// <param name="options">Experiment options (image tower, widths, layers, patch size, D).</param>
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
                Tower = options.ClipTower,
                ConvLayers = options.ClipConvLayers,
                ConvGlobalMaxPool = options.ClipConvGlobalMaxPool,
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

    /// <summary>Trains the model contrastively on (photo, caption) pairs with <see cref="ClipContrastiveTrainer"/>: one step
    /// draws a random batch without replacement within an epoch; AdamW (weight decay 0.1 except τ), linear warm-up for
    /// 5 % of the steps, cosine decay to 5 % of the peak, gradient clipping at 1; τ held at <see cref="FixedLogitScale"/> when set.</summary>
    /// <param name="images">The photos.</param>
    /// <param name="captions">Their captions; row i describes image i.</param>
    /// <param name="steps">Optimiser steps.</param>
    /// <param name="batch">Pairs per step.</param>
    /// <param name="learningRate">Peak learning rate.</param>
    /// <param name="seed">Shuffling seed.</param>
    /// <param name="progress">Receives a report after every step, or null.</param>
    /// <param name="cancellationToken">Stops the training at a step boundary.</param>
    /// <returns>The loss of every step taken.</returns>
    public float[] Train(IReadOnlyList<ImageData> images, IReadOnlyList<string> captions, int steps, int batch, float learningRate, int seed,
                         IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var trainer = new ClipContrastiveTrainer(Model, new ClipContrastiveTrainerOptions
        {
            Steps = steps,
            BatchSize = batch,
            LearningRate = learningRate,
            WeightDecay = 0.1f,
            WarmupFraction = 0.05,
            FinalLearningRateFraction = 0.05f,
            MaxGradientNorm = 1f,
            FixedLogitScale = FixedLogitScale,
            GroupSize = GroupSize,
            GroupLossWeight = GroupSize > 1 ? GroupLossWeight : 0f,
            Seed = seed,
        });
        var result = trainer.Train(images, captions, Tokenize, progress, cancellationToken);
        return [.. result.StepLosses];
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

    /// <summary>Embeds captions given as ids of <see cref="Tokenizer"/> (the vocabulary the world's captioners write
    /// in) without making strings: the ids other than padding, start and end of text, then this CLIP's end-of-text id
    /// — the same ids <see cref="EncodeTexts"/> gives the decoded caption, written into reused buffers, so the
    /// adversarial trainer's CLIP reward allocates nothing per step.</summary>
    /// <param name="captions">The captions.</param>
    /// <param name="destination">(S, D) overwritten.</param>
    public void Embed(RewardBatch captions, EmbeddingMatrix destination)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Rows != captions.Count || destination.Dimension != Dimension)
        {
            throw new ArgumentException($"destination is ({destination.Rows}, {destination.Dimension}); expected ({captions.Count}, {Dimension}).", nameof(destination));
        }

        var chunk = Model.EncodeBatchSize;
        if (_ids.Length < chunk * _context)
        {
            _ids = new int[chunk * _context];
        }

        for (var start = 0; start < captions.Count; start += chunk)
        {
            var count = Math.Min(chunk, captions.Count - start);
            for (var i = 0; i < count; i++)
            {
                var row = _ids.AsSpan(i * _context, _context);
                row.Clear();
                var n = 0;
                foreach (var id in captions.Caption(start + i))
                {
                    if (id == Tokenizer.PaddingId || id == Tokenizer.StartOfTextId || id == Tokenizer.EndOfTextId)
                    {
                        continue;
                    }

                    if (n == _context - 1)
                    {
                        break;
                    }

                    row[n++] = id;
                }

                row[n] = EndOfTextId;
            }

            Model.EncodeTokens(_ids.AsSpan(0, count * _context), count, destination.Span.Slice(start * Dimension, count * Dimension));
        }
    }

    /// <inheritdoc />
    public EmbeddingMatrix EncodeImages(IReadOnlyList<ImageData> images) => Model.EncodeImages(images);
}
