using System;
using System.Collections.Generic;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Text;
using CrossModal.Training.Adversarial;
using Microsoft.Extensions.Options;

namespace CrossModal.DependencyInjection;

/// <summary>Which CLIP reward the adversarial trainers of <see cref="AdversarialTrainerFactory"/> use.</summary>
public enum AdversarialClipReward
{
    /// <summary>CgT-GAN's CLIP-agg (<see cref="ClipAggregateReward"/>): the image aggregated over the corpus's text embeddings.</summary>
    Aggregate,

    /// <summary>CLIP-cos (<see cref="ClipCosineReward"/>): the cosine of image and caption.</summary>
    Cosine,

    /// <summary>No CLIP term: the discriminator's naturalness alone (λ = 0; the CLIP text encoder never runs).</summary>
    None,
}

/// <summary>
/// Options of the CgT-GAN adversarial trainers made by <see cref="AdversarialTrainerFactory"/> (configuration section
/// <c>CrossModal:Adversarial</c>); validated when the host starts.
/// </summary>
public sealed class AdversarialOptions
{
    /// <summary>The trainer's knobs (steps, samples, learning rates, λ_t schedule, dropout while sampling, seed).</summary>
    public AdversarialCaptionTrainerOptions Trainer { get; set; } = new();

    /// <summary>The discriminator's shape; its <see cref="DiscriminatorOptions.VocabularySize"/> is taken from the generator.</summary>
    public DiscriminatorOptions Discriminator { get; set; } = new();

    /// <summary>The CLIP term.</summary>
    /// <value><see cref="AdversarialClipReward.Aggregate"/>.</value>
    public AdversarialClipReward ClipReward { get; set; } = AdversarialClipReward.Aggregate;

    /// <summary>Whether the discriminator's naturalness reward is a term; without it λ = 1 throughout (CLIP alone).</summary>
    /// <value>True.</value>
    public bool Naturalness { get; set; } = true;

    /// <summary>τ of CLIP-agg's softmax over the corpus.</summary>
    /// <value>0.01.</value>
    public float AggregateTemperature { get; set; } = 0.01f;

    /// <summary>w of CLIP-agg: the weight of the cosine against the L1 agreement.</summary>
    /// <value>0.5.</value>
    public float AggregateCosineWeight { get; set; } = 0.5f;

    /// <summary>s, CLIP's logit scale, of both CLIP rewards.</summary>
    /// <value>100.</value>
    public float LogitScale { get; set; } = 100f;

    /// <summary>Every invalid setting as "Name: message" (relative to the section).</summary>
    internal IEnumerable<string> Check()
    {
        if (ModelFactory.Check(() => Trainer.Validate()) is { } trainer)
        {
            yield return "Trainer:" + trainer;
        }

        var shape = JsonSerializer.Deserialize<DiscriminatorOptions>(JsonSerializer.Serialize(Discriminator))!;
        shape.VocabularySize = Math.Max(1, shape.VocabularySize);
        if (ModelFactory.Check(shape.Validate) is { } discriminator)
        {
            yield return "Discriminator:" + discriminator;
        }

        if (!Enum.IsDefined(ClipReward))
        {
            yield return $"ClipReward: '{ClipReward}' is not one of Aggregate, Cosine, None.";
        }

        if (ClipReward == AdversarialClipReward.None && !Naturalness)
        {
            yield return "Naturalness: with ClipReward None the discriminator's naturalness is the only reward, so it cannot be turned off.";
        }

        foreach (var (name, value) in new[] { (nameof(AggregateTemperature), AggregateTemperature), (nameof(LogitScale), LogitScale) })
        {
            if (!(value > 0f) || !float.IsFinite(value))
            {
                yield return $"{name}: expected a positive, finite value; got {value}.";
            }
        }

        if (AggregateCosineWeight is not (>= 0f and <= 1f))
        {
            yield return $"AggregateCosineWeight: expected a weight in [0, 1]; got {AggregateCosineWeight}.";
        }
    }
}

/// <summary>
/// Makes the pieces of CgT-GAN adversarial training on the container's backend with the validated
/// <see cref="CrossModalOptions.Adversarial"/> options: the discriminator, the configured CLIP reward over the training
/// images, a caption embedder through the container's CLIP text encoder, and the trainer itself.
/// </summary>
public sealed class AdversarialTrainerFactory
{
    private readonly IComputeBackend _backend;
    private readonly IOptions<CrossModalOptions> _options;
    private readonly Func<ITextEncoder> _textEncoder;

    internal AdversarialTrainerFactory(IComputeBackend backend, IOptions<CrossModalOptions> options, Func<ITextEncoder> textEncoder)
    {
        _backend = backend;
        _options = options;
        _textEncoder = textEncoder;
    }

    /// <summary>A copy of the configured options (changing it changes nothing in the container).</summary>
    public AdversarialOptions Options => JsonSerializer.Deserialize<AdversarialOptions>(JsonSerializer.Serialize(_options.Value.Adversarial))!;

    /// <summary>A discriminator of the configured shape over <paramref name="vocabularySize"/> tokens, initialised from <paramref name="seed"/>.</summary>
    /// <param name="vocabularySize">The generator's vocabulary.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public Discriminator CreateDiscriminator(int vocabularySize, int seed = 0)
    {
        var options = Options.Discriminator;
        options.VocabularySize = vocabularySize;
        var discriminator = new Discriminator(_backend, options);
        discriminator.ResetParameters(seed);
        return discriminator;
    }

    /// <summary>The configured CLIP reward over the training images (for <see cref="AdversarialClipReward.None"/>, a CLIP-cos term that the schedule never weighs).</summary>
    /// <param name="images">(M, D) CLIP image embeddings of the training images.</param>
    /// <param name="corpusEmbeddings">(N, D) CLIP text embeddings of the corpus; required for <see cref="AdversarialClipReward.Aggregate"/>.</param>
    public IRewardFunction CreateClipReward(EmbeddingMatrix images, EmbeddingMatrix? corpusEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        var o = _options.Value.Adversarial;
        if (o.ClipReward != AdversarialClipReward.Aggregate)
        {
            return new ClipCosineReward(images, o.LogitScale);
        }

        if (corpusEmbeddings is null)
        {
            throw new ArgumentException($"{CrossModalOptions.SectionName}:Adversarial:ClipReward is Aggregate, which needs the corpus's CLIP text embeddings.", nameof(corpusEmbeddings));
        }

        return new ClipAggregateReward(images, corpusEmbeddings, o.AggregateTemperature, o.AggregateCosineWeight, o.LogitScale, _backend);
    }

    /// <summary>
    /// Caption embeddings through the container's CLIP text encoder: the generator's token ids are decoded with
    /// <paramref name="tokenizer"/> and re-encoded as text. It allocates the strings and the encoder's matrix every
    /// step; an <see cref="ICaptionEmbedder"/> over token ids (when the generator shares CLIP's vocabulary) does not.
    /// </summary>
    /// <param name="tokenizer">The generator's tokenizer.</param>
    public ICaptionEmbedder CreateCaptionEmbedder(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new TextEncoderCaptionEmbedder(_textEncoder(), tokenizer);
    }

    /// <summary>
    /// A trainer of <paramref name="generator"/> with a copy of the configured options: a new discriminator, the
    /// configured rewards (and the λ schedule they imply), and caption embeddings through the container's CLIP text
    /// encoder when a CLIP term is on.
    /// </summary>
    /// <param name="generator">The captioner to train (conditioned on <paramref name="images"/>' space, e.g. a C1 captioner).</param>
    /// <param name="tokenizer">The generator's tokenizer (end token, and texts for the CLIP text encoder).</param>
    /// <param name="images">(M, D) CLIP image embeddings of the training images (the rewards' image indices).</param>
    /// <param name="corpusEmbeddings">The corpus's CLIP text embeddings, for CLIP-agg.</param>
    /// <param name="seed">Seed of the discriminator's initial weights.</param>
    /// <param name="adjust">Changes to this trainer's copy of the trainer options, e.g. its step count.</param>
    public AdversarialCaptionTrainer Create(
        PrefixLanguageModel generator, ITokenizer tokenizer, EmbeddingMatrix images, EmbeddingMatrix? corpusEmbeddings = null, int seed = 0,
        Action<AdversarialCaptionTrainerOptions>? adjust = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var configured = Options;
        var trainerOptions = configured.Trainer;
        if (configured.ClipReward == AdversarialClipReward.None)
        {
            trainerOptions.Schedule = new RewardSchedule { WarmupSteps = 0, RampSteps = 0, Final = 0f };
        }
        else if (!configured.Naturalness)
        {
            trainerOptions.Schedule = new RewardSchedule { WarmupSteps = 0, RampSteps = 0, Final = 1f };
        }

        adjust?.Invoke(trainerOptions);
        var discriminator = CreateDiscriminator(generator.Decoder.Options.VocabularySize, seed);
        var clip = CreateClipReward(images, corpusEmbeddings);
        var embedder = configured.ClipReward == AdversarialClipReward.None ? null : CreateCaptionEmbedder(tokenizer);
        return new AdversarialCaptionTrainer(generator, discriminator, clip, embedder, tokenizer.EndOfTextId, trainerOptions);
    }

    private sealed class TextEncoderCaptionEmbedder(ITextEncoder encoder, ITokenizer tokenizer) : ICaptionEmbedder
    {
        public int Dimension => encoder.Dimension;

        public void Embed(RewardBatch captions, EmbeddingMatrix destination)
        {
            var texts = new string[captions.Count];
            for (var i = 0; i < texts.Length; i++)
            {
                texts[i] = tokenizer.Decode(captions.Caption(i));
            }

            encoder.EncodeTexts(texts).Span.CopyTo(destination.Span);
        }
    }
}
