using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using CrossModal.Abstractions;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.Rendering;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Data;

/// <summary>
/// A ShapesWorld dataset: six splits disjoint by scene (no <see cref="SceneDescription.Key"/> occurs in two splits).
/// Scenes are drawn one after another, each from its own seed derived from <see cref="ShapesWorldOptions.Seed"/> and
/// its draw number; a scene's split is fixed by a seeded hash of its key, with buckets proportional to the requested
/// split sizes, and a draw whose bucket is full is discarded. Validation and test scenes are also distinct within
/// their split. Photos are rendered on demand from per-item seeds, so the dataset itself is small.
/// </summary>
public sealed class ShapesWorldDataset
{
    private const ulong PhotoStream = 0x50484F544FUL;
    private const ulong CaptionStream = 0x43415054UL;
    private const ulong SplitStream = 0x53504C4954UL;

    private const ulong VariantStream = 0x56415249414EUL;

    private readonly ulong _splitSeed;
    private readonly double[] _cumulative;

    private ShapesWorldDataset(ShapesWorldOptions options, ShapesRenderer renderer, ShapesWorldSplit[] splits, ulong splitSeed, double[] cumulative)
    {
        _splitSeed = splitSeed;
        _cumulative = cumulative;
        Options = options;
        Renderer = renderer;
        Web = splits[0];
        Corpus = splits[1];
        Auxiliary = splits[2];
        Unpaired = splits[3];
        Validation = splits[4];
        Test = splits[5];
        Splits = splits;
        TextToImage = new CaptionRenderer(renderer, RenderStyle.Synthetic, options.Kinds);
    }

    /// <summary>The options the dataset was made with.</summary>
    public ShapesWorldOptions Options { get; }

    /// <summary>The renderer of the photos (and of synthetic images).</summary>
    public ShapesRenderer Renderer { get; }

    /// <summary>The world's text-to-image model: caption → synthetic-style image (SynTIC's role).</summary>
    public CaptionRenderer TextToImage { get; }

    /// <summary>Photo–caption pairs for contrastive pretraining.</summary>
    public ShapesWorldSplit Web { get; }

    /// <summary>The text-only caption corpus (its items carry their scenes for analysis only; it has no photos).</summary>
    public ShapesWorldSplit Corpus { get; }

    /// <summary>The small paired auxiliary set (for CLOSE's adapters).</summary>
    public ShapesWorldSplit Auxiliary { get; }

    /// <summary>Photos without captions (for Collapse's image mean).</summary>
    public ShapesWorldSplit Unpaired { get; }

    /// <summary>Validation photos with five references each, for any tuning.</summary>
    public ShapesWorldSplit Validation { get; }

    /// <summary>Test photos with five references each.</summary>
    public ShapesWorldSplit Test { get; }

    /// <summary>All six splits in the order web, corpus, auxiliary, unpaired, validation, test.</summary>
    public IReadOnlyList<ShapesWorldSplit> Splits { get; }

    /// <summary>Generates a dataset.</summary>
    /// <param name="options">Sizes and seed; validated.</param>
    /// <returns>The dataset.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="InvalidOperationException">The world has too few distinct scenes for the requested validation/test sizes.</exception>
    public static ShapesWorldDataset Generate(ShapesWorldOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var generator = new SceneGenerator(options.ObjectCountWeights, options.Kinds);
        var renderer = new ShapesRenderer(options.ImageSize);

        string[] names = ["web", "corpus", "auxiliary", "unpaired", "validation", "test"];
        int[] targets = [options.WebPairs, options.CorpusCaptions, options.AuxiliaryPairs, options.UnpairedPhotos, options.ValidationScenes, options.TestScenes];
        bool[] distinct = [false, false, false, false, true, true];
        var items = new List<ShapesWorldExample>[6];
        var keys = new HashSet<string>[6];
        double[] cumulative = new double[6];
        long total = 0;
        for (int i = 0; i < 6; i++)
        {
            items[i] = new List<ShapesWorldExample>(targets[i]);
            keys[i] = new HashSet<string>(StringComparer.Ordinal);
            total += targets[i];
            cumulative[i] = total;
        }

        for (int i = 0; i < 6; i++)
        {
            cumulative[i] /= total;
        }

        ulong splitSeed = WorldRandom.Derive(options.Seed, SplitStream);
        long maxDraws = 100 * total + 100_000;
        int unfilled = 0;
        for (int i = 0; i < 6; i++)
        {
            unfilled += targets[i] > 0 ? 1 : 0;
        }

        for (long draw = 0; unfilled > 0; draw++)
        {
            if (draw >= maxDraws)
            {
                throw new InvalidOperationException(
                    $"After {draw} scenes the splits are still not full (validation {items[4].Count}/{targets[4]}, test {items[5].Count}/{targets[5]}): " +
                    "the world has too few distinct scenes for these sizes; lower ValidationScenes/TestScenes or allow more objects per scene.");
            }

            ulong drawSeed = WorldRandom.Derive(options.Seed, (ulong)draw);
            var random = new WorldRandom(drawSeed);
            Scene scene = generator.Next(random);
            string key = scene.Description.Key;
            int split = Bucket(splitSeed, key, cumulative);
            if (items[split].Count >= targets[split] || (distinct[split] && !keys[split].Add(key)))
            {
                continue;
            }

            var captionRandom = new WorldRandom(WorldRandom.Derive(drawSeed, CaptionStream));
            IReadOnlyList<string> captions = split switch
            {
                3 => [],
                4 or 5 => CaptionGrammar.SampleDistinct(scene.Description, options.ReferencesPerScene, captionRandom),
                _ => [CaptionGrammar.Sample(scene.Description, captionRandom)],
            };
            items[split].Add(new ShapesWorldExample(scene, captions, WorldRandom.Derive(drawSeed, PhotoStream)));
            if (items[split].Count == targets[split])
            {
                unfilled--;
            }
        }

        var splits = new ShapesWorldSplit[6];
        for (int i = 0; i < 6; i++)
        {
            splits[i] = new ShapesWorldSplit(names[i], hasImages: i != 1, items[i], renderer);
        }

        return new ShapesWorldDataset(options, renderer, splits, splitSeed, cumulative);
    }

    /// <summary>
    /// The web pairs in groups of hard negatives, for contrastive training with
    /// <c>ClipContrastiveTrainerOptions.GroupSize</c> = <paramref name="groupSize"/>: each web pair is followed by
    /// <paramref name="groupSize"/> − 1 minimal-pair variants of its scene (<see cref="SceneVariants.HardNegativeGroup"/>:
    /// colours swapped, sizes swapped, shapes redrawn, colours redrawn, from the world's <see cref="ShapesWorldOptions.Kinds"/>),
    /// each photographed and captioned afresh from seeds derived from the pair's. A variant is used only when the
    /// dataset's scene hash does not assign it to the validation or test split, so no variant can be a scene of either
    /// (drawn or not), and the evaluation scenes stay unseen. Variants may be scenes of the other training splits
    /// (corpus, auxiliary, unpaired): the CLIP stands for a model pretrained on web data, which is no evaluation data.
    /// A web pair with too few admissible variants is left out with its group.
    /// </summary>
    /// <param name="groupSize">Pairs per group, at least 1 (1: the web pairs as they are).</param>
    /// <returns>The grouped pairs; photos rendered in parallel (the result does not depend on the thread count).</returns>
    public ShapesWorldPairs WebHardNegativeGroups(int groupSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(groupSize, 1);
        var examples = Web.Examples;
        var groups = new IReadOnlyList<Scene>?[examples.Count];
        const int validationBucket = 4;
        Parallel.For(0, examples.Count, i =>
        {
            var random = new WorldRandom(WorldRandom.Derive(examples[i].RenderSeed, VariantStream));
            var group = SceneVariants.HardNegativeGroup(examples[i].Scene, groupSize, random,
                d => Bucket(_splitSeed, d.Key, _cumulative) < validationBucket, Options.Kinds);
            groups[i] = group.Count == groupSize ? group : null;
        });

        var kept = groups.Count(g => g is not null);
        var photos = new ImageData[kept * groupSize];
        var captions = new string[kept * groupSize];
        var at = new int[examples.Count];
        for (int i = 0, next = 0; i < examples.Count; i++)
        {
            at[i] = groups[i] is null ? -1 : next++ * groupSize;
        }

        Parallel.For(0, examples.Count, i =>
        {
            if (groups[i] is not { } group)
            {
                return;
            }

            var example = examples[i];
            photos[at[i]] = Renderer.Render(example.Scene, RenderStyle.Photo, example.RenderSeed);
            captions[at[i]] = example.Caption;
            for (var v = 1; v < groupSize; v++)
            {
                var seed = WorldRandom.Derive(example.RenderSeed, VariantStream + (ulong)v);
                photos[at[i] + v] = Renderer.Render(group[v], RenderStyle.Photo, WorldRandom.Derive(seed, PhotoStream));
                captions[at[i] + v] = CaptionGrammar.Sample(group[v].Description, new WorldRandom(WorldRandom.Derive(seed, CaptionStream)));
            }
        });

        return new ShapesWorldPairs(photos, captions, groupSize, examples.Count - kept);
    }

    // The split of a scene: a seeded 64-bit FNV-1a hash of its key, mixed and mapped to [0, 1), against the
    // cumulative split fractions. string.GetHashCode is randomised per process, so it cannot be used here.
    private static int Bucket(ulong seed, string key, double[] cumulative)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in key)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        double u = (WorldRandom.Derive(seed, h) >> 11) * (1.0 / (1UL << 53));
        for (int i = 0; i < cumulative.Length - 1; i++)
        {
            if (u < cumulative[i])
            {
                return i;
            }
        }

        return cumulative.Length - 1;
    }
}
