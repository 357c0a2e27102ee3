using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.Optim;
using CrossModal.Text;

namespace CrossModal.Training.Captioning;

/// <summary>What one training call of <see cref="CaptionTrainer"/> did.</summary>
public sealed class CaptionTrainingResult
{
    /// <summary>The training loss of every optimiser step run by this call, in order.</summary>
    public required IReadOnlyList<float> StepLosses { get; init; }

    /// <summary>The validation loss after each epoch finished by this call (empty without validation data).</summary>
    public required IReadOnlyList<double> ValidationLosses { get; init; }

    /// <summary>Optimiser steps done in total (including those before a resume).</summary>
    public long Steps { get; init; }

    /// <summary>Whether the cancellation token stopped the run (at a step boundary, after writing the checkpoint).</summary>
    public bool Cancelled { get; init; }

    /// <summary>Whether early stopping ended the run.</summary>
    public bool StoppedEarly { get; init; }

    /// <summary>Scored caption tokens per second over this call's steps.</summary>
    public double TokensPerSecond { get; init; }

    /// <summary>Best validation loss seen (NaN without validation data).</summary>
    public double BestValidationLoss { get; init; }
}

/// <summary>
/// Trains a <see cref="PrefixLanguageModel"/> to write captions from embeddings: by default from their own text
/// embeddings (<see cref="CaptionSupervision.TextOnly"/>: CapDec, C3, DeCap's text-only recipe), or from paired image
/// embeddings (<see cref="CaptionSupervision.Paired"/>, the supervised upper bound). In text-only training each caption's embedding goes through the bridge's <see cref="IModalityBridge.TransformForTraining"/>,
/// the mapper and the decoder, which predicts the caption by teacher forcing. The loss is the cross-entropy on caption
/// tokens and the end token only: prefix positions and padding are excluded by the ignore index −100, never by token
/// id, so a real token that happens to equal the padding id (GPT-2 pads with its end token) is still scored — unlike C3's
/// code, which masks "!" this way. AdamW with linear warm-up and decay, global-norm clipping, a validation loss per
/// epoch, early stopping, best-model and resumable checkpoints.
/// </summary>
/// <remarks>
/// Randomness derives from <see cref="CaptionTrainerOptions.Seed"/> and the epoch alone (the validation split,
/// each epoch's shuffle and bridge noise), and the optimiser moments travel in the checkpoint, so a run resumed from a
/// checkpoint takes exactly the steps and losses of an uninterrupted run. Every step has the same shapes (fixed batch,
/// fixed padded length) and reuses its buffers: a step in steady state allocates nothing. The bridge transform runs
/// once per epoch over the whole training set, so noise differs between epochs as in CapDec.
/// </remarks>
public sealed class CaptionTrainer
{
    private const int IgnoreIndex = -100;
    private readonly CaptionerCheckpoint? _resume;

    /// <summary>Creates a trainer for a model whose parameters are already initialised (or loaded).</summary>
    /// <param name="model">The model (its <see cref="PrefixLanguageModel.Options"/> are saved in checkpoints).</param>
    /// <param name="tokenizer">The tokenizer for the captions; its ids must fit the decoder's vocabulary. When the options
    /// name a checkpoint or best-model path it must be one a checkpoint can rebuild (<see cref="TokenizerRegistry.Export"/>).</param>
    /// <exception cref="ArgumentException">The tokenizer does not fit the decoder, or cannot be stored in the checkpoints the options ask for.</exception>
    /// <param name="bridge">A fitted bridge, or null to train on the embeddings as given.</param>
    /// <param name="options">Hyper-parameters.</param>
    public CaptionTrainer(PrefixLanguageModel model, ITokenizer tokenizer, IModalityBridge? bridge, CaptionTrainerOptions options)
        : this(model, tokenizer, bridge, options, null)
    {
    }

    private CaptionTrainer(PrefixLanguageModel model, ITokenizer tokenizer, IModalityBridge? bridge, CaptionTrainerOptions options, CaptionerCheckpoint? resume)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (tokenizer.VocabularySize > model.Decoder.Options.VocabularySize)
        {
            throw new ArgumentException($"The tokenizer has {tokenizer.VocabularySize} ids but the decoder's vocabulary is {model.Decoder.Options.VocabularySize}.", nameof(tokenizer));
        }

        if (bridge is not null && !bridge.IsFitted)
        {
            throw new ArgumentException($"The bridge '{bridge.Name}' is not fitted; call Fit first.", nameof(bridge));
        }

        if (options.CheckpointPath is not null || options.BestModelPath is not null)
        {
            // Refuse now, not at the first save after hours of training, a tokenizer no checkpoint could rebuild.
            TokenizerRegistry.Export(tokenizer);
        }

        Model = model;
        Tokenizer = tokenizer;
        Bridge = bridge;
        Options = options;
        _resume = resume;
    }

    /// <summary>The model being trained.</summary>
    public PrefixLanguageModel Model { get; }

    /// <summary>The tokenizer.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The bridge, or null.</summary>
    public IModalityBridge? Bridge { get; }

    /// <summary>The hyper-parameters.</summary>
    public CaptionTrainerOptions Options { get; }

    /// <summary>A trainer that continues the run saved in <paramref name="checkpoint"/> (model, optimiser, position, best loss).</summary>
    /// <param name="checkpoint">A checkpoint written by a trainer (<see cref="CaptionTrainerOptions.CheckpointPath"/>).</param>
    /// <param name="options">The same options as the interrupted run (paths may differ).</param>
    public static CaptionTrainer Resume(CaptionerCheckpoint checkpoint, CaptionTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        return new CaptionTrainer(checkpoint.Model, checkpoint.Tokenizer, checkpoint.Bridge, options, checkpoint);
    }

    /// <summary>
    /// Embeds <paramref name="captions"/> with <paramref name="textEncoder"/> (e.g. a CLIP text encoder) and trains on
    /// them, holding out <see cref="CaptionTrainerOptions.ValidationFraction"/> for validation.
    /// </summary>
    /// <param name="captions">The captions.</param>
    /// <param name="textEncoder">Embeds each caption; its dimension must be the model's embedding dimension.</param>
    /// <param name="progress">Receives a report after every step, or null.</param>
    /// <param name="cancellationToken">Stops the run at the next step boundary, after writing the checkpoint.</param>
    public CaptionTrainingResult Train(IReadOnlyList<string> captions, ITextEncoder textEncoder, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(textEncoder);
        var embeddings = textEncoder.EncodeTexts(captions);
        if (embeddings.Rows != captions.Count)
        {
            throw new InvalidOperationException($"The text encoder returned {embeddings.Rows} embeddings for {captions.Count} captions.");
        }

        return Train(captions, embeddings, progress, cancellationToken);
    }

    /// <summary>Trains on <paramref name="captions"/>, holding out <see cref="CaptionTrainerOptions.ValidationFraction"/> for validation.</summary>
    /// <param name="captions">The captions.</param>
    /// <param name="embeddings">Row i embeds caption i (text embeddings; image embeddings in paired mode).</param>
    /// <param name="progress">Receives a report after every step, or null.</param>
    /// <param name="cancellationToken">Stops the run at the next step boundary, after writing the checkpoint.</param>
    public CaptionTrainingResult Train(IReadOnlyList<string> captions, EmbeddingMatrix embeddings, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(embeddings);
        if (captions.Count != embeddings.Rows)
        {
            throw new ArgumentException($"There are {captions.Count} captions but {embeddings.Rows} embeddings; row i must embed caption i.", nameof(embeddings));
        }

        var order = Permutation(captions.Count, new Random(Mix(Options.Seed, -1)));
        var validationCount = captions.Count < 2 ? 0 : (int)Math.Floor(captions.Count * Options.ValidationFraction);
        var train = new List<int>(order[validationCount..]);
        var validation = new List<int>(order[..validationCount]);
        train.Sort();
        validation.Sort();
        return Train(Select(captions, train), Rows(embeddings, train)!, Select(captions, validation), Rows(embeddings, validation), progress, cancellationToken);
    }

    /// <summary>Trains on <paramref name="captions"/> with an explicit validation set.</summary>
    /// <param name="captions">The training captions.</param>
    /// <param name="embeddings">Row i embeds caption i.</param>
    /// <param name="validationCaptions">Validation captions (may be empty).</param>
    /// <param name="validationEmbeddings">Their embeddings, or null when there are none.</param>
    /// <param name="progress">Receives a report after every step, or null.</param>
    /// <param name="cancellationToken">Stops the run at the next step boundary, after writing the checkpoint.</param>
    public CaptionTrainingResult Train(
        IReadOnlyList<string> captions, EmbeddingMatrix embeddings, IReadOnlyList<string> validationCaptions, EmbeddingMatrix? validationEmbeddings,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(embeddings);
        ArgumentNullException.ThrowIfNull(validationCaptions);
        if (captions.Count == 0 || captions.Count != embeddings.Rows)
        {
            throw new ArgumentException($"Expected one embedding per caption and at least one caption; got {captions.Count} captions and {embeddings.Rows} embeddings.", nameof(embeddings));
        }

        if (validationCaptions.Count != (validationEmbeddings?.Rows ?? 0))
        {
            throw new ArgumentException($"There are {validationCaptions.Count} validation captions but {validationEmbeddings?.Rows ?? 0} validation embeddings.", nameof(validationEmbeddings));
        }

        embeddings.EnsureDimension(Model.EmbeddingDimension, nameof(embeddings));
        embeddings.EnsureFinite(nameof(embeddings));
        validationEmbeddings?.EnsureDimension(Model.EmbeddingDimension, nameof(validationEmbeddings));
        validationEmbeddings?.EnsureFinite(nameof(validationEmbeddings));

        var trainTokens = Encode(captions);
        var validationTokens = Encode(validationCaptions);
        var tc = CaptionLength(trainTokens, validationTokens);
        var run = new Run(this, tc);
        return run.Execute(trainTokens, embeddings, validationTokens, validationEmbeddings, progress, cancellationToken);
    }

    private int[][] Encode(IReadOnlyList<string> captions)
    {
        var result = new int[captions.Count][];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = Tokenizer.Encode(captions[i] ?? throw new ArgumentException($"Caption {i} is null.", nameof(captions)));
        }

        return result;
    }

    private int CaptionLength(int[][] train, int[][] validation)
    {
        var limit = Model.MaxCaptionTokens;
        if (Options.MaxCaptionTokens > 0)
        {
            return Math.Min(Options.MaxCaptionTokens, limit);
        }

        // Tc input slots hold the longest caption; its end token is then the target of the last position (k − 1 + n).
        var longest = 1;
        foreach (var ids in train)
        {
            longest = Math.Max(longest, ids.Length);
        }

        foreach (var ids in validation)
        {
            longest = Math.Max(longest, ids.Length);
        }

        return Math.Min(longest, limit);
    }

    /// <summary>
    /// Writes one caption's teacher-forcing row: input slots j &lt; n get caption token j (the rest keep their padding);
    /// the target of position k − 1 + j is caption token j and that of position k − 1 + n the end token. Every other
    /// target keeps the ignore index. Returns the number of scored targets.
    /// </summary>
    /// <param name="ids">The caption's token ids (n of them).</param>
    /// <param name="k">Prefix length.</param>
    /// <param name="tc">Token slots Tc.</param>
    /// <param name="endOfTextId">The end token.</param>
    /// <param name="tokens">(Tc) input slots, pre-filled with padding.</param>
    /// <param name="targets">(k + Tc) targets, pre-filled with the ignore index.</param>
    internal static int WriteTeacherForcing(ReadOnlySpan<int> ids, int k, int tc, int endOfTextId, Span<int> tokens, Span<int> targets)
    {
        var n = Math.Min(ids.Length, tc);
        for (var j = 0; j < n; j++)
        {
            tokens[j] = ids[j];
            targets[k - 1 + j] = ids[j];
        }

        if (ids.Length > tc)
        {
            return n;
        }

        targets[k - 1 + n] = endOfTextId;
        return n + 1;
    }

    internal static int Mix(int seed, int salt)
    {
        // Not HashCode.Combine: it is seeded randomly per process, which made the same Seed give different shuffles
        // and noise in every run, breaking reproducibility from the seed. SplitMix64's finaliser (Steele et al., OOPSLA 2014) instead.
        var x = SplitMix64.Mix(((ulong)(uint)seed << 32 | (uint)salt) ^ 0x5EEDUL);
        return (int)(x & 0x7FFFFFFF);
    }

    private static int[] Permutation(int n, Random rng)
    {
        var order = new int[n];
        for (var i = 0; i < n; i++)
        {
            order[i] = i;
        }

        rng.Shuffle(order);
        return order;
    }

    private static string[] Select(IReadOnlyList<string> items, List<int> indices)
    {
        var result = new string[indices.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = items[indices[i]];
        }

        return result;
    }

    private static EmbeddingMatrix? Rows(EmbeddingMatrix matrix, List<int> indices)
    {
        if (indices.Count == 0)
        {
            return null;
        }

        var result = new EmbeddingMatrix(indices.Count, matrix.Dimension);
        for (var i = 0; i < indices.Count; i++)
        {
            matrix.Row(indices[i]).CopyTo(result.Row(i));
        }

        return result;
    }

    /// <summary>One training call: the fixed-shape host and device buffers and the loop.</summary>
    private sealed class Run
    {
        private readonly CaptionTrainer _trainer;
        private readonly PrefixLanguageModel _model;
        private readonly CaptionTrainerOptions _options;
        private readonly int _batch;
        private readonly int _tc;
        private readonly int _k;
        private readonly int _d;
        private readonly float[] _hostEmbeddings;
        private readonly int[] _tokens;
        private readonly int[] _targets;
        private int _batchTime;
        private int[] _sortKeys = [];
        private int[] _batchOrder = [];
        private readonly Tensor _embeddings;
        private readonly IReadOnlyList<Tensors.Nn.Parameter> _parameters;
        private readonly AdamW _optimizer;

        public Run(CaptionTrainer trainer, int tc)
        {
            _trainer = trainer;
            _model = trainer.Model;
            _options = trainer.Options;
            _batch = _options.BatchSize;
            _tc = tc;
            _k = _model.PrefixLength;
            _d = _model.EmbeddingDimension;
            _hostEmbeddings = new float[_batch * _d];
            _tokens = new int[_batch * _tc];
            _targets = new int[_batch * (_k + _tc)];
            _embeddings = _model.Backend.Allocate(_batch, _d);
            _parameters = _model.TrainableParameters();
            _optimizer = new AdamW(_parameters, new AdamWOptions { LearningRate = _options.LearningRate, WeightDecay = _options.WeightDecay });
        }

        public CaptionTrainingResult Execute(
            int[][] trainTokens, EmbeddingMatrix trainEmbeddings, int[][] validationTokens, EmbeddingMatrix? validationEmbeddings,
            IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
        {
            var stepsPerEpoch = (trainTokens.Length + _batch - 1) / _batch;
            if (_options.GroupByLength)
            {
                _sortKeys = new int[trainTokens.Length];
                _batchOrder = new int[stepsPerEpoch];
            }

            var totalSteps = (long)stepsPerEpoch * _options.Epochs;
            var warmup = (int)Math.Min(_options.WarmupSteps, Math.Max(0, totalSteps - 1));
            var schedule = new LinearWarmupDecaySchedule(_options.LearningRate, warmup, (int)Math.Max(totalSteps, warmup + 1));
            var state = new CaptionTrainingState();
            if (_trainer._resume is { } resume)
            {
                state = resume.State;
                if (!resume.RestoreOptimizer(_optimizer))
                {
                    throw new ArgumentException("The checkpoint holds no optimiser state, so the run cannot be resumed exactly; it is a finished model.", "checkpoint");
                }
            }

            var losses = new List<float>((int)Math.Max(0, totalSteps - state.Step));
            var validationLosses = new List<double>(_options.Epochs);
            var bridgedValidation = validationEmbeddings is null ? null : Bridge(validationEmbeddings, -2);
            var order = new int[trainTokens.Length];
            var stopwatch = Stopwatch.StartNew();
            long scoredTokens = 0;
            long stepsThisCall = 0;
            var stoppedEarly = false;
            _model.Train();
            for (var epoch = state.Epoch; epoch < _options.Epochs && !state.Completed; epoch++)
            {
                var bridged = Bridge(trainEmbeddings, epoch);
                for (var i = 0; i < order.Length; i++)
                {
                    order[i] = i;
                }

                new Random(Mix(_options.Seed, epoch)).Shuffle(order);
                if (_options.GroupByLength)
                {
                    GroupByLength(order, trainTokens, epoch);
                }

                var firstBatch = epoch == state.Epoch ? state.BatchInEpoch : 0;
                for (var b = firstBatch; b < stepsPerEpoch; b++)
                {
                    if (cancellationToken.IsCancellationRequested)
                    {
                        state.Epoch = epoch;
                        state.BatchInEpoch = b;
                        SaveCheckpoint(state);
                        return Result(losses, validationLosses, state, cancelled: true, stoppedEarly: false, scoredTokens, stopwatch);
                    }

                    var tokens = FillBatch(order, (_options.GroupByLength ? _batchOrder[b] : b) * _batch, trainTokens, bridged);
                    _model.ZeroGrad();
                    var loss = _model.ForwardLoss(_embeddings, BatchTokens, BatchTargets, _batch, _batchTime, IgnoreIndex, _options.LabelSmoothing);
                    _model.Backward();
                    if (_options.MaxGradientNorm > 0f)
                    {
                        GradientClipping.ClipGlobalNorm(_parameters, _options.MaxGradientNorm);
                    }

                    _optimizer.LearningRate = schedule.At((int)state.Step);
                    _optimizer.Step();
                    state.Step++;
                    stepsThisCall++;
                    scoredTokens += tokens;
                    losses.Add(loss);
                    if (progress is not null)
                    {
                        var seconds = stopwatch.Elapsed.TotalSeconds;
                        var remaining = TimeSpan.FromSeconds(seconds / stepsThisCall * (totalSteps - state.Step));
                        progress.Report(new TrainingProgress("captioner", state.Step, totalSteps, epoch, loss, seconds > 0 ? scoredTokens / seconds : 0, remaining));
                    }

                    if (_options.CheckpointEverySteps > 0 && state.Step % _options.CheckpointEverySteps == 0)
                    {
                        state.Epoch = epoch;
                        state.BatchInEpoch = b + 1;
                        SaveCheckpoint(state);
                    }
                }

                if (bridgedValidation is not null)
                {
                    var validationLoss = Validate(validationTokens, bridgedValidation);
                    validationLosses.Add(validationLoss);
                    if (double.IsNaN(state.BestValidationLoss) || validationLoss < state.BestValidationLoss)
                    {
                        state.BestValidationLoss = validationLoss;
                        state.EpochsWithoutImprovement = 0;
                        SaveBest();
                    }
                    else
                    {
                        state.EpochsWithoutImprovement++;
                        if (_options.EarlyStoppingPatience > 0 && state.EpochsWithoutImprovement >= _options.EarlyStoppingPatience)
                        {
                            stoppedEarly = true;
                            state.Completed = true;
                        }
                    }
                }

                state.Epoch = epoch + 1;
                state.BatchInEpoch = 0;
                state.Completed |= state.Epoch >= _options.Epochs;
                SaveCheckpoint(state);
            }

            if (bridgedValidation is null)
            {
                SaveBest();
            }

            return Result(losses, validationLosses, state, cancelled: false, stoppedEarly, scoredTokens, stopwatch);
        }

        private static CaptionTrainingResult Result(List<float> losses, List<double> validation, CaptionTrainingState state, bool cancelled, bool stoppedEarly, long tokens, Stopwatch stopwatch) => new()
        {
            StepLosses = losses,
            ValidationLosses = validation,
            Steps = state.Step,
            Cancelled = cancelled,
            StoppedEarly = stoppedEarly,
            TokensPerSecond = stopwatch.Elapsed.TotalSeconds > 0 ? tokens / stopwatch.Elapsed.TotalSeconds : 0,
            BestValidationLoss = state.BestValidationLoss,
        };

        private EmbeddingMatrix Bridge(EmbeddingMatrix embeddings, int epoch)
        {
            if (_trainer.Bridge is null || _options.Supervision == CaptionSupervision.Paired)
            {
                return embeddings;
            }

            return _trainer.Bridge.TransformForTraining(embeddings, new Random(Mix(_options.Seed, 1_000_000 + epoch)));
        }

        private ReadOnlySpan<int> BatchTokens => _tokens.AsSpan(0, _batch * _batchTime);

        private ReadOnlySpan<int> BatchTargets => _targets.AsSpan(0, _batch * (_k + _batchTime));

        // Sorts each run of 50 batches of the shuffled order by caption length, then shuffles the order of the batches.
        private void GroupByLength(int[] order, int[][] captions, int epoch)
        {
            var run = 50 * _batch;
            for (var start = 0; start < order.Length; start += run)
            {
                var count = Math.Min(run, order.Length - start);
                for (var i = start; i < start + count; i++)
                {
                    _sortKeys[i] = captions[order[i]].Length;
                }

                Array.Sort(_sortKeys, order, start, count);
            }

            for (var b = 0; b < _batchOrder.Length; b++)
            {
                _batchOrder[b] = b;
            }

            new Random(Mix(_options.Seed, 2_000_000 + epoch)).Shuffle(_batchOrder);
        }

        // Writes one batch: rows start..start+B of `order`, padding rows (nothing scored) past the end. Its token time
        // is Tc, or with GroupByLength the batch's longest caption (at most Tc): positions past a caption's end token
        // are never scored and, the decoder being causal, never seen by the scored ones. Returns the number of scored targets.
        private int FillBatch(int[] order, int start, int[][] captions, EmbeddingMatrix embeddings)
        {
            _batchTime = _tc;
            if (_options.GroupByLength)
            {
                _batchTime = 1;
                for (var i = start; i < Math.Min(start + _batch, order.Length); i++)
                {
                    _batchTime = Math.Max(_batchTime, Math.Min(captions[order[i]].Length, _tc));
                }
            }

            var t = _k + _batchTime;
            var scored = 0;
            _targets.AsSpan(0, _batch * t).Fill(IgnoreIndex);
            _tokens.AsSpan(0, _batch * _batchTime).Fill(_trainer.Tokenizer.PaddingId);
            for (var i = 0; i < _batch; i++)
            {
                var row = _hostEmbeddings.AsSpan(i * _d, _d);
                if (start + i >= order.Length)
                {
                    row.Clear();
                    continue;
                }

                var index = order[start + i];
                embeddings.Row(index).CopyTo(row);
                scored += WriteTeacherForcing(captions[index], _k, _batchTime, _trainer.Tokenizer.EndOfTextId, _tokens.AsSpan(i * _batchTime, _batchTime), _targets.AsSpan(i * t, t));
            }

            _embeddings.CopyFrom(_hostEmbeddings);
            return scored;
        }

        private double Validate(int[][] captions, EmbeddingMatrix embeddings)
        {
            _model.Eval();
            try
            {
                var order = new int[captions.Length];
                for (var i = 0; i < order.Length; i++)
                {
                    order[i] = i;
                }

                double total = 0;
                long count = 0;
                for (var start = 0; start < order.Length; start += _batch)
                {
                    var scored = FillBatch(order, start, captions, embeddings);
                    var loss = _model.ForwardLoss(_embeddings, BatchTokens, BatchTargets, _batch, _batchTime, IgnoreIndex, 0f);
                    total += (double)loss * scored;
                    count += scored;
                }

                return count == 0 ? double.NaN : total / count;
            }
            finally
            {
                _model.Train();
            }
        }

        private void SaveCheckpoint(CaptionTrainingState state)
        {
            if (_options.CheckpointPath is { } path)
            {
                new CaptionerCheckpoint(_model, _trainer.Tokenizer)
                {
                    Bridge = _trainer.Bridge, TrainingOptions = _options, State = state, Optimizer = _optimizer,
                }.Save(path);
            }
        }

        private void SaveBest()
        {
            if (_options.BestModelPath is { } path)
            {
                new CaptionerCheckpoint(_model, _trainer.Tokenizer) { Bridge = _trainer.Bridge, TrainingOptions = _options }.Save(path);
            }
        }
    }
}
