using System;
using System.Text.Json.Serialization;

namespace CrossModal.Training.Captioning;

/// <summary>What a caption's embedding is during training.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<CaptionSupervision>))]
public enum CaptionSupervision
{
    /// <summary>The caption's own text embedding, through the bridge's training transform (CapDec, C3, DeCap): the
    /// method of this library, captioning images without ever seeing one paired with a caption.</summary>
    TextOnly,

    /// <summary>The embedding of the image the caption describes, used as it is without the bridge's training transform:
    /// the supervised upper bound of experiments.</summary>
    Paired,
}

/// <summary>
/// Hyper-parameters of <see cref="CaptionTrainer"/>. The defaults suit a small decoder trained from scratch
/// on a CPU (DeCap-style); for a pretrained GPT-2 use the papers' settings: <see cref="LearningRate"/> 2e-5,
/// <see cref="BatchSize"/> 40, <see cref="Epochs"/> 10 (ClipCap, CapDec, C3), e.g. via <see cref="PretrainedGpt2"/>.
/// </summary>
public sealed class CaptionTrainerOptions
{
    /// <summary>Passes over the training captions.</summary>
    /// <value>10.</value>
    public int Epochs { get; set; } = 10;

    /// <summary>Captions per optimiser step. Every step has exactly this many rows (the last batch of an epoch is padded with unscored rows), so buffers never change shape.</summary>
    /// <value>40 (ClipCap, CapDec).</value>
    public int BatchSize { get; set; } = 40;

    /// <summary>Peak learning rate of AdamW.</summary>
    /// <value>1e-3 for small from-scratch decoders (2e-5 is the papers' value for a pretrained GPT-2).</value>
    public float LearningRate { get; set; } = 1e-3f;

    /// <summary>Linear warm-up steps before the linear decay to zero (ClipCap: 5,000 steps on COCO).</summary>
    /// <value>50.</value>
    public int WarmupSteps { get; set; } = 50;

    /// <summary>Decoupled weight decay of AdamW (matrices only).</summary>
    /// <value>0.01 (PyTorch's AdamW default, as ClipCap).</value>
    public float WeightDecay { get; set; } = 0.01f;

    /// <summary>Global gradient-norm clip; 0 disables.</summary>
    /// <value>1.</value>
    public float MaxGradientNorm { get; set; } = 1f;

    /// <summary>Label smoothing ε of the cross-entropy.</summary>
    /// <value>0.</value>
    public float LabelSmoothing { get; set; }

    /// <summary>Whether to batch captions of similar length together: each epoch's shuffled order is cut into runs of
    /// 50 batches, each run is sorted by caption length and cut into batches, and the batches are taken in a shuffled
    /// order (as Hugging Face's <c>group_by_length</c> does). Every step then runs at its own batch's longest caption
    /// instead of the longest of the whole set, so far fewer padded positions are computed; a caption's loss is the same
    /// (the decoder is causal and padding is never scored), but which captions share a step changes.</summary>
    /// <value>false.</value>
    public bool GroupByLength { get; set; }

    /// <summary>Longest caption in tokens (end token included); longer captions are truncated. 0 uses the longest caption, limited by the decoder's context.</summary>
    /// <value>0.</value>
    public int MaxCaptionTokens { get; set; }

    /// <summary>Fraction of the captions held out for the validation loss (when no validation set is given).</summary>
    /// <value>0.1.</value>
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>Stop after this many epochs without a better validation loss; 0 never stops early.</summary>
    /// <value>3.</value>
    public int EarlyStoppingPatience { get; set; } = 3;

    /// <summary>Seed of shuffling, noise and initialisation; the same seed gives the same run.</summary>
    /// <value>0.</value>
    public int Seed { get; set; }

    /// <summary>Where to keep the resumable checkpoint (written at every epoch end, every <see cref="CheckpointEverySteps"/> steps and on cancellation), or null.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Also write the resumable checkpoint every this many steps; 0 only at epoch ends and on cancellation.</summary>
    /// <value>0.</value>
    public int CheckpointEverySteps { get; set; }

    /// <summary>Where to keep the model with the best validation loss, or null.</summary>
    public string? BestModelPath { get; set; }

    /// <summary>Whether the embeddings given with the captions are their text embeddings (bridged for training) or the
    /// embeddings of paired images (used as they are).</summary>
    /// <value><see cref="CaptionSupervision.TextOnly"/>.</value>
    public CaptionSupervision Supervision { get; set; }

    /// <summary>The papers' settings for fine-tuning a pretrained GPT-2: lr 2e-5, batch 40, 10 epochs, 5,000 warm-up steps.</summary>
    public static CaptionTrainerOptions PretrainedGpt2 => new() { LearningRate = 2e-5f, BatchSize = 40, Epochs = 10, WarmupSteps = 5000 };

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Epochs, nameof(Epochs));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(WarmupSteps, nameof(WarmupSteps));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxCaptionTokens, nameof(MaxCaptionTokens));
        ArgumentOutOfRangeException.ThrowIfNegative(EarlyStoppingPatience, nameof(EarlyStoppingPatience));
        ArgumentOutOfRangeException.ThrowIfNegative(CheckpointEverySteps, nameof(CheckpointEverySteps));
        if (!Enum.IsDefined(Supervision))
        {
            throw new ArgumentOutOfRangeException(nameof(Supervision), Supervision, "Expected TextOnly or Paired.");
        }
        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Expected a positive learning rate.");
        }

        if (!(WeightDecay >= 0f) || !(MaxGradientNorm >= 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), "Weight decay and the gradient clip must be zero or positive.");
        }

        if (!(LabelSmoothing >= 0f && LabelSmoothing < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "Expected label smoothing in [0, 1).");
        }

        if (!(ValidationFraction >= 0 && ValidationFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(ValidationFraction), ValidationFraction, "Expected a fraction in [0, 1).");
        }
    }
}
