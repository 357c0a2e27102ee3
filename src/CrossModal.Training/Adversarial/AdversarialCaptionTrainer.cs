using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Models.Adversarial;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;

namespace CrossModal.Training.Adversarial;

/// <summary>What one generator step of <see cref="AdversarialCaptionTrainer"/> measured.</summary>
/// <param name="Step">The step, from 0.</param>
/// <param name="Lambda">λ_t of the CLIP reward.</param>
/// <param name="MeanReward">Mean combined reward of the samples.</param>
/// <param name="MeanAdvantage">Mean r − b.</param>
/// <param name="PolicyLoss">The policy-gradient loss.</param>
/// <param name="DiscriminatorLoss">The discriminator's BCE loss (last discriminator step).</param>
public readonly record struct AdversarialStep(int Step, float Lambda, float MeanReward, float MeanAdvantage, float PolicyLoss, float DiscriminatorLoss);

/// <summary>Wall-clock seconds of the stages of one generator step of <see cref="AdversarialCaptionTrainer"/>.</summary>
/// <param name="Sampling">Drawing the n multinomial samples per image and, with the greedy baseline, decoding the greedy
/// captions in the same KV-cached batch.</param>
/// <param name="CaptionEmbedding">The caption embedder (e.g. the CLIP text encoder) on the samples and greedy captions.</param>
/// <param name="Rewards">The reward functions themselves (the discriminator's forward passes for naturalness included).</param>
/// <param name="Generator">The policy-gradient forward and backward passes, clipping and the AdamW step.</param>
/// <param name="Discriminator">The discriminator's BCE forward and backward passes, clipping and AdamW step(s).</param>
public readonly record struct AdversarialStepTimings(double Sampling, double CaptionEmbedding, double Rewards, double Generator, double Discriminator)
{
    /// <summary>The sum of the stages.</summary>
    public double Total => Sampling + CaptionEmbedding + Rewards + Generator + Discriminator;
}

/// <summary>
/// CgT-GAN's adversarial reinforcement-learning caption trainer (Yu et al., ACM MM 2023): for a batch of training
/// images the generator (a prefix captioner conditioned on image embeddings) samples n captions each; a reward
/// <c>λ_t·CLIP + (1 − λ_t)·naturalness</c> (plus any extra terms) scores them, the greedy caption's reward (or the
/// leave-one-out mean) is the baseline, and the self-critical policy gradient (<see cref="PolicyGradientLoss"/>) updates
/// the generator; then the discriminator takes a BCE step on corpus sentences (real) against the same samples (fake).
/// </summary>
/// <remarks>
/// Samples are drawn with the KV-cached <see cref="CaptionSampler"/>; with <see cref="AdversarialCaptionTrainerOptions.SampleWithDropout"/>
/// (the default) the sample rows run with the generator's dropout, using the masks the policy-gradient pass then draws,
/// and the greedy rows without. Buffers are owned by the trainer and reused, so steady-state steps allocate nothing
/// (see <see cref="Step(EmbeddingMatrix, IReadOnlyList{int[]})"/>).
/// </remarks>
public sealed class AdversarialCaptionTrainer
{
    /// <summary>The <c>format</c> metadata value of a checkpoint written by <see cref="SaveCheckpoint"/>.</summary>
    public const string CheckpointFormat = "crossmodal-adversarial-checkpoint-2";

    private readonly PrefixLanguageModel _generator;
    private readonly Discriminator _discriminator;
    private readonly AdversarialCaptionTrainerOptions _options;
    private readonly int _endOfTextId;
    private readonly IRewardFunction _clipReward;
    private readonly DiscriminatorReward _naturalness;
    private readonly WeightedReward _reward;
    private readonly Func<IReadOnlyList<int[]>, EmbeddingMatrix>? _captionEmbedder;
    private readonly ICaptionEmbedder? _spanEmbedder;
    private readonly Func<int[], string>? _detokenize;
    private readonly PolicyGradientLoss _policyLoss;
    private readonly AdamW _generatorOptimizer;
    private readonly AdamW _discriminatorOptimizer;
    private readonly IReadOnlyList<Parameter> _generatorParameters;
    private readonly IReadOnlyList<Parameter> _discriminatorParameters;
    private readonly CaptionSampler _sampler;
    private readonly StepRandom _rng = new();
    private readonly DecodingOptions _sampling;
    private readonly bool _generatorHasDropout;

    // The step's workspace, sized by EnsureWorkspace and reused while the batch shape stays (grow-only elsewhere):
    // a steady-state step allocates nothing.
    private int _workspaceImages = -1;
    private int _workspaceDimension = -1;
    private int[] _chosen = [];
    private float[] _decodeInput = [];
    private int[] _scoredTokens = [];
    private int[] _scoredLengths = [];
    private int[] _scoredIndices = [];
    private float[] _scores = [];
    private RewardBatch? _scoredBatch;
    private EmbeddingMatrix? _textEmbeddings;
    private float[] _advantages = [];
    private int[] _lengths = [];
    private int[] _policyTokens = [];
    private float[] _discriminatorLogits = [];
    private float[] _labels = [];
    private float[] _dLogitsHost = [];
    private int[] _discriminatorTokens = [];
    private byte[] _discriminatorMask = [];
    private IReadOnlyList<int[]>? _corpusSeen;
    private int _discriminatorTime;
    private Tensor? _embeddings;
    private Tensor? _dLogits;
    private long _embeddingTicks;

    /// <summary>Creates the trainer with a caption embedder that returns a new matrix per call.</summary>
    /// <param name="generator">The captioner, conditioned on the same image embeddings the rewards index.</param>
    /// <param name="discriminator">The discriminator, over the generator's vocabulary.</param>
    /// <param name="clipReward">The CLIP reward (<see cref="ClipAggregateReward"/> or <see cref="ClipCosineReward"/>), weighted by λ_t.</param>
    /// <param name="captionEmbedder">CLIP text embeddings of token sequences (e.g. decode, then the CLIP text encoder);
    /// null when no reward needs them. It receives the captions as new arrays and returns a new matrix every step, so a
    /// step with the CLIP term on allocates; the <see cref="ICaptionEmbedder"/> overload does not.</param>
    /// <param name="endOfTextId">The end token; also the discriminator's start token.</param>
    /// <param name="options">Knobs; validated.</param>
    /// <param name="detokenize">Token sequence → text, for rewards that read text (CIDEr-D); may be null.</param>
    /// <param name="extraRewards">Further weighted terms, e.g. a <see cref="CiderDReward"/>.</param>
    public AdversarialCaptionTrainer(
        PrefixLanguageModel generator, Discriminator discriminator, IRewardFunction clipReward,
        Func<IReadOnlyList<int[]>, EmbeddingMatrix>? captionEmbedder, int endOfTextId, AdversarialCaptionTrainerOptions options,
        Func<int[], string>? detokenize = null, IReadOnlyList<(IRewardFunction Reward, float Weight)>? extraRewards = null)
        : this(generator, discriminator, clipReward, endOfTextId, options, detokenize, extraRewards)
    {
        _captionEmbedder = captionEmbedder;
    }

    /// <summary>Creates the trainer with an embedder that writes into a matrix the trainer owns (no allocation per step).</summary>
    /// <param name="generator">The captioner, conditioned on the same image embeddings the rewards index.</param>
    /// <param name="discriminator">The discriminator, over the generator's vocabulary.</param>
    /// <param name="clipReward">The CLIP reward, weighted by λ_t.</param>
    /// <param name="captionEmbedder">CLIP text embeddings of the captions; null when no reward needs them.</param>
    /// <param name="endOfTextId">The end token; also the discriminator's start token.</param>
    /// <param name="options">Knobs; validated.</param>
    /// <param name="detokenize">Token sequence → text, for rewards that read text (CIDEr-D); may be null (its strings are allocated every step).</param>
    /// <param name="extraRewards">Further weighted terms.</param>
    public AdversarialCaptionTrainer(
        PrefixLanguageModel generator, Discriminator discriminator, IRewardFunction clipReward,
        ICaptionEmbedder? captionEmbedder, int endOfTextId, AdversarialCaptionTrainerOptions options,
        Func<int[], string>? detokenize = null, IReadOnlyList<(IRewardFunction Reward, float Weight)>? extraRewards = null)
        : this(generator, discriminator, clipReward, endOfTextId, options, detokenize, extraRewards)
    {
        if (captionEmbedder is not null)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(captionEmbedder.Dimension, nameof(captionEmbedder));
        }

        _spanEmbedder = captionEmbedder;
    }

    private AdversarialCaptionTrainer(
        PrefixLanguageModel generator, Discriminator discriminator, IRewardFunction clipReward, int endOfTextId,
        AdversarialCaptionTrainerOptions options, Func<int[], string>? detokenize, IReadOnlyList<(IRewardFunction Reward, float Weight)>? extraRewards)
    {
        ArgumentNullException.ThrowIfNull(generator);
        ArgumentNullException.ThrowIfNull(discriminator);
        ArgumentNullException.ThrowIfNull(clipReward);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var vocabulary = generator.Decoder.Options.VocabularySize;
        if (discriminator.Options.VocabularySize != vocabulary)
        {
            throw new ArgumentException($"The discriminator's vocabulary ({discriminator.Options.VocabularySize}) differs from the generator's ({vocabulary}).", nameof(discriminator));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(endOfTextId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(endOfTextId, vocabulary);
        if (options.MaxTokens > generator.MaxCaptionTokens)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.MaxTokens, $"MaxTokens exceeds the {generator.MaxCaptionTokens} caption tokens the decoder's context allows.");
        }

        _generator = generator;
        _discriminator = discriminator;
        _options = options;
        _endOfTextId = endOfTextId;
        _clipReward = clipReward;
        _detokenize = detokenize;

        // Every caption fits MaxTokens + 1 positions with the start token: one discriminator input shape per step.
        _naturalness = new DiscriminatorReward(discriminator, endOfTextId) { PadTo = options.MaxTokens + 1 };
        var terms = new List<(IRewardFunction, float)> { (clipReward, 0f), (_naturalness, 1f) };
        if (extraRewards is not null)
        {
            terms.AddRange(extraRewards);
        }

        _reward = new WeightedReward(terms);
        _policyLoss = new PolicyGradientLoss(generator);
        _generatorParameters = generator.TrainableParameters();
        _discriminatorParameters = discriminator.Parameters();
        _generatorOptimizer = new AdamW(_generatorParameters, new AdamWOptions { LearningRate = options.GeneratorLearningRate, WeightDecay = options.GeneratorWeightDecay });
        _discriminatorOptimizer = new AdamW(_discriminatorParameters, new AdamWOptions { LearningRate = options.DiscriminatorLearningRate, WeightDecay = options.DiscriminatorWeightDecay });
        _sampler = new CaptionSampler(generator);
        _sampling = new DecodingOptions { Strategy = DecodingStrategy.Sample, Temperature = options.Temperature, MaxTokens = options.MaxTokens };
        foreach (var (_, module) in generator.NamedModules())
        {
            _generatorHasDropout |= module is Dropout { Probability: > 0f };
        }
    }

    /// <summary>The combined reward (term 0: CLIP with weight λ_t, term 1: naturalness with 1 − λ_t, then the extra terms).</summary>
    public WeightedReward Reward => _reward;

    /// <summary>How long the stages of the last generator step took (for profiling).</summary>
    public AdversarialStepTimings LastStepTimings { get; private set; }

    /// <summary>Generator steps taken so far.</summary>
    public int StepsDone { get; private set; }

    /// <summary>
    /// Writes the generator, the discriminator, both optimisers' moments and step counts and <see cref="StepsDone"/>
    /// to one safetensors file (atomically: a temporary file renamed), so <see cref="LoadCheckpoint"/> resumes the run
    /// exactly (every step's randomness derives from the seed and the step number).
    /// </summary>
    /// <param name="path">The file to write.</param>
    public void SaveCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        AddModule(tensors, "generator.", _generator);
        AddModule(tensors, "discriminator.", _discriminator);
        AddOptimizer(tensors, "generator_adam.", _generatorOptimizer);
        AddOptimizer(tensors, "discriminator_adam.", _discriminatorOptimizer);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["format"] = CheckpointFormat,
            ["steps_done"] = StepsDone.ToString(CultureInfo.InvariantCulture),
            ["generator_adam_steps"] = _generatorOptimizer.StepCount.ToString(CultureInfo.InvariantCulture),
            ["discriminator_adam_steps"] = _discriminatorOptimizer.StepCount.ToString(CultureInfo.InvariantCulture),
        };
        AddDropoutState(metadata, "generator.", _generator);
        AddDropoutState(metadata, "discriminator.", _discriminator);
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>Restores a checkpoint of <see cref="SaveCheckpoint"/> into this trainer's models and optimisers.</summary>
    /// <param name="path">The checkpoint.</param>
    /// <exception cref="InvalidDataException">The file is not such a checkpoint, or a tensor is missing or has another shape; the message names the file.</exception>
    public void LoadCheckpoint(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var content = SafeTensorsFile.Read(path);
        if (!content.Metadata.TryGetValue("format", out var format) || format != CheckpointFormat)
        {
            throw new InvalidDataException($"{path} is not an adversarial trainer checkpoint (expected format '{CheckpointFormat}').");
        }

        var steps = Count(content, path, "steps_done");
        var generatorSteps = Count(content, path, "generator_adam_steps");
        var discriminatorSteps = Count(content, path, "discriminator_adam_steps");
        LoadModule(content.Tensors, "generator.", _generator, path);
        LoadModule(content.Tensors, "discriminator.", _discriminator, path);
        LoadOptimizer(content.Tensors, "generator_adam.", _generatorOptimizer, path);
        LoadOptimizer(content.Tensors, "discriminator_adam.", _discriminatorOptimizer, path);
        LoadDropoutState(content, "generator.", _generator, path);
        LoadDropoutState(content, "discriminator.", _discriminator, path);
        _generatorOptimizer.StepCount = generatorSteps;
        _discriminatorOptimizer.StepCount = discriminatorSteps;
        StepsDone = steps;
    }

    /// <summary>Runs generator steps until <see cref="StepsDone"/> reaches <see cref="AdversarialCaptionTrainerOptions.Steps"/> (so a resumed run continues where it stopped).</summary>
    /// <param name="images">(M, E) training image embeddings; row i is image index i of the rewards.</param>
    /// <param name="corpus">Real sentences as token sequences (without start or end token), the discriminator's positives.</param>
    /// <param name="progress">Receives each step's measurements.</param>
    /// <param name="cancellationToken">Checked before every step.</param>
    /// <returns>The measurements of every step.</returns>
    public IReadOnlyList<AdversarialStep> Train(EmbeddingMatrix images, IReadOnlyList<int[]> corpus, IProgress<AdversarialStep>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(corpus);
        images.EnsureDimension(_generator.EmbeddingDimension, nameof(images));
        images.EnsureFinite(nameof(images));
        if (images.Rows == 0)
        {
            throw new ArgumentException("There are no training images.", nameof(images));
        }

        if (corpus.Count == 0)
        {
            throw new ArgumentException("The corpus is empty.", nameof(corpus));
        }

        var history = new List<AdversarialStep>(Math.Max(0, _options.Steps - StepsDone));
        while (StepsDone < _options.Steps)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = Step(images, corpus);
            history.Add(result);
            progress?.Report(result);
        }

        return history;
    }

    /// <summary>
    /// Runs one generator step (and its discriminator steps) whatever <see cref="AdversarialCaptionTrainerOptions.Steps"/>
    /// says; <see cref="Train"/> calls it in a loop. After the first steps it allocates nothing on the managed heap when
    /// the caption embedder is an <see cref="ICaptionEmbedder"/> (or no reward needs embeddings) and no reward reads
    /// texts or <see cref="RewardBatch.Tokens"/>.
    /// </summary>
    /// <param name="images">(M, E) training image embeddings; row i is image index i of the rewards.</param>
    /// <param name="corpus">Real sentences as token sequences (without start or end token), the discriminator's positives.</param>
    /// <returns>The step's measurements.</returns>
    public AdversarialStep Step(EmbeddingMatrix images, IReadOnlyList<int[]> corpus)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(corpus);
        images.EnsureDimension(_generator.EmbeddingDimension, nameof(images));
        if (images.Rows == 0)
        {
            throw new ArgumentException("There are no training images.", nameof(images));
        }

        if (corpus.Count == 0)
        {
            throw new ArgumentException("The corpus is empty.", nameof(corpus));
        }

        // Each step's randomness derives from the seed and the step, so a resumed run draws what the whole run would.
        _rng.Reseed(_options.Seed, StepsDone);
        return Step(images, corpus, _rng);
    }

    private AdversarialStep Step(EmbeddingMatrix images, IReadOnlyList<int[]> corpus, Random rng)
    {
        var o = _options;
        var b = Math.Min(o.ImagesPerStep, images.Rows);
        var n = o.SamplesPerImage;
        var s = b * n;
        var greedyBaseline = o.Baseline == PolicyBaseline.Greedy;
        var rows = greedyBaseline ? s + b : s;
        var dimension = images.Dimension;
        var maxTokens = o.MaxTokens;
        var lambda = o.Schedule.Lambda(StepsDone);
        _reward.SetWeight(0, lambda);
        _reward.SetWeight(1, 1f - lambda);
        EnsureWorkspace(b, dimension);
        EnsureDiscriminatorTime(corpus);

        // Decoding input: the S sample rows (image i's row n times), then, with the greedy baseline, the B greedy rows.
        var decodeInput = _decodeInput.AsSpan(0, rows * dimension);
        for (var i = 0; i < b; i++)
        {
            _chosen[i] = rng.Next(images.Rows);
            var row = images.Row(_chosen[i]);
            for (var j = 0; j < n; j++)
            {
                row.CopyTo(decodeInput.Slice(((i * n) + j) * dimension, dimension));
                _scoredIndices[(i * n) + j] = _chosen[i];
            }

            if (greedyBaseline)
            {
                row.CopyTo(decodeInput.Slice((s + i) * dimension, dimension));
                _scoredIndices[s + i] = _chosen[i];
            }
        }

        _embeddingTicks = 0;
        var t0 = Stopwatch.GetTimestamp();

        // The greedy baseline captions are decoded in the samples' batch (one KV-cached pass, without dropout) and all
        // captions are scored in one reward call, so the caption embedder and the discriminator see one batch per step.
        // With SampleWithDropout the sample rows run with the dropout masks the policy-gradient pass below draws.
        _sampler.Decode(decodeInput, rows, _endOfTextId, _sampling, rng, s, o.SampleWithDropout && _generatorHasDropout);
        for (var k = 0; k < rows; k++)
        {
            var caption = _sampler.Caption(k);
            caption.CopyTo(_scoredTokens.AsSpan(k * maxTokens, maxTokens));
            _scoredLengths[k] = caption.Length;
        }

        var t1 = Stopwatch.GetTimestamp();
        var batch = _scoredBatch!;
        batch.CaptionsChanged();
        PrepareBatch(batch);
        var scores = _scores.AsSpan(0, rows);
        _reward.Compute(scores, batch);
        var advantages = _advantages.AsSpan(0, s);
        float meanReward = 0f, meanAdvantage = 0f;
        for (var i = 0; i < b; i++)
        {
            var total = 0f;
            for (var j = 0; j < n; j++)
            {
                total += scores[(i * n) + j];
            }

            for (var j = 0; j < n; j++)
            {
                var k = (i * n) + j;
                var baseline = greedyBaseline ? scores[s + i] : (total - scores[k]) / (n - 1);
                advantages[k] = scores[k] - baseline;
                meanReward += scores[k] / s;
                meanAdvantage += advantages[k] / s;
            }
        }

        var t2 = Stopwatch.GetTimestamp();

        // Generator: re-score the samples (end token included unless cut at the limit) with dropout as configured. The
        // token time is always MaxTokens (padding is ignored by the loss), so the pass has one shape per step and the
        // dropout masks the sampling used line up with this pass's rows.
        var tc = maxTokens;
        var lengths = _lengths.AsSpan(0, s);
        var tokens = _policyTokens.AsSpan(0, s * tc);
        tokens.Fill(_endOfTextId);
        for (var k = 0; k < s; k++)
        {
            var length = _scoredLengths[k];
            _scoredTokens.AsSpan(k * maxTokens, length).CopyTo(tokens.Slice(k * tc, tc));
            lengths[k] = length < maxTokens ? length + 1 : length;
        }

        var embeddings = Reuse(ref _embeddings, _generator.Backend, s, dimension);
        _generator.Backend.Upload(embeddings, decodeInput[..(s * dimension)]);
        _generator.Train();
        _generator.ZeroGrad();
        var policyLoss = _policyLoss.Forward(embeddings, tokens, lengths, advantages, tc);
        _policyLoss.Backward();
        GradientClipping.ClipGlobalNorm(_generatorParameters, o.GradientClip);
        _generatorOptimizer.Step();
        _generator.Backend.Synchronize();
        var t3 = Stopwatch.GetTimestamp();

        // Discriminator: corpus sentences are real, this step's samples fake (they carry no gradient to the generator).
        var discriminatorLoss = 0f;
        for (var d = 0; d < o.DiscriminatorStepsPerGeneratorStep; d++)
        {
            discriminatorLoss = DiscriminatorStep(corpus, s, rng);
        }

        _discriminator.Backend.Synchronize();
        var t4 = Stopwatch.GetTimestamp();
        var f = 1.0 / Stopwatch.Frequency;
        LastStepTimings = new AdversarialStepTimings(
            (t1 - t0) * f, _embeddingTicks * f, (t2 - t1 - _embeddingTicks) * f, (t3 - t2) * f, (t4 - t3) * f);

        StepsDone++;
        return new AdversarialStep(StepsDone - 1, lambda, meanReward, meanAdvantage, policyLoss, discriminatorLoss);
    }

    private float DiscriminatorStep(IReadOnlyList<int[]> corpus, int s, Random rng)
    {
        var time = _discriminatorTime;
        var rows = 2 * s;
        var tokens = _discriminatorTokens.AsSpan(0, rows * time);
        var mask = _discriminatorMask.AsSpan(0, rows * time);
        var labels = _labels.AsSpan(0, rows);
        for (var k = 0; k < s; k++)
        {
            DiscriminatorInput.PackRow(corpus[rng.Next(corpus.Count)], _endOfTextId, tokens.Slice(k * time, time), mask.Slice(k * time, time));
            labels[k] = 1f;
            DiscriminatorInput.PackRow(_scoredTokens.AsSpan(k * _options.MaxTokens, _scoredLengths[k]), _endOfTextId, tokens.Slice((s + k) * time, time), mask.Slice((s + k) * time, time));
            labels[s + k] = 0f;
        }

        _discriminator.Train();
        _discriminator.ZeroGrad();
        var logitsTensor = _discriminator.Forward(tokens, mask, rows, time);
        var logits = _discriminatorLogits.AsSpan(0, rows);
        _discriminator.Backend.Download(logits, logitsTensor);
        var loss = BinaryCrossEntropy.Forward(logits, labels);
        var dLogits = _dLogitsHost.AsSpan(0, rows);
        BinaryCrossEntropy.Backward(dLogits, logits, labels);
        var dTensor = Reuse(ref _dLogits, _discriminator.Backend, rows, 1);
        _discriminator.Backend.Upload(dTensor, dLogits);
        _discriminator.Backward(dTensor);
        GradientClipping.ClipGlobalNorm(_discriminatorParameters, _options.GradientClip);
        _discriminatorOptimizer.Step();
        return loss;
    }

    // Sizes the step's buffers for B images of dimension D (S = B·n samples, plus B greedy rows).
    private void EnsureWorkspace(int b, int dimension)
    {
        if (b == _workspaceImages && dimension == _workspaceDimension)
        {
            return;
        }

        var o = _options;
        var s = b * o.SamplesPerImage;
        var rows = o.Baseline == PolicyBaseline.Greedy ? s + b : s;
        _chosen = new int[b];
        _decodeInput = new float[rows * dimension];
        _scoredTokens = new int[rows * o.MaxTokens];
        _scoredLengths = new int[rows];
        _scoredIndices = new int[rows];
        _scores = new float[rows];
        _scoredBatch = new RewardBatch(_scoredTokens, o.MaxTokens, _scoredLengths, _scoredIndices);
        _textEmbeddings = _spanEmbedder is null ? null : new EmbeddingMatrix(rows, _spanEmbedder.Dimension);
        _advantages = new float[s];
        _lengths = new int[s];
        _policyTokens = new int[s * o.MaxTokens];
        _discriminatorLogits = new float[2 * s];
        _labels = new float[2 * s];
        _dLogitsHost = new float[2 * s];
        _workspaceImages = b;
        _workspaceDimension = dimension;
        _discriminatorTime = 0;
    }

    // The discriminator's step packs to one length for the whole run: the longest corpus sentence or sample, plus the
    // start token, within the context. The corpus is scanned once per list instance (a list changed in place after
    // the first step keeps the length found then; longer sentences are cut to it).
    private void EnsureDiscriminatorTime(IReadOnlyList<int[]> corpus)
    {
        if (ReferenceEquals(corpus, _corpusSeen) && _discriminatorTime > 0)
        {
            return;
        }

        var longest = _options.MaxTokens;
        for (var i = 0; i < corpus.Count; i++)
        {
            longest = Math.Max(longest, corpus[i].Length);
        }

        _discriminatorTime = Math.Min(_discriminator.Options.Context, longest + 1);
        var n = 2 * _scoredLengths.Length * _discriminatorTime;
        if (_discriminatorTokens.Length < n)
        {
            _discriminatorTokens = new int[n];
            _discriminatorMask = new byte[n];
        }

        _corpusSeen = corpus;
    }

    private static void AddModule(Dictionary<string, HostArray> tensors, string prefix, Module module)
    {
        foreach (var (name, p) in module.NamedParameters())
        {
            tensors[prefix + name] = new HostArray(p.Value.Shape.ToArray(), p.Value.ToArray());
        }
    }

    // Dropout masks come from a per-layer counter; saving it lets a resumed run draw the masks the whole run would.
    private static void AddDropoutState(Dictionary<string, string> metadata, string prefix, Module module)
    {
        foreach (var (name, child) in module.NamedModules())
        {
            if (child is Dropout dropout)
            {
                metadata[DropoutKey(prefix, name)] = dropout.Calls.ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    private static void LoadDropoutState(SafeTensorsContent content, string prefix, Module module, string path)
    {
        foreach (var (name, child) in module.NamedModules())
        {
            if (child is Dropout dropout)
            {
                var key = DropoutKey(prefix, name);
                if (!content.Metadata.TryGetValue(key, out var text) || !ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var calls))
                {
                    throw new InvalidDataException($"{path}: the metadata '{key}' (the dropout layer's mask counter) is missing or not a non-negative integer.");
                }

                dropout.Calls = calls;
            }
        }
    }

    private static string DropoutKey(string prefix, string name) => "dropout_calls." + prefix + name;

    private static void AddOptimizer(Dictionary<string, HostArray> tensors, string prefix, AdamW optimizer)
    {
        for (var i = 0; i < optimizer.FirstMoments.Count; i++)
        {
            var m = optimizer.FirstMoments[i];
            var v = optimizer.SecondMoments[i];
            tensors[prefix + "m." + i.ToString(CultureInfo.InvariantCulture)] = new HostArray(m.Shape.ToArray(), m.ToArray());
            tensors[prefix + "v." + i.ToString(CultureInfo.InvariantCulture)] = new HostArray(v.Shape.ToArray(), v.ToArray());
        }
    }

    private static void LoadOptimizer(IReadOnlyDictionary<string, HostArray> tensors, string prefix, AdamW optimizer, string path)
    {
        for (var i = 0; i < optimizer.FirstMoments.Count; i++)
        {
            foreach (var (kind, target) in new[] { ("m.", optimizer.FirstMoments[i]), ("v.", optimizer.SecondMoments[i]) })
            {
                var name = prefix + kind + i.ToString(CultureInfo.InvariantCulture);
                if (!tensors.TryGetValue(name, out var host))
                {
                    throw new InvalidDataException($"{path} has no tensor '{name}'.");
                }

                if (!target.Shape.SequenceEqual(host.Shape))
                {
                    throw new InvalidDataException($"{path}: tensor '{name}' has shape {TensorShape.Format(host.Shape)} but the optimiser expects {TensorShape.Format(target.Shape)}.");
                }

                target.CopyFrom(host.Data);
            }
        }
    }

    private static void LoadModule(IReadOnlyDictionary<string, HostArray> tensors, string prefix, Module module, string path)
    {
        foreach (var (name, _) in module.NamedParameters())
        {
            if (!tensors.ContainsKey(prefix + name))
            {
                throw new InvalidDataException($"{path} has no tensor '{prefix + name}'.");
            }
        }

        ModuleSafeTensors.Load(module, Strip(tensors, prefix), $"{path} ({prefix}*)");
    }

    private static Dictionary<string, HostArray> Strip(IReadOnlyDictionary<string, HostArray> tensors, string prefix)
    {
        var result = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var (key, value) in tensors)
        {
            if (key.StartsWith(prefix, StringComparison.Ordinal))
            {
                result[key[prefix.Length..]] = value;
            }
        }

        return result;
    }

    private static int Count(SafeTensorsContent content, string path, string key)
    {
        if (!content.Metadata.TryGetValue(key, out var text) || !int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            throw new InvalidDataException($"{path}: the metadata '{key}' is missing or not a non-negative integer.");
        }

        return value;
    }

    private static Tensor Reuse(ref Tensor? buffer, IComputeBackend backend, int rows, int columns)
    {
        if (buffer is null || buffer.Dim(0) != rows || buffer.Dim(1) != columns)
        {
            buffer = backend.Allocate(rows, columns);
        }

        return buffer;
    }

    private bool NeedsEmbeddings()
    {
        for (var k = 0; k < _reward.Terms.Count; k++)
        {
            if (k != 1 && _reward.Weight(k) != 0f)
            {
                return true;
            }
        }

        return false;
    }

    // Fills the reused batch's texts and text embeddings for this step's captions.
    private void PrepareBatch(RewardBatch batch)
    {
        string[]? texts = null;
        if (_detokenize is not null)
        {
            // Strings for a reward that reads text (CIDEr-D): the one allocation a step keeps.
            texts = new string[batch.Count];
            for (var i = 0; i < texts.Length; i++)
            {
                texts[i] = _detokenize(batch.Tokens[i]);
            }
        }

        // The embedder (a CLIP text encoder) is the step's costliest reward input: skip it while no weighted term
        // can read it (the CLIP term's λ is 0 during the warm-up and the extra terms are off).
        EmbeddingMatrix? embeddings = null;
        if ((_captionEmbedder is not null || _spanEmbedder is not null) && NeedsEmbeddings())
        {
            var start = Stopwatch.GetTimestamp();
            if (_spanEmbedder is not null)
            {
                embeddings = _textEmbeddings!;
                _spanEmbedder.Embed(batch, embeddings);
            }
            else
            {
                embeddings = _captionEmbedder!(batch.Tokens);
            }

            _embeddingTicks += Stopwatch.GetTimestamp() - start;
        }

        batch.Set(texts, embeddings);
    }
}
