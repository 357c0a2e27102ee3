using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using System.Numerics.Tensors;
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
/// decoder trained on photo embeddings of the web pairs); score each on the test photos (scene F1 first, then BLEU-4,
/// CIDEr-D, CLIP-score) beside the retrieval ceiling (the nearest corpus caption in the CLIP space); then the gap study
/// (scores against the modality gap's size). Nothing is tuned on the test photos: budgets come from timings, strategy
/// settings are the presets' published defaults (<see cref="BridgePresets"/>).
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

    /// <summary>Runs the experiment in one world (<see cref="ShapesExperimentOptions.World"/>'s seed); <see cref="ShapesExperimentOptions.Worlds"/>
    /// is ignored here (see <see cref="RunWorlds"/>).</summary>
    /// <param name="options">Sizes and budgets; validated.</param>
    /// <param name="progress">Receives a report per step (stage names: <c>world</c>, <c>clip</c>, <c>encode</c>,
    /// <c>captioner SYSTEM seed S</c>, <c>scoring</c>, <c>gap study …</c>), or null.</param>
    /// <param name="backend">The compute backend; the CPU backend by default.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    /// <returns>Every number, caption and trained model.</returns>
    public static ShapesExperimentResult Run(ShapesExperimentOptions options, IProgress<TrainingProgress>? progress = null,
                                             IComputeBackend? backend = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return RunWorld(options, Systems, options.GapStudy, progress, backend ?? CpuBackend.Default, cancellationToken);
    }

    /// <summary>Runs the experiment in <see cref="ShapesExperimentOptions.Worlds"/> worlds (seeds <c>World.Seed</c>,
    /// <c>World.Seed + 1</c>, …; each with its own world, CLIP and captioners) and pools them, with the paired bootstrap
    /// of every bridge's scene-F1 difference to C1.</summary>
    /// <param name="options">Sizes and budgets; validated.</param>
    /// <param name="progress">Receives every world's reports (see <see cref="Run"/>), or null.</param>
    /// <param name="backend">The compute backend; the CPU backend by default.</param>
    /// <param name="cancellationToken">Stops between steps.</param>
    public static ShapesStudy RunWorlds(ShapesExperimentOptions options, IProgress<TrainingProgress>? progress = null,
                                        IComputeBackend? backend = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var worlds = new List<ShapesExperimentResult>(options.Worlds);
        for (var k = 0; k < options.Worlds; k++)
        {
            var world = options.Clone();
            world.World.Seed = options.World.Seed + (ulong)k;
            var label = options.Worlds > 1 ? string.Create(CultureInfo.InvariantCulture, $"world {k + 1}/{options.Worlds}: ") : string.Empty;
            worlds.Add(RunWorld(world, Systems, options.GapStudy, Prefixed(progress, label), backend ?? CpuBackend.Default, cancellationToken));
        }

        return ShapesStudy.Create(worlds);
    }

    private static ShapesExperimentResult RunWorld(ShapesExperimentOptions options, IReadOnlyList<(string Name, BridgePreset? Preset)> systems,
                                                   ShapesGapStudy gapStudy, IProgress<TrainingProgress>? progress, IComputeBackend backend,
                                                   CancellationToken cancellationToken)
    {
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
        // The CLIP trains on the web pairs, each followed by its hard negatives when ClipHardNegatives > 1.
        var clipPairs = options.ClipHardNegatives > 1
            ? world.WebHardNegativeGroups(options.ClipHardNegatives)
            : new ShapesWorldPairs(webPhotos, webCaptions, 1, 0);
        var tokenizer = WordTokenizer.Build(corpus.Concat(webCaptions).Concat(clipPairs.Captions));
        var maxWords = corpus.Concat(clipPairs.Captions).Concat(testReferences.SelectMany(r => r)).Max(c => tokenizer.Encode(c).Length);
        stages["world"] = Lap(clock);

        // 2. Connect: contrastive pretraining on the web pairs.
        var clip = ShapesClip.Create(backend, options, tokenizer, maxWords, seed: (int)(options.World.Seed & 0x7FFFFFFF));
        clip.FixedLogitScale = options.ClipLogitScale;
        clip.GroupSize = clipPairs.GroupSize;
        clip.GroupLossWeight = options.ClipGroupLossWeight;
        var initialGap = ModalityGapReport.Compute(clip.EncodeImages(testPhotos), clip.EncodeTexts(evaluation.Captions));
        var clipLosses = clip.Train(clipPairs.Photos, clipPairs.Captions, options.ClipSteps, options.ClipBatchSize, options.ClipLearningRate,
                                    seed: 17, progress);
        stages["clip"] = Lap(clock);
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
        //    captioners then train concurrently (each on its own single-threaded CPU backend) and caption the
        //    evaluation photos.
        var jobs = new List<CaptionerJob>();
        for (var seed = 0; seed < options.Seeds; seed++)
        {
            foreach (var (name, preset) in systems)
            {
                IModalityBridge? bridge = null;
                if (preset is { } p)
                {
                    bridge = BridgePresets.Create(p);
                    bridge.Fit(fit);
                }

                jobs.Add(new CaptionerJob(name, seed, preset, bridge, preset is null ? pairedCaptions : corpus, preset is null ? webImages : corpusTexts));
            }
        }

        var trained = TrainAll(options, backend, tokenizer, maxWords, jobs, testImages, progress, cancellationToken);
        stages["captioners"] = Lap(clock);

        // 5. Scoring, in order, and the retrieval ceiling.
        var evaluationSet = new EvaluationSet(testReferences, testScenes, clip, testImages);
        var runs = new List<ShapesSystemRun>(jobs.Count);
        for (var i = 0; i < jobs.Count; i++)
        {
            progress?.Report(new TrainingProgress("scoring", i, jobs.Count, 0, double.NaN, 0, TimeSpan.Zero));
            var job = jobs[i];
            var t = trained[i];
            var scored = Score(t.Captions, testReferences, testScenes, clip, testImages);
            var systemGap = job.Bridge is null ? ModalityGapReport.Compute(testImages, testTexts)
                                               : ModalityGapReport.Compute(testImages, testTexts, job.Bridge, new Random(job.Seed + 1));
            runs.Add(new ShapesSystemRun
            {
                System = job.Name,
                Seed = job.Seed,
                Scores = scored.Scores,
                PhotoSceneF1 = scored.PhotoSceneF1,
                Gap = systemGap,
                Losses = t.Losses,
                Captions = t.Captions,
                TrainSeconds = t.Seconds,
                SharesDecoderWith = t.SharedWith,
                Model = job.Seed == 0 ? t.Model : null,
                Bridge = job.Bridge,
            });
        }

        var retrieval = Retrieve(testImages, corpusTexts, corpus, evaluationSet);
        var corpusBounds = new ShapesCorpusBounds(
            CorpusRetrievalBounds.Oracle(corpus, testScenes),
            CorpusRetrievalBounds.IdealEmbedding(corpus, testScenes, SceneFeatures.BoundObjects));
        stages["scoring"] = Lap(clock);
        cancellationToken.ThrowIfCancellationRequested();

        // 6. The gap study: this CLIP's own point, then the emulated and natural arms.
        var firstSeed = runs.Where(r => r.Seed == 0).ToArray();
        var points = new List<GapStudyPoint>
        {
            new()
            {
                Arm = "natural",
                WorldSeed = options.World.Seed,
                CentroidDistance = gap.CentroidDistance,
                MeanPairedCosine = gap.MeanPairedCosine,
                LogitScale = options.ClipLogitScale,
                FinalLogitScale = clip.CurrentLogitScale,
                Scores = firstSeed.ToDictionary(r => r.System, r => r.Scores, StringComparer.Ordinal),
                RetrievalCeiling = retrieval.Scores,
            },
        };
        var unreachable = new List<double>();
        if (gapStudy != ShapesGapStudy.None)
        {
            var decoding = new DecodingOptions { MaxTokens = maxWords + 1 };
            var direction = ModalityGapShift.GapDirection(unpairedImages, corpusTexts);
            var targets = options.EmulatedCentroidDistances;
            for (var k = 0; k < targets.Count; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                progress?.Report(new TrainingProgress("gap study: emulated", k, targets.Count, 0, double.NaN, 0, TimeSpan.Zero));
                if (!ModalityGapShift.TrySolve(testImages, testTexts, direction, targets[k], out var amount))
                {
                    unreachable.Add(targets[k]);
                    continue;
                }

                points.Add(Emulate(options, targets[k], amount, direction, fit, firstSeed, jobs, tokenizer, decoding, testTexts, corpus,
                                   corpusTexts, evaluationSet, clip.CurrentLogitScale));
            }
        }

        if (gapStudy == ShapesGapStudy.Full)
        {
            var subset = Systems.Where(s => options.NaturalGapSystems.Contains(s.Name)).ToArray();
            foreach (var scale in options.NaturalGapLogitScales)
            {
                if (scale == options.ClipLogitScale)
                {
                    continue;
                }

                cancellationToken.ThrowIfCancellationRequested();
                var natural = options.Clone();
                natural.ClipLogitScale = scale;
                natural.Seeds = 1;
                natural.AdversarialSteps = 0;
                var label = scale is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) : "learned";
                var sub = RunWorld(natural, subset, ShapesGapStudy.None, Prefixed(progress, $"gap study: natural, logit scale {label}: "), backend,
                                   cancellationToken);
                points.Add(sub.GapStudy[0]);
            }
        }

        stages["gap_study"] = Lap(clock);

        // 7. The adversarial row(s), from each seed's C1 captioner (copied, so C1's own row is unchanged).
        var systemNames = systems.Select(s => s.Name).ToList();
        IReadOnlyList<ShapesAdversarialCurve> adversarialCurves = [];
        if (options.AdversarialSteps > 0 && systemNames.Contains("C1"))
        {
            var initial = jobs.Select((job, i) => (job, i)).Where(x => x.job.Name == "C1")
                .Select(x => new ShapesAdversarial.Initial(x.job.Seed, trained[x.i].Model, x.job.Bridge, runs[x.i].Gap)).ToArray();
            var adversarial = ShapesAdversarial.Run(options, initial, clip, tokenizer, maxWords, unpairedImages, corpus, corpusTexts, testImages,
                                                    testReferences, testScenes, backend, progress, cancellationToken);
            runs.AddRange(adversarial.Runs);
            systemNames.AddRange(adversarial.Systems);
            adversarialCurves = adversarial.Curves;
            stages["adversarial"] = Lap(clock);
        }

        return new ShapesExperimentResult
        {
            Options = options,
            Clip = clip,
            ClipLosses = clipLosses,
            Gap = gap,
            InitialGap = initialGap,
            Systems = systemNames,
            Runs = runs,
            AdversarialCurves = adversarialCurves,
            TestPhotos = testPhotos,
            TestReferences = testReferences,
            TestScenes = testScenes,
            TestImageEmbeddings = testImages,
            TestTextEmbeddings = testTexts,
            HumanScores = HumanScores(testReferences, testScenes),
            RetrievalCeiling = retrieval,
            CorpusBounds = corpusBounds,
            GapStudy = points,
            UnreachableGapSizes = unreachable,
            StageSeconds = stages,
        };
    }

    /// <summary>One emulated point: the evaluation photos' embeddings and the bridges' image-side fit data shifted by
    /// λ along the gap vector; every first-seed captioner of a bridge captions the shifted photos through its bridge refitted
    /// on the shifted data (the text side is unchanged, so the captioner's training still applies). The paired ceiling is
    /// carried over unchanged: it is trained and tested on photo embeddings alone, so a fixed map of the photo space applied
    /// to both — which is all the emulation is — leaves it (up to the renormalisation) where it was.</summary>
    private static GapStudyPoint Emulate(ShapesExperimentOptions options, double target, double amount, float[] direction, BridgeFitData fit,
                                         IReadOnlyList<ShapesSystemRun> firstSeed, IReadOnlyList<CaptionerJob> jobs, WordTokenizer tokenizer,
                                         DecodingOptions decoding, EmbeddingMatrix testTexts, IReadOnlyList<string> corpus,
                                         EmbeddingMatrix corpusTexts, EvaluationSet evaluation, float finalLogitScale)
    {
        EmbeddingMatrix? Moved(EmbeddingMatrix? m) => m is null ? null : ModalityGapShift.Shift(m, direction, amount);
        var images = ModalityGapShift.Shift(evaluation.Images, direction, amount);
        var shiftedFit = new BridgeFitData
        {
            UnpairedTexts = fit.UnpairedTexts,
            UnpairedImages = Moved(fit.UnpairedImages),
            PairedTexts = fit.PairedTexts,
            PairedImages = Moved(fit.PairedImages),
            SupportTexts = fit.SupportTexts,
            PseudoImages = Moved(fit.PseudoImages),
            PseudoImageTexts = fit.PseudoImageTexts,
        };
        var scores = new Dictionary<string, ShapesScores>(StringComparer.Ordinal);
        foreach (var run in firstSeed)
        {
            var preset = jobs.First(j => j.Name == run.System).Preset;
            if (preset is not { } p || run.Model is null)
            {
                scores[run.System] = run.Scores;
                continue;
            }

            var bridge = BridgePresets.Create(p);
            bridge.Fit(shiftedFit);
            var captions = new PrefixCaptioner(run.Model, tokenizer, bridge, decoding).Caption(images);
            scores[run.System] = Score(captions, evaluation.References, evaluation.Scenes, evaluation.Clip, evaluation.Images).Scores;
        }

        var report = ModalityGapReport.Compute(images, testTexts);
        return new GapStudyPoint
        {
            Arm = "emulated",
            WorldSeed = options.World.Seed,
            CentroidDistance = report.CentroidDistance,
            MeanPairedCosine = report.MeanPairedCosine,
            RequestedCentroidDistance = target,
            Shift = amount,
            LogitScale = options.ClipLogitScale,
            FinalLogitScale = finalLogitScale,
            Scores = scores,
            RetrievalCeiling = Retrieve(images, corpusTexts, corpus, evaluation).Scores,
        };
    }

    /// <summary>The retrieval ceiling: each photo captioned with the corpus caption whose text embedding has the largest
    /// cosine with the photo's embedding (rows are unit vectors, so the dot product), scored like the systems.</summary>
    private static ShapesCaptioning Retrieve(EmbeddingMatrix images, EmbeddingMatrix corpusTexts, IReadOnlyList<string> corpus, EvaluationSet evaluation)
    {
        var captions = new string[images.Rows];
        for (var i = 0; i < images.Rows; i++)
        {
            var image = images.Row(i);
            var best = 0;
            var bestCosine = float.NegativeInfinity;
            for (var j = 0; j < corpusTexts.Rows; j++)
            {
                var cosine = TensorPrimitives.Dot(image, corpusTexts.Row(j));
                if (cosine > bestCosine)
                {
                    bestCosine = cosine;
                    best = j;
                }
            }

            captions[i] = corpus[best];
        }

        return Score(captions, evaluation.References, evaluation.Scenes, evaluation.Clip, evaluation.Images);
    }

    /// <summary>Trains every job on <see cref="ShapesExperimentOptions.CaptionerWorkers"/> threads (one job each at a
    /// time, in order of index) and captions the test photos with each; the first failure or cancellation stops the rest.
    /// A job whose decoder would be trained on exactly an earlier job's inputs (<see cref="SameTraining"/>) is not
    /// trained again: it captions with that job's decoder through its own bridge.</summary>
    private static TrainedCaptioner[] TrainAll(
        ShapesExperimentOptions options, IComputeBackend backend, WordTokenizer tokenizer, int maxWords, List<CaptionerJob> jobs,
        EmbeddingMatrix testImages, IProgress<TrainingProgress>? progress, CancellationToken cancellationToken)
    {
        var twins = new int[jobs.Count];
        var own = new List<CaptionerJob>(jobs.Count);
        for (var j = 0; j < jobs.Count; j++)
        {
            twins[j] = -1;
            for (var i = 0; i < j && twins[j] < 0; i++)
            {
                if (twins[i] < 0 && SameTraining(jobs[i], jobs[j]))
                {
                    twins[j] = i;
                }
            }

            if (twins[j] < 0)
            {
                own.Add(jobs[j]);
            }
        }

        var trained = TrainEach(options, backend, tokenizer, maxWords, own, testImages, progress, cancellationToken);
        var results = new TrainedCaptioner[jobs.Count];
        for (int j = 0, next = 0; j < jobs.Count; j++)
        {
            if (twins[j] < 0)
            {
                results[j] = trained[next++];
                continue;
            }

            var original = results[twins[j]];
            results[j] = new TrainedCaptioner(original.Model, original.Losses,
                Caption(original.Model, tokenizer, jobs[j].Bridge, maxWords, testImages), 0, jobs[twins[j]].Name);
        }

        return results;
    }

    /// <summary>Whether two jobs would train the same decoder: the same seed, captions and embeddings, and text-only
    /// training transforms that ignore their random generator and give the same rows bit for bit (checked on the first
    /// rows under two generators, then on every row). The decoder's initialisation, batches and schedule depend on
    /// nothing else, so the two trained decoders would be identical.</summary>
    private static bool SameTraining(CaptionerJob a, CaptionerJob b)
    {
        if (a.Seed != b.Seed || a.Bridge is null || b.Bridge is null
            || !ReferenceEquals(a.Captions, b.Captions) || !ReferenceEquals(a.Embeddings, b.Embeddings))
        {
            return false;
        }

        var probe = Rows(a.Embeddings, Math.Min(256, a.Embeddings.Rows));
        var a1 = a.Bridge.TransformForTraining(probe, new Random(1));
        if (!Bits(a1, a.Bridge.TransformForTraining(probe, new Random(2)))
            || !Bits(a1, b.Bridge.TransformForTraining(probe, new Random(1)))
            || !Bits(a1, b.Bridge.TransformForTraining(probe, new Random(2))))
        {
            return false;
        }

        return Bits(a.Bridge.TransformForTraining(a.Embeddings, new Random(1)), b.Bridge.TransformForTraining(b.Embeddings, new Random(1)));

        static bool Bits(EmbeddingMatrix x, EmbeddingMatrix y) =>
            x.Dimension == y.Dimension && MemoryMarshal.AsBytes(x.Span).SequenceEqual(MemoryMarshal.AsBytes(y.Span));
    }

    private static IReadOnlyList<string> Caption(PrefixLanguageModel model, WordTokenizer tokenizer, IModalityBridge? bridge, int maxWords, EmbeddingMatrix images) =>
        new PrefixCaptioner(model, tokenizer, bridge, new DecodingOptions { MaxTokens = maxWords + 1 }).Caption(images);

    private static TrainedCaptioner[] TrainEach(
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
            GroupByLength = options.CaptionerGroupByLength,
            Supervision = job.Bridge is null ? CaptionSupervision.Paired : CaptionSupervision.TextOnly,
        });
        var stage = $"captioner {job.Name} seed {job.Seed + 1}/{options.Seeds}";
        var watch = Stopwatch.StartNew();
        var result = trainer.Train(captions.Take(count).ToArray(), Rows(embeddings, count), [], null, new Relabel(progress, stage), cancellationToken);
        var seconds = watch.Elapsed.TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();

        model.Eval();
        return new TrainedCaptioner(model, result.StepLosses, Caption(model, tokenizer, job.Bridge, maxWords, testImages), seconds, null);
    }

    /// <summary>Scores captions of the evaluation photos: mean scene F1 (and its object and relation parts) against the
    /// true scenes, corpus BLEU-4 and CIDEr-D against the five references, mean CLIP-score against the photos with the
    /// ShapesWorld CLIP; and each photo's scene F1.</summary>
    /// <param name="captions">One caption per photo.</param>
    /// <param name="references">The references of each photo.</param>
    /// <param name="scenes">The scene of each photo.</param>
    /// <param name="clip">The ShapesWorld CLIP.</param>
    /// <param name="images">The photos' embeddings.</param>
    public static ShapesCaptioning Score(IReadOnlyList<string> captions, IReadOnlyList<IReadOnlyList<string>> references,
                                         IReadOnlyList<World.SceneDescription> scenes, ShapesClip clip, EmbeddingMatrix images)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(scenes);
        ArgumentNullException.ThrowIfNull(clip);
        var text = CaptionMetrics.Score(references, captions, CaptionTokenization.Ptb);
        var scene = SceneAccuracy.Evaluate(captions, scenes);
        var perPhoto = new double[captions.Count];
        for (var i = 0; i < perPhoto.Length; i++)
        {
            perPhoto[i] = SceneAccuracy.Score(captions[i], scenes[i]).F1;
        }

        var clipScore = ClipScore.Mean(images, clip.EncodeTexts(captions));
        return new ShapesCaptioning(captions, new ShapesScores(scene.MeanF1, scene.MeanObjectF1, scene.MeanRelationF1, text.CiderD, text.Bleu4, clipScore), perPhoto);
    }

    private static ShapesScores HumanScores(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<World.SceneDescription> scenes)
    {
        var first = references.Select(r => r[0]).ToArray();
        var others = references.Select(r => (IReadOnlyList<string>)r.Skip(1).ToArray()).ToArray();
        var text = CaptionMetrics.Score(others, first, CaptionTokenization.Ptb);
        var scene = SceneAccuracy.Evaluate(first, scenes);
        return new ShapesScores(scene.MeanF1, scene.MeanObjectF1, scene.MeanRelationF1, text.CiderD, text.Bleu4, double.NaN);
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

    /// <summary>One captioner to train: a system, a seed, its preset and fitted bridge (null: the paired ceiling) and its data.</summary>
    private sealed record CaptionerJob(string Name, int Seed, BridgePreset? Preset, IModalityBridge? Bridge, IReadOnlyList<string> Captions,
                                       EmbeddingMatrix Embeddings);

    /// <summary>What every captioning of the evaluation photos is scored against.</summary>
    private sealed record EvaluationSet(IReadOnlyList<IReadOnlyList<string>> References, IReadOnlyList<World.SceneDescription> Scenes,
                                        ShapesClip Clip, EmbeddingMatrix Images);

    private static IProgress<TrainingProgress>? Prefixed(IProgress<TrainingProgress>? inner, string prefix) =>
        inner is null || prefix.Length == 0 ? inner : new Relabel(inner, prefix, prefix: true);

    /// <summary>A trained captioner, its losses, its captions of the test photos, its training time and the system whose
    /// decoder it is when it was not trained for this one.</summary>
    private sealed record TrainedCaptioner(PrefixLanguageModel Model, IReadOnlyList<float> Losses,
                                           IReadOnlyList<string> Captions, double Seconds, string? SharedWith);

    /// <summary>Forwards a trainer's reports under this experiment's stage name (or with it put before the stage's own).</summary>
    private sealed class Relabel(IProgress<TrainingProgress>? inner, string stage, bool prefix = false) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => inner?.Report(value with { Stage = prefix ? stage + value.Stage : stage });
    }
}
