using System;

namespace CrossModal.Training.Contrastive;

/// <summary>Options of <see cref="ClipContrastiveTrainer"/>: CLIP's recipe (Radford et al., 2021, §2.5) scaled down —
/// AdamW with decoupled weight decay on matrices only, linear warm-up then cosine decay, global-norm gradient clipping.</summary>
public sealed class ClipContrastiveTrainerOptions
{
    /// <summary>Optimiser steps.</summary>
    /// <value>1000.</value>
    public int Steps { get; set; } = 1000;

    /// <summary>Pairs per step; every other pair of the batch is a negative. Capped at the number of pairs.</summary>
    /// <value>128.</value>
    public int BatchSize { get; set; } = 128;

    /// <summary>Peak learning rate.</summary>
    /// <value>2e-3.</value>
    public float LearningRate { get; set; } = 2e-3f;

    /// <summary>Fraction of <see cref="Steps"/> spent warming up linearly from 0.</summary>
    /// <value>0.05.</value>
    public double WarmupFraction { get; set; } = 0.05;

    /// <summary>The cosine decay ends at this fraction of the peak rate.</summary>
    /// <value>0.05.</value>
    public float FinalLearningRateFraction { get; set; } = 0.05f;

    /// <summary>Decoupled weight decay of matrices and kernels (biases, norms and τ are not decayed).</summary>
    /// <value>0.1.</value>
    public float WeightDecay { get; set; } = 0.1f;

    /// <summary>Clip the global gradient norm to this; 0 disables clipping.</summary>
    /// <value>1.</value>
    public float MaxGradientNorm { get; set; } = 1f;

    /// <summary>When set, the logit scale 1/τ is held at this value instead of learned (OpenAI's CLIP ends training
    /// clamped at 100). Null: learned from the model's current τ.</summary>
    /// <value>Null.</value>
    public float? FixedLogitScale { get; set; }

    /// <summary>Seed of the pair order: epoch e visits the pairs in a permutation drawn from (seed, e), so a resumed
    /// run sees exactly the batches the uninterrupted run would have.</summary>
    /// <value>0.</value>
    public int Seed { get; set; }

    /// <summary>Pairs come in consecutive groups of this many (pairs 0 … g − 1, g … 2g − 1, …) that always share a
    /// batch: the epoch's permutation shuffles whole groups. Groups of a pair and its hard negatives (the same scene
    /// changed in one property) make the batch's only cue the changed property. The batch size and the number of
    /// pairs must be multiples of it.</summary>
    /// <value>1 (every pair on its own).</value>
    public int GroupSize { get; set; } = 1;

    /// <summary>Weight of each group's own contrastive loss, added to the batch's (see
    /// <see cref="CrossModal.Models.Clip.ClipModel.ForwardLoss(System.ReadOnlySpan{float}, System.ReadOnlySpan{int}, int, int, float)"/>):
    /// in a batch of B pairs a group's G − 1 hard negatives are a small share of the B − 1 negatives, and once the
    /// easy ones are told apart the group's own softmax gives the fine distinctions a gradient of their own. Needs
    /// <see cref="GroupSize"/> &gt; 1 when positive.</summary>
    /// <value>0 (CLIP's loss).</value>
    public float GroupLossWeight { get; set; }

    /// <summary>Where to write the training checkpoint (model, optimiser moments, step; safetensors, written
    /// atomically), or null for none.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>Write the checkpoint every this many steps (0: only when cancelled or finished).</summary>
    /// <value>0.</value>
    public int CheckpointEverySteps { get; set; }

    /// <summary>Continue from <see cref="CheckpointPath"/> when that file exists (it must come from a run with the
    /// same model shape, pairs, batch size, steps and seed).</summary>
    /// <value>False.</value>
    public bool Resume { get; set; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Steps, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 2, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfNegative(CheckpointEverySteps, nameof(CheckpointEverySteps));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(GroupSize, nameof(GroupSize));
        if (BatchSize % GroupSize != 0)
        {
            throw new ArgumentException($"BatchSize {BatchSize} must be a multiple of GroupSize {GroupSize}.", nameof(BatchSize));
        }

        if (!(GroupLossWeight >= 0f) || !float.IsFinite(GroupLossWeight))
        {
            throw new ArgumentOutOfRangeException(nameof(GroupLossWeight), GroupLossWeight, "Expected a finite weight ≥ 0.");
        }

        if (GroupLossWeight > 0f && GroupSize == 1)
        {
            throw new ArgumentException($"GroupLossWeight {GroupLossWeight} needs pairs in groups (GroupSize > 1); with groups of one the group term is 0.", nameof(GroupLossWeight));
        }

        if (!(LearningRate > 0f) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "Expected a positive learning rate.");
        }

        if (!(WarmupFraction >= 0 && WarmupFraction < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(WarmupFraction), WarmupFraction, "Expected a fraction in [0, 1).");
        }

        if (!(FinalLearningRateFraction >= 0f && FinalLearningRateFraction <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(FinalLearningRateFraction), FinalLearningRateFraction, "Expected a fraction in [0, 1].");
        }

        if (!(WeightDecay >= 0f) || !float.IsFinite(WeightDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), WeightDecay, "Expected a weight decay ≥ 0.");
        }

        if (!(MaxGradientNorm >= 0f) || !float.IsFinite(MaxGradientNorm))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxGradientNorm), MaxGradientNorm, "Expected a gradient clip ≥ 0.");
        }

        if (FixedLogitScale is { } scale && !(scale is > 0f and <= 1000f))
        {
            throw new ArgumentOutOfRangeException(nameof(FixedLogitScale), scale, "Expected a logit scale in (0, 1000] or null.");
        }

        if (Resume && string.IsNullOrEmpty(CheckpointPath))
        {
            throw new ArgumentException("Resume needs a CheckpointPath.", nameof(Resume));
        }
    }
}
