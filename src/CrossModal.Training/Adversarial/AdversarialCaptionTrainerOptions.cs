using System;

namespace CrossModal.Training.Adversarial;

/// <summary>Which baseline b the policy gradient subtracts from a sample's reward r.</summary>
public enum PolicyBaseline
{
    /// <summary>The reward of the image's greedy caption, decoded in evaluation mode (self-critical, Rennie et al. 2017).</summary>
    Greedy,

    /// <summary>The mean reward of the image's other samples (needs at least two samples per image).</summary>
    LeaveOneOut,
}

/// <summary>Knobs of <see cref="AdversarialCaptionTrainer"/>; the defaults are CgT-GAN's (Yu et al., ACM MM 2023, public code).</summary>
public sealed class AdversarialCaptionTrainerOptions
{
    /// <summary>Generator steps.</summary>
    /// <value>1,000.</value>
    public int Steps { get; set; } = 1000;

    /// <summary>Training images per generator step.</summary>
    /// <value>8.</value>
    public int ImagesPerStep { get; set; } = 8;

    /// <summary>n, multinomial samples per image.</summary>
    /// <value>5.</value>
    public int SamplesPerImage { get; set; } = 5;

    /// <summary>Sampling temperature.</summary>
    /// <value>1.</value>
    public float Temperature { get; set; } = 1f;

    /// <summary>Longest sampled caption in tokens, end token included.</summary>
    /// <value>20.</value>
    public int MaxTokens { get; set; } = 20;

    /// <summary>
    /// Sample with the generator's dropout on, as CgT-GAN's code does (it samples with the generator in training mode).
    /// The masks are those the policy-gradient pass then draws, so the log-probabilities it differentiates are those of
    /// the very network each caption was sampled from. The greedy baseline is decoded without dropout either way. Makes
    /// no difference for a generator whose dropout is 0.
    /// </summary>
    /// <value>True.</value>
    public bool SampleWithDropout { get; set; } = true;

    /// <summary>The baseline of the policy gradient.</summary>
    /// <value><see cref="PolicyBaseline.Greedy"/>.</value>
    public PolicyBaseline Baseline { get; set; } = PolicyBaseline.Greedy;

    /// <summary>λ_t, the weight of the CLIP reward against the discriminator's.</summary>
    public RewardSchedule Schedule { get; set; } = new();

    /// <summary>Generator AdamW learning rate.</summary>
    /// <value>1e-5.</value>
    public float GeneratorLearningRate { get; set; } = 1e-5f;

    /// <summary>Generator AdamW decoupled weight decay (matrices only).</summary>
    /// <value>0.01.</value>
    public float GeneratorWeightDecay { get; set; } = 0.01f;

    /// <summary>Discriminator AdamW learning rate.</summary>
    /// <value>1e-5.</value>
    public float DiscriminatorLearningRate { get; set; } = 1e-5f;

    /// <summary>Discriminator AdamW decoupled weight decay (none on biases and LayerNorms).</summary>
    /// <value>0.05.</value>
    public float DiscriminatorWeightDecay { get; set; } = 0.05f;

    /// <summary>Discriminator steps per generator step.</summary>
    /// <value>1.</value>
    public int DiscriminatorStepsPerGeneratorStep { get; set; } = 1;

    /// <summary>Global gradient-norm clip of both networks.</summary>
    /// <value>1.</value>
    public float GradientClip { get; set; } = 1f;

    /// <summary>Seed of image order, sampling and corpus batches.</summary>
    /// <value>0.</value>
    public int Seed { get; set; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(Steps, nameof(Steps));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ImagesPerStep, nameof(ImagesPerStep));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(SamplesPerImage, nameof(SamplesPerImage));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTokens, nameof(MaxTokens));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DiscriminatorStepsPerGeneratorStep, nameof(DiscriminatorStepsPerGeneratorStep));
        Positive(Temperature, nameof(Temperature));
        Positive(GeneratorLearningRate, nameof(GeneratorLearningRate));
        Positive(DiscriminatorLearningRate, nameof(DiscriminatorLearningRate));
        Positive(GradientClip, nameof(GradientClip));
        NonNegative(GeneratorWeightDecay, nameof(GeneratorWeightDecay));
        NonNegative(DiscriminatorWeightDecay, nameof(DiscriminatorWeightDecay));
        if (Baseline == PolicyBaseline.LeaveOneOut && SamplesPerImage < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(SamplesPerImage), SamplesPerImage, "A leave-one-out baseline needs at least two samples per image.");
        }

        if (!Enum.IsDefined(Baseline))
        {
            throw new ArgumentOutOfRangeException(nameof(Baseline), Baseline, "Unknown baseline.");
        }

        ArgumentNullException.ThrowIfNull(Schedule, nameof(Schedule));
        Schedule.Validate();
    }

    private static void Positive(float value, string name)
    {
        if (!(value > 0f) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "Expected a positive, finite value.");
        }
    }

    private static void NonNegative(float value, string name)
    {
        if (!(value >= 0f) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "Expected a non-negative, finite value.");
        }
    }
}
