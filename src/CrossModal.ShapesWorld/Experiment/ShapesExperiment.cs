using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Evaluation.Captioning;
using CrossModal.Models.Captioning;
using CrossModal.ShapesWorld.Data;
using CrossModal.ShapesWorld.Scoring;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Text;
using CrossModal.Training.Captioning;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>
/// The whole method end to end in ShapesWorld: generate the world; <b>connect</b> — train a small CLIP
/// contrastively on the web pairs and measure the modality gap of the test pairs; encode the text corpus, the
/// auxiliary pairs, the unpaired photos, synthetic renders of corpus captions and the test photos; train one
/// text-only captioner per bridging strategy with the same decoder and budget, plus the paired ceiling (the same
/// decoder trained on photo embeddings of the web pairs); score each on the test photos (BLEU-4, CIDEr-D, scene F1,
/// CLIP-score). Nothing is tuned on the test photos: budgets come from timings, strategy settings are the
/// presets' published defaults (<see cref="BridgePresets"/>).
/// </summary>
public static class ShapesExperiment
{
    /// <summary>The systems in report order: the strategy name and its preset (null: the paired ceiling).</summary>
    public static IReadOnlyList<(string Name, BridgePreset? Preset)> Systems { get; } =
    [
        ("C1", BridgePreset.C1),
        ("C2-collapse", BridgePreset.C2Collapse),
        ("C2-noise", BridgePreset.C2Noise),
        ("C3", BridgePreset.C3),
        ("CapDec", BridgePreset.CapDec),
        ("CLOSE-linear", BridgePreset.CloseLinear),
        ("CLOSE-cov", BridgePreset.CloseCovariance),
        ("DeCap", BridgePreset.DeCap),
        ("SynTIC", BridgePreset.SynTic),
        ("paired", null),
    ];

    /// <summary>Runs the experiment.</summary>
    /// <param name="options">Sizes and budgets; validated.</param>
    /// <param name="progress">Receives a report per step (stage names: <c>world</c>, <c>clip</c>, <c>encode</c>,
    /// <c>captioner SYSTEM seed S</c>), or null.</param>
    /// <param name="backend">The compute backend; the CPU backend by default.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>Every number, caption and trained model.</returns>
    public static ShapesExperimentResult Run(ShapesExperimentOptions options, IProgress<TrainingProgress>? progress = null,
                                             IComputeBackend? backend = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        backend ??= CpuBackend.Default;
        var stages = new Dictionary<string, double>(StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();

        // 1. The world.
        progress?.Report(new TrainingProgress("world", 0, 0, 0, double.NaN, 0, TimeSpan.Zero));
        var world = ShapesWorldDataset.Generate(options.World);
        var webPhotos = world.Web.RenderPhotos();
        var webCaptions = world.Web.Captions;
        var corpus = world.Corpus.Captions;
        var evaluation = options.EvaluationSplit == ShapesEvaluationSplit.Validation ? world.Validation : world.Test;
        var testPhotos = evaluation.RenderPhotos();
        var testReferences = evaluation.References;
        var testScenes = evaluation.Scenes;
        var tokenizer = WordTokenizer.Build(corpus.Concat(webCaptions));
        var maxWords = corpus.Concat(webCaptions).Concat(testReferences.SelectMany(r => r)).Max(c => tokenizer.Encode(c).Length);
        stages["world"] = Lap(clock);

        // 2. Connect: contrastive pretraining on the web pairs.
        var clip = ShapesClip.Create(backend, options, tokenizer, maxWords, seed: (int)(options.World.Seed & 0x7FFFFFFF));
        clip.FixedLogitScale = options.ClipLogitScale;
        var initialGap = ModalityGapReport.Compute(clip.EncodeImages(testPhotos), clip.EncodeTexts(evaluation.Captions));
        var clipLosses = clip.Train(webPhotos, webCaptions, options.ClipSteps, options.ClipBatchSize, options.ClipLearningRate,
                                    seed: 17, progress);
        stages["connect"] = Lap(clock);
        cancellationToken.ThrowIfCancellationRequested();

        // 3. Encode every split the strategies and the scoring need.
        void Encoding(int done, int total) => progress?.Report(new TrainingProgress("encode", done, total, 0, double.NaN, 0, TimeSpan.Zero));
        const int encodeParts = 7;
        Encoding(0, encodeParts);
        var testImages = clip.EncodeImages(testPhotos);
        var testTexts = clip.EncodeTexts(evaluation.Captions);
        Encoding(1, encodeParts);
        var corpusTexts = clip.EncodeTexts(corpus);
        Encoding(2, encodeParts);
        var auxImages = clip.EncodeImages(world.Auxiliary.RenderPhotos());
        var auxTexts = clip.EncodeTexts(world.Auxiliary.Captions);
        Encoding(3, encodeParts);
        var unpairedImages = clip.EncodeImages(world.Unpaired.RenderPhotos());
        Encoding(4, encodeParts);
        var synthetic = Math.Min(options.SyntheticRenders, corpus.Count);
        var syntheticPhotos = new ImageData[synthetic];
        for (var i = 0; i < synthetic; i++)
        {
            syntheticPhotos[i] = world.TextToImage.Render(corpus[i], (ulong)i + 1);
        }

        var syntheticImages = clip.EncodeImages(syntheticPhotos);
        Encoding(5, encodeParts);
        var webImages = clip.EncodeImages(webPhotos);
        Encoding(6, encodeParts);
        var gap = ModalityGapReport.Compute(testImages, testTexts);
        var pairedCaptions = webCaptions;
        var fit = new BridgeFitData
        {
            UnpairedTexts = corpusTexts,
            UnpairedImages = unpairedImages,
            PairedTexts = auxTexts,
            PairedImages = auxImages,
            SupportTexts = corpusTexts,
            PseudoImages = syntheticImages,
            PseudoImageTexts = Rows(corpusTexts, synthetic),
        };
        Encoding(encodeParts, encodeParts);
        stages["encode"] = Lap(clock);

        // 4. One captioner per system and seed, same decoder and budget. Bridges are fitted here, in order; the
        //    captioners then train concurrently (each on its own single-threaded CPU backend) and are scored in order.
        var jobs = new List<CaptionerJob>();
        for (var seed = 0; seed < options.Seeds; seed++)
        {
            foreach (var (name, preset) in Systems)
            {
                IModalityBridge? bridge = null;
                if (preset is { } p)
                {
                    bridge = BridgePresets.Create(p);
                    bridge.Fit(fit);
                }

                jobs.Add(new CaptionerJob(name, seed, bridge, preset is null ? pairedCaptions : corpus, preset is null ? webImages : corpusTexts));
            }
        }

        var trained = TrainAll(options, backend, tokenizer, maxWords, jobs, testImages, progress, cancellationToken);
        var runs = new List<ShapesSystemRun>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            var job = jobs[i];
            var t = trained[i];
            var scores = Score(t.Captions, testReferences, testScenes, clip, testImages);
            var systemGap = job.Bridge is null ? ModalityGapReport.Compute(testImages, testTexts)
                                               : ModalityGapReport.Compute(testImages, testTexts, job.Bridge, new Random(job.Seed + 1));
            runs.Add(new ShapesSystemRun
            {
                System = job.Name,
                Seed = job.Seed,
                Scores = scores,
                Gap = systemGap,
                Losses = t.Losses,
                Captions = t.Captions,
                TrainSeconds = t.Seconds,
                Model = job.Seed == 0 ? t.Model : null,
                Bridge = job.Bridge,
            });
        }

        stages["captioners"] = Lap(clock);

        return new ShapesExperimentResult
        {
            Options = options,
            Clip = clip,
            ClipLosses = clipLosses,
            Gap = gap,
            InitialGap = initialGap,
            Systems = Systems.Select(s => s.Name).ToArray(),
            Runs = runs,
            TestPhotos = testPhotos,
            TestReferences = testReferences,
            TestScenes = testScenes,
            TestImageEmbeddings = testImages,
            TestTextEmbeddings = testTexts,
            HumanScores = HumanScores(testReferences, testScenes),
            StageSeconds = stages,
        };
    }

    /// <summary>Trains every job on <see cref="ShapesExperimentOptions.CaptionerWorkers"/> threads (one job each at a
    /// time, in order of index) and captions the test photos with each; the first failure or cancellation stops the rest.</summary>
    private static TrainedCaptioner[] TrainAll(
        ShapesExperimentOptions options, IComputeBackend backend, WordTokenizer tokenizer, int maxWords, List<CaptionerJob> jobs,
        EmbeddingMatrix testImages, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var results = new TrainedCaptioner[jobs.Count];
        var workers = backend is CpuBackend ? Math.Min(options.CaptionerWorkers, jobs.Count) : 1;
        if (workers <= 1)
        {
            for (var i = 0; i < jobs.Count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                results[i] = TrainOne(options, backend, tokenizer, maxWords, jobs[i], testImages, progress, cancellationToken);
            }

            return results;
        }

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var next = -1;
        var errors = new Exception?[workers];
        var threads = new Thread[workers];
        for (var w = 0; w < workers; w++)
        {
            var worker = w;
            threads[w] = new Thread(() =>
            {
                var own = new CpuBackend(new CpuBackendOptions { Threads = 1 });
                try
                {
                    int i;
                    while (!stop.IsCancellationRequested && (i = Interlocked.Increment(ref next)) < jobs.Count)
                    {
                        results[i] = TrainOne(options, own, tokenizer, maxWords, jobs[i], testImages, progress, stop.Token);
                    }
                }
                catch (Exception e)
                {
                    errors[worker] = e;
                    stop.Cancel();
                }
            })
            { IsBackground = true, Name = $"ShapesWorld captioner {w + 1}" };
            threads[w].Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        cancellationToken.ThrowIfCancellationRequested();
        var failures = errors.OfType<Exception>().Where(e => e is not OperationCanceledException).ToArray();
        if (failures.Length == 1)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failures[0]);
        }

        if (failures.Length > 1)
        {
            throw new AggregateException("Captioner training failed.", failures);
        }

        return results;
    }

    private static TrainedCaptioner TrainOne(
        ShapesExperimentOptions options, IComputeBackend backend, WordTokenizer tokenizer, int maxWords, CaptionerJob job,
        EmbeddingMatrix testImages, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        const int prefix = 4;
        var embeddings = job.Embeddings;
        var captions = job.Captions;
        var modelOptions = new PrefixLanguageModelOptions
        {
            Mapper = PrefixMapperKind.Mlp,
            EmbeddingDimension = embeddings.Dimension,
            PrefixLength = prefix,
            Decoder = new Gpt2DecoderOptions
            {
                VocabularySize = tokenizer.VocabularySize,
                Context = prefix + maxWords + 2,
                Width = options.DecoderWidth,
                Layers = options.DecoderLayers,
                Heads = Math.Max(1, options.DecoderWidth / 32),
            },
        };
        var model = new PrefixLanguageModel(backend, modelOptions);
        model.ResetParameters(1000 + job.Seed);

        // The same number of optimiser steps for every system: whole epochs over a prefix of the captions.
        var batch = options.CaptionerBatchSize;
        var budget = (long)options.CaptionerSteps * batch;
        var count = (int)Math.Min(captions.Count, budget);
        var epochs = (int)Math.Max(1, Math.Round((double)budget / count));
        var trainer = new CaptionTrainer(model, tokenizer, job.Bridge, new CaptionTrainerOptions
        {
            Epochs = epochs,
            BatchSize = batch,
            LearningRate = options.CaptionerLearningRate,
            WarmupSteps = Math.Max(1, options.CaptionerSteps / 20),
            ValidationFraction = 0,
            EarlyStoppingPatience = 0,
            Seed = 7919 * (job.Seed + 1),
            Supervision = job.Bridge is null ? CaptionSupervision.Paired : CaptionSupervision.TextOnly,
        });
        var stage = $"captioner {job.Name} seed {job.Seed + 1}/{options.Seeds}";
        var watch = Stopwatch.StartNew();
        var result = trainer.Train(captions.Take(count).ToArray(), Rows(embeddings, count), [], null, new Relabel(progress, stage), cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();

        model.Eval();
        var captioner = new PrefixCaptioner(model, tokenizer, job.Bridge, new DecodingOptions { MaxTokens = maxWords + 1 });
        return new TrainedCaptioner(model, result.StepLosses, captioner.Caption(testImages), seconds);
    }

    /// <summary>Scores captions of the test photos: corpus BLEU-4 and CIDEr-D against the five references, mean scene
    /// F1 against the true scenes, mean CLIP-score against the photos with the ShapesWorld CLIP.</summary>
    /// <param name="captions">One caption per test photo.</param>
    /// <param name="references">The references of each photo.</param>
    /// <param name="scenes">The scene of each photo.</param>
    /// <param name="clip">The ShapesWorld CLIP.</param>
    /// <param name="images">The photos' embeddings.</param>
    public static ShapesScores Score(IReadOnlyList<string> captions, IReadOnlyList<IReadOnlyList<string>> references,
                                     IReadOnlyList<World.SceneDescription> scenes, ShapesClip clip, EmbeddingMatrix images)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(clip);
        var text = CaptionMetrics.Score(references, captions, CaptionTokenization.Ptb);
        var scene = SceneAccuracy.Evaluate(captions, scenes);
        var clipScore = ClipScore.Mean(images, clip.EncodeTexts(captions));
        return new ShapesScores(text.CiderD, text.Bleu4, scene.MeanF1, clipScore);
    }

    private static ShapesScores HumanScores(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<World.SceneDescription> scenes)
    {
        var first = references.Select(r => r[0]).ToArray();
        var others = references.Select(r => (IReadOnlyList<string>)r.Skip(1).ToArray()).ToArray();
        var text = CaptionMetrics.Score(others, first, CaptionTokenization.Ptb);
        var scene = SceneAccuracy.Evaluate(first, scenes);
        return new ShapesScores(text.CiderD, text.Bleu4, scene.MeanF1, double.NaN);
    }

    private static EmbeddingMatrix Rows(EmbeddingMatrix source, int count)
    {
        if (count == source.Rows)
        {
            return source;
        }

        var data = source.Span.Slice(0, count * source.Dimension).ToArray();
        return new EmbeddingMatrix(data, count, source.Dimension);
    }

    private static double Lap(Stopwatch clock)
    {
        var seconds = clock.Elapsed.TotalSeconds;
        clock.Restart();
        return seconds;
    }

    /// <summary>One captioner to train: a system, a seed, its fitted bridge (null: the paired ceiling) and its data.</summary>
    private sealed record CaptionerJob(string Name, int Seed, IModalityBridge? Bridge, IReadOnlyList<string> Captions, EmbeddingMatrix Embeddings);

    /// <summary>A trained captioner, its losses, its captions of the test photos and its training time.</summary>
    private sealed record TrainedCaptioner(PrefixLanguageModel Model, IReadOnlyList<float> Losses,
                                           IReadOnlyList<string> Captions, double Seconds);

    /// <summary>Forwards a trainer's reports under this experiment's stage name.</summary>
    private sealed class Relabel(IProgress<TrainingProgress>? inner, string stage) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner?.Report(value with { Stage = stage });
    }
}
