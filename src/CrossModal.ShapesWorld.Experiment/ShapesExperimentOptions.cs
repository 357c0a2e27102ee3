using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Models.Clip;
using CrossModal.ShapesWorld.Data;
using CrossModal.Training.Captioning;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>
/// The sizes and budgets of the end-to-end ShapesWorld experiment (<see cref="ShapesExperiment"/>). Two presets:
/// <see cref="Default"/> (the documented run, ≤ 15 minutes on a 2-core machine) and <see cref="Quick"/> (a small world,
/// one seed, ≤ 2 minutes; measured 6 min and 69 s on an idle 2-core machine). Budgets were sized from measured
/// per-step timings and the CLIP's settings compared on the validation split (<see cref="EvaluationSplit"/>), never on
/// test-set scores.
/// </summary>
public sealed class ShapesExperimentOptions
{
    /// <summary>The world: split sizes, image size, world seed.</summary>
    /// <value><see cref="ShapesWorldOptions"/> defaults.</value>
    public ShapesWorldOptions World { get; set; } = new();

    /// <summary>How many seeds each captioner is trained with (the world and the CLIP model are shared).</summary>
    /// <value>1: within the 15-minute budget the captioner time buys either seeds or steps, and on the validation split
    /// steps decide competence (<see cref="CaptionerSteps"/>). The bootstrap intervals then cover the evaluation photos;
    /// more seeds add the training randomness at proportionally more time.</value>
    public int Seeds { get; set; } = 1;

    /// <summary>Contrastive steps of the ShapesWorld CLIP.</summary>
    /// <value>2000 (batch 128): the convolutional tower learns colour and size first and shape late (probes in docs/shapesworld.md,
    /// "The CLIP"), and the retrieval ceiling rises with steps (validation photos, 5 × 5 world, text width 64: 1,500 steps
    /// 32.0 %, 1,800 steps 36.6 %, 3,600 steps 42.4 %; width 128: 1,800 steps 40.5 %, 3,000 steps 42.8 %). A step over the
    /// world's captions took 144–165 ms in whole runs, and with 2,600 steps the default run took 15 min 45 s, so 2,000
    /// steps are what the 15-minute run holds beside the captioners; 700 (batch 64) in <see cref="Quick"/>.</value>
    public int ClipSteps { get; set; } = 2000;

    /// <summary>Pairs per contrastive step.</summary>
    /// <value>128.</value>
    public int ClipBatchSize { get; set; } = 128;

    /// <summary>Pairs per hard-negative group of the CLIP's training data: each web pair is followed by
    /// this many − 1 variants of its scene that differ only in which colour or size goes with which object (two
    /// colours swapped, two sizes swapped) or in what the objects are (shapes redrawn), and each group shares a batch
    /// (<see cref="ShapesWorldDataset.WebHardNegativeGroups"/>). With
    /// random batches alone, colour, size and layout already tell the pairs apart, and the CLIP learns shape late.
    /// 1 trains on the web pairs as they are.</summary>
    /// <value>4.</value>
    public int ClipHardNegatives { get; set; } = 4;

    /// <summary>Weight of each hard-negative group's own contrastive loss, added to the batch's
    /// (<see cref="CrossModal.Training.Contrastive.ClipContrastiveTrainerOptions.GroupLossWeight"/>). In a batch of
    /// 128 pairs a group's 3 variants are 3 of 127 negatives; once colour, size and layout tell the rest of the batch
    /// apart, the group's own softmax is what keeps asking which shape and which colour goes with which object.
    /// 0 trains with CLIP's loss alone; ignored when <see cref="ClipHardNegatives"/> is 1.</summary>
    /// <value>4, chosen on the validation photos at 2,000 steps of 128: weights 0 / 1 / 2 / 4 / 8 / 16 gave retrieval
    /// ceilings of 0.420 / 0.459 / 0.458 / 0.485 / 0.463 / 0.434 (world 1), and 0 / 4 gave 0.423 / 0.456 in world 2
    /// (docs/shapesworld.md, "The group's own loss").</value>
    public float ClipGroupLossWeight { get; set; } = 4f;

    /// <summary>Peak learning rate of the CLIP (AdamW, linear warm-up then cosine decay).</summary>
    /// <value>2e-3.</value>
    public float ClipLearningRate { get; set; } = 2e-3f;

    /// <summary>The CLIP's logit scale 1/τ, held fixed during contrastive training; null learns it from CLIP's initial
    /// 1/0.07 instead. With the ViT image tower, held at 100 (OpenAI's CLIP's final clamp) a modality gap stays (centroid
    /// distance 0.40) where a learned scale all but closes it (0.10; docs/shapesworld.md, "The gap and the temperature").
    /// The convolutional tower does not learn at all from random initialisation with the scale fixed at 100 (loss stays
    /// at ln B: every image starts in nearly one direction and the sharp softmax gives no useful gradient), so the
    /// default is learned.</summary>
    /// <value>Null (learned).</value>
    public float? ClipLogitScale { get; set; }

    /// <summary>How many captioners train at the same time, each on its own single-threaded CPU backend. On small
    /// models this uses the cores better than one captioner on all of them; results do not depend on it (the kernels
    /// give identical results at any thread count). Ignored (1) when the experiment runs on a non-CPU backend.</summary>
    /// <value>The number of cores, at most 4.</value>
    public int CaptionerWorkers { get; set; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    /// <summary>The CLIP's image tower. A ViT over the 32×32 photos does not learn shape at this budget (a linear probe
    /// on its embeddings finds shape at chance); the convolutional tower does (docs/shapesworld.md, "The CLIP").</summary>
    /// <value><see cref="ClipVisionTower.Convolutional"/>.</value>
    public ClipVisionTower ClipTower { get; set; } = ClipVisionTower.Convolutional;

    /// <summary>Layers of the convolutional image tower, in <see cref="ClipVisionConfig.ConvLayers"/>'s notation.</summary>
    /// <value><c>"16 16 M 32 32 M 32 M"</c>.</value>
    public string ClipConvLayers { get; set; } = "16 16 M 32 32 M 32 M";

    /// <summary>Whether the convolutional image tower adds its position-free max-pooled branch
    /// (<see cref="ClipVisionConfig.ConvGlobalMaxPool"/>).</summary>
    /// <value>true: on the validation split of the default world (1,500 steps, hard-negative groups of 4) it raised the
    /// retrieval ceiling's scene F1 from 0.217 to 0.250 (docs/shapesworld.md, "The CLIP").</value>
    public bool ClipConvGlobalMaxPool { get; set; } = true;

    /// <summary>Width of the CLIP's text transformer (and of the ViT image tower).</summary>
    /// <value>128 (4 heads). On the validation split (5 × 5 world, 1,800 steps) width 128 retrieved more of the scene than 64
    /// (ceiling 40.5 % against 36.6 %; paired captioner 36.1 % against 32.5 %); since the image tower's step got about
    /// 1.8× faster the wider text tower costs about 15 % of a step (102 against 86–101 ms, <c>crossmodal bench shapes-clip</c>).
    /// Wider still learns more slowly: at 2,000 steps widths 192 and 256 retrieved 33.2 % and 28.5 % against 42.0 %.</value>
    public int ClipWidth { get; set; } = 128;

    /// <summary>Transformer blocks of each CLIP tower.</summary>
    /// <value>2.</value>
    public int ClipLayers { get; set; } = 2;

    /// <summary>Side of a ViT patch in pixels (the ViT image tower only).</summary>
    /// <value>8 (a 4×4 grid for 32×32 images).</value>
    public int ClipPatchSize { get; set; } = 8;

    /// <summary>D, the joint embedding width.</summary>
    /// <value>256: on the validation split, 64 dimensions gave a retrieval ceiling of 25.0 % and a shape probe of 0.79,
    /// 256 dimensions 27.8 % and 25.8 % (two batch orders) with the shape probe at 0.91–0.95, for about 10 % more CLIP time.</value>
    public int EmbeddingDimension { get; set; } = 256;

    /// <summary>Optimiser steps of every captioner (the same budget for each strategy and the ceiling).</summary>
    /// <value>12800 in batches grouped by length (<see cref="CaptionerGroupByLength"/>): 20 epochs of the paired
    /// captioner's 20,000 web pairs, 4 of the text-only captioners' 100,000 corpus captions.
    /// With the default CLIP (group loss weight 4) the whole run on the validation photos gave the paired captioner
    /// 46.0 % scene F1 at 6,400 grouped steps, 49.4 % at 11,200 and 51.8 % at 12,800 (C1 38.1, 41.2, 39.7 %); alone, a
    /// paired captioner with a peak learning rate of 3·10⁻³ or 4·10⁻³ instead of 2·10⁻³ did no better at 6,400 steps
    /// (45.2 %, 45.4 % against 46.0 %). With earlier CLIPs: 7.5 % at 600 ungrouped steps, 28.3 % at 2,400, 29.4 % at
    /// 3,200 (mean of 3 seeds), 36.3 % at 4,800. 1800 in <see cref="Quick"/>: on the quick run's validation photos the
    /// paired captioner reached 19.8 % at 600 steps, 25.4 % at 1,800 and 25.2 % at 2,400 (72 / 99 / 118 s wall for the
    /// whole quick run).</value>
    public int CaptionerSteps { get; set; } = 12800;

    /// <summary>Whether the captioners batch captions of similar length together
    /// (<see cref="CaptionTrainerOptions.GroupByLength"/>): a step then costs about half as much (the captions run from 4
    /// to about 30 words), so twice the steps fit the same time; at equal steps it wrote a little less of the scene
    /// (3,200 steps, three seeds on the validation photos: 27.6 % grouped against 31.2 % ungrouped), at equal time more
    /// (6,400 grouped steps: 36.0 %).</summary>
    /// <value>true.</value>
    public bool CaptionerGroupByLength { get; set; } = true;

    /// <summary>Captions per captioner step.</summary>
    /// <value>32.</value>
    public int CaptionerBatchSize { get; set; } = 32;

    /// <summary>Peak learning rate of the captioners.</summary>
    /// <value>2e-3.</value>
    public float CaptionerLearningRate { get; set; } = 2e-3f;

    /// <summary>Width of the from-scratch GPT-2-style decoder.</summary>
    /// <value>64.</value>
    public int DecoderWidth { get; set; } = 64;

    /// <summary>Blocks of the decoder.</summary>
    /// <value>2.</value>
    public int DecoderLayers { get; set; } = 2;

    /// <summary>Generator steps of the adversarial (CgT-GAN) row, trained from each seed's C1 captioner; 0 leaves the row out.</summary>
    /// <value>300; 60 in <see cref="Quick"/>.</value>
    public int AdversarialSteps { get; set; } = 300;

    /// <summary>Whether the adversarial stage also trains the ablations CLIP-cos + D, CLIP-agg only and D only.</summary>
    /// <value>false.</value>
    public bool AdversarialAblations { get; set; }

    /// <summary>AdamW learning rate of the adversarial generator and discriminator.</summary>
    /// <value>1e-4.</value>
    public float AdversarialLearningRate { get; set; } = 1e-4f;

    /// <summary>Corpus captions rendered in the synthetic style for SynTIC's pseudo pairs.</summary>
    /// <value>2000.</value>
    public int SyntheticRenders { get; set; } = 2000;

    /// <summary>The split every system is scored on: the test photos (the reported run) or the validation photos (for
    /// choosing settings without looking at the test photos).</summary>
    /// <value><see cref="ShapesEvaluationSplit.Test"/>.</value>
    public ShapesEvaluationSplit EvaluationSplit { get; set; } = ShapesEvaluationSplit.Test;

    /// <summary>How many evaluation photos the report shows with every system's caption.</summary>
    /// <value>10.</value>
    public int ShowcaseCount { get; set; } = 10;

    /// <summary>How many worlds the whole run is repeated over (world, CLIP and captioners), with world seeds
    /// <c>World.Seed</c>, <c>World.Seed + 1</c>, …; the report pools them and keeps each world's results.</summary>
    /// <value>1.</value>
    public int Worlds { get; set; } = 1;

    /// <summary>Resamples of the paired bootstrap of each bridge's scene-F1 difference to C1 (<see cref="PairedBootstrap"/>).</summary>
    /// <value>2000.</value>
    public int BootstrapResamples { get; set; } = 2000;

    /// <summary>Seed of the bootstrap's resampling.</summary>
    /// <value>20221128.</value>
    public int BootstrapSeed { get; set; } = 20221128;

    /// <summary>Which arms of the gap study run (the trained CLIP's own point is always reported).</summary>
    /// <value><see cref="ShapesGapStudy.Emulated"/>: the natural arm trains one more CLIP per extra temperature (the
    /// default run took 19 min 6 s with it, 5 min 56 s of them in the gap study, against the 15-minute budget), so it
    /// runs on request (<see cref="ShapesGapStudy.Full"/>).</value>
    public ShapesGapStudy GapStudy { get; set; } = ShapesGapStudy.Emulated;

    /// <summary>The centroid distances the emulated arm shifts the image embeddings to; up to real CLIP's (0.82–0.86
    /// on COCO with ViT-B/32, Liang et al. 2022, and the gap lab's ViT-B/16 measurement).</summary>
    /// <value>0.1, 0.25, 0.4, 0.55, 0.7, 0.84.</value>
    public IReadOnlyList<double> EmulatedCentroidDistances { get; set; } = [0.1, 0.25, 0.4, 0.55, 0.7, 0.84];

    /// <summary>The CLIP logit scales of the natural arm (null: learned); a scale equal to <see cref="ClipLogitScale"/>
    /// reuses the main run instead of training again.</summary>
    /// <value>learned, 30. Each further scale trains another CLIP (about five minutes on a 2-core machine), which the
    /// 15-minute budget of the default run does not hold; pass more, such as 100, when time allows.</value>
    public IReadOnlyList<float?> NaturalGapLogitScales { get; set; } = [null, 30f];

    /// <summary>The systems the natural arm trains a captioner for (one seed each); the emulated arm reuses every
    /// system's first-seed captioner, since it costs only inference.</summary>
    /// <value>C1, C3, paired.</value>
    public IReadOnlyList<string> NaturalGapSystems { get; set; } = ["C1", "C3", "paired"];

    /// <summary>A copy whose <see cref="World"/> is a copy too, so the copy can change them freely.</summary>
    public ShapesExperimentOptions Clone()
    {
        var copy = (ShapesExperimentOptions)MemberwiseClone();
        copy.World = new ShapesWorldOptions
        {
            Seed = World.Seed,
            ImageSize = World.ImageSize,
            WebPairs = World.WebPairs,
            CorpusCaptions = World.CorpusCaptions,
            AuxiliaryPairs = World.AuxiliaryPairs,
            UnpairedPhotos = World.UnpairedPhotos,
            ValidationScenes = World.ValidationScenes,
            TestScenes = World.TestScenes,
            ReferencesPerScene = World.ReferencesPerScene,
            ObjectCountWeights = World.ObjectCountWeights,
            Kinds = World.Kinds,
        };
        return copy;
    }

    /// <summary>The documented default run.</summary>
    public static ShapesExperimentOptions Default() => new();

    /// <summary>The quick run: a small world, one seed, short budgets.</summary>
    public static ShapesExperimentOptions Quick() => new()
    {
        World = QuickWorld(),
        Seeds = 1,
        ClipSteps = 700,
        ClipBatchSize = 64,
        CaptionerSteps = 1800,
        AdversarialSteps = 60,
        SyntheticRenders = 400,
    };

    private static ShapesWorldOptions QuickWorld()
    {
        var world = ShapesWorldOptions.Quick();
        world.WebPairs = 4_000;
        return world;
    }

    /// <summary>Throws naming the first invalid option.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(World, nameof(World));
        World.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Seeds, nameof(Seeds));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ClipSteps, nameof(ClipSteps));
        ArgumentOutOfRangeException.ThrowIfLessThan(ClipBatchSize, 2, nameof(ClipBatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ClipHardNegatives, nameof(ClipHardNegatives));
        if (ClipBatchSize % ClipHardNegatives != 0)
        {
            throw new ArgumentException($"ClipBatchSize {ClipBatchSize} must be a multiple of ClipHardNegatives {ClipHardNegatives} (whole groups per batch).", nameof(ClipBatchSize));
        }

        if (!(ClipGroupLossWeight >= 0f) || !float.IsFinite(ClipGroupLossWeight))
        {
            throw new ArgumentException($"ClipGroupLossWeight must be a finite weight ≥ 0 but is {ClipGroupLossWeight}.", nameof(ClipGroupLossWeight));
        }

        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ClipWidth, nameof(ClipWidth));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ClipLayers, nameof(ClipLayers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(EmbeddingDimension, nameof(EmbeddingDimension));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CaptionerSteps, nameof(CaptionerSteps));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CaptionerBatchSize, nameof(CaptionerBatchSize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DecoderWidth, nameof(DecoderWidth));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DecoderLayers, nameof(DecoderLayers));
        ArgumentOutOfRangeException.ThrowIfNegative(SyntheticRenders, nameof(SyntheticRenders));
        ArgumentOutOfRangeException.ThrowIfNegative(AdversarialSteps, nameof(AdversarialSteps));
        if (!(AdversarialLearningRate > 0f) || !float.IsFinite(AdversarialLearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(AdversarialLearningRate), AdversarialLearningRate, "Expected a positive, finite learning rate.");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(ShowcaseCount, nameof(ShowcaseCount));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(CaptionerWorkers, nameof(CaptionerWorkers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Worlds, nameof(Worlds));
        ArgumentOutOfRangeException.ThrowIfLessThan(BootstrapResamples, 100, nameof(BootstrapResamples));
        if (!Enum.IsDefined(GapStudy))
        {
            throw new ArgumentException($"GapStudy must be None, Emulated or Full but is {(int)GapStudy}.", nameof(GapStudy));
        }

        ArgumentNullException.ThrowIfNull(EmulatedCentroidDistances, nameof(EmulatedCentroidDistances));
        ArgumentNullException.ThrowIfNull(NaturalGapLogitScales, nameof(NaturalGapLogitScales));
        ArgumentNullException.ThrowIfNull(NaturalGapSystems, nameof(NaturalGapSystems));
        foreach (var distance in EmulatedCentroidDistances)
        {
            if (!(distance is >= 0 and <= 2))
            {
                throw new ArgumentException($"EmulatedCentroidDistances must lie in [0, 2] (unit vectors) but holds {distance}.", nameof(EmulatedCentroidDistances));
            }
        }

        foreach (var natural in NaturalGapLogitScales)
        {
            if (natural is { } v && !(v is > 0 and <= 1000))
            {
                throw new ArgumentException($"NaturalGapLogitScales must be in (0, 1000] or null (learned) but holds {v}.", nameof(NaturalGapLogitScales));
            }
        }

        foreach (var name in NaturalGapSystems)
        {
            if (!ShapesExperiment.Systems.Any(s => s.Name == name))
            {
                throw new ArgumentException($"NaturalGapSystems names '{name}', which is not a system ({string.Join(", ", ShapesExperiment.Systems.Select(s => s.Name))}).", nameof(NaturalGapSystems));
            }
        }
        if (!Enum.IsDefined(EvaluationSplit))
        {
            throw new ArgumentException($"EvaluationSplit must be Test or Validation but is {(int)EvaluationSplit}.", nameof(EvaluationSplit));
        }

        if (ClipLogitScale is { } scale && !(scale is > 0 and <= 1000))
        {
            throw new ArgumentException($"ClipLogitScale must be in (0, 1000] or null (learned) but is {scale}.", nameof(ClipLogitScale));
        }
        if (ClipTower == ClipVisionTower.Transformer && World.ImageSize % ClipPatchSize != 0)
        {
            throw new ArgumentException($"ClipPatchSize {ClipPatchSize} must divide the image size {World.ImageSize}.", nameof(ClipPatchSize));
        }

        if (ClipTower == ClipVisionTower.Convolutional)
        {
            try
            {
                new ClipConfig { Vision = new ClipVisionConfig { Tower = ClipTower, ConvLayers = ClipConvLayers, ImageSize = World.ImageSize } }.Validate();
            }
            catch (ArgumentException e)
            {
                throw new ArgumentException($"ClipConvLayers: {e.Message}", nameof(ClipConvLayers), e);
            }
        }

        if (!(ClipLearningRate > 0) || !(CaptionerLearningRate > 0))
        {
            throw new ArgumentException("ClipLearningRate and CaptionerLearningRate must be positive.", nameof(ClipLearningRate));
        }
    }
}

/// <summary>Which arms of the gap study a <see cref="ShapesExperiment"/> runs.</summary>
public enum ShapesGapStudy
{
    /// <summary>No gap study beyond the trained CLIP's own point.</summary>
    None,

    /// <summary>The emulated arm only: the trained CLIP's image embeddings shifted along the gap vector (inference only).</summary>
    Emulated,

    /// <summary>Both arms: also CLIPs trained at the <see cref="ShapesExperimentOptions.NaturalGapLogitScales"/>.</summary>
    Full,
}

/// <summary>The split a <see cref="ShapesExperiment"/> scores its systems on.</summary>
public enum ShapesEvaluationSplit
{
    /// <summary>The test photos: the split results are reported on.</summary>
    Test,

    /// <summary>The validation photos: the split settings may be chosen on.</summary>
    Validation,
}
