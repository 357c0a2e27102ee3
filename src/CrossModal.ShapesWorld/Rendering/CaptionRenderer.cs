using System;
using CrossModal.Abstractions;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Rendering;

/// <summary>
/// The world's text-to-image model (SynTIC's role): parses a caption, lays its scene out afresh (unstated colours
/// and sizes drawn at random, crowded scenes shrunk) and renders it, by default in the
/// <see cref="RenderStyle.Synthetic"/> style. A caption with no object gives the empty background.
/// </summary>
/// <param name="renderer">The renderer to draw with.</param>
/// <param name="style">The style (default synthetic).</param>
/// <param name="kinds">The colours an unstated colour is drawn from: the world's (default <see cref="ObjectKinds.Default"/>).</param>
public sealed class CaptionRenderer(ShapesRenderer renderer, RenderStyle style = RenderStyle.Synthetic, ObjectKinds? kinds = null)
{
    private readonly ObjectKinds _kinds = kinds ?? ObjectKinds.Default;

    private readonly ShapesRenderer _renderer = renderer ?? throw new ArgumentNullException(nameof(renderer));

    /// <summary>The style images are drawn in.</summary>
    public RenderStyle Style { get; } = style;

    /// <summary>Renders what <paramref name="caption"/> says.</summary>
    /// <param name="caption">Any caption.</param>
    /// <param name="seed">Seed of the layout and the render.</param>
    /// <returns>The image.</returns>
    public ImageData Render(string caption, ulong seed)
    {
        var random = new WorldRandom(seed);
        SceneDescription? description = CaptionParser.Parse(caption).ToSceneDescription(random, _kinds);
        if (description is null)
        {
            // Nothing to draw: an empty, off-screen object keeps the background only.
            var pixels = new byte[_renderer.ImageSize * _renderer.ImageSize * 3];
            var empty = new Scene(
                new SceneDescription([new ObjectDescription(Shape.Circle, ShapeColor.Red, ShapeSize.Small)], []),
                [new PlacedObject(new ObjectDescription(Shape.Circle, ShapeColor.Red, ShapeSize.Small), -10f, -10f, 0.01f)]);
            _renderer.Render(empty, Style, WorldRandom.Derive(seed, 1), pixels);
            return new ImageData(_renderer.ImageSize, _renderer.ImageSize, pixels);
        }

        Scene scene;
        try
        {
            scene = SceneLayout.PlaceShrinkingIfNeeded(description, random);
        }
        catch (ArgumentException)
        {
            // Contradictory relations ("A left of B, B left of A"): draw the objects without them.
            scene = SceneLayout.PlaceShrinkingIfNeeded(new SceneDescription(description.Objects, []), random);
        }

        return _renderer.Render(scene, Style, WorldRandom.Derive(seed, 2));
    }
}
