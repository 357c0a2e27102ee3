using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading.Tasks;
using CrossModal.Abstractions;
using CrossModal.ShapesWorld.Rendering;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Data;

/// <summary>One item of a split: the scene behind it, its captions, and the seed its photo is rendered with.</summary>
/// <param name="Scene">The placed scene (ground truth; text-only training must not look at it).</param>
/// <param name="Captions">One caption (pairs, corpus), the references (validation, test) or none (unpaired photos).</param>
/// <param name="RenderSeed">Seed of this item's photo.</param>
public sealed record ShapesWorldExample(Scene Scene, IReadOnlyList<string> Captions, ulong RenderSeed)
{
    /// <summary>The first caption.</summary>
    /// <exception cref="InvalidOperationException">The item has no caption (an unpaired photo).</exception>
    public string Caption => Captions.Count > 0 ? Captions[0] : throw new InvalidOperationException("This item (an unpaired photo) has no caption.");
}

/// <summary>A split of the world: its items, and (where the split has images) their photos, rendered on demand.</summary>
public sealed class ShapesWorldSplit
{
    private readonly ShapesRenderer _renderer;

    internal ShapesWorldSplit(string name, bool hasImages, IReadOnlyList<ShapesWorldExample> examples, ShapesRenderer renderer)
    {
        Name = name;
        HasImages = hasImages;
        Examples = examples;
        _renderer = renderer;
    }

    /// <summary>"web", "corpus", "auxiliary", "unpaired", "validation" or "test".</summary>
    public string Name { get; }

    /// <summary>Whether the split comes with photos (false for the text-only corpus).</summary>
    public bool HasImages { get; }

    /// <summary>The items.</summary>
    public IReadOnlyList<ShapesWorldExample> Examples { get; }

    /// <summary>Number of items.</summary>
    public int Count => Examples.Count;

    /// <summary>The first caption of every item (empty for unpaired photos).</summary>
    public IReadOnlyList<string> Captions => Examples.Select(e => e.Captions.Count > 0 ? e.Captions[0] : string.Empty).ToArray();

    /// <summary>Every item's references (validation and test: five each).</summary>
    public IReadOnlyList<IReadOnlyList<string>> References => Examples.Select(e => e.Captions).ToArray();

    /// <summary>The scene description of every item.</summary>
    public IReadOnlyList<SceneDescription> Scenes => Examples.Select(e => e.Scene.Description).ToArray();

    /// <summary>Renders the photo of item <paramref name="index"/>.</summary>
    /// <param name="index">Item index.</param>
    /// <returns>The photo.</returns>
    /// <exception cref="InvalidOperationException">The split is text-only.</exception>
    public ImageData RenderPhoto(int index)
    {
        if (!HasImages)
        {
            throw new InvalidOperationException($"The {Name} split is text-only: it has no photos.");
        }

        ShapesWorldExample e = Examples[index];
        return _renderer.Render(e.Scene, RenderStyle.Photo, e.RenderSeed);
    }

    /// <summary>Renders every photo of the split (in parallel; the result does not depend on the thread count).</summary>
    /// <returns>One photo per item.</returns>
    public ImageData[] RenderPhotos()
    {
        var images = new ImageData[Count];
        Parallel.For(0, Count, i => images[i] = RenderPhoto(i));
        return images;
    }
}
