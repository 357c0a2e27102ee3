using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Rendering;

/// <summary>The nominal RGB of each colour, in [0, 1].</summary>
public static class ColorPalette
{
    /// <summary>The nominal colour.</summary>
    /// <param name="color">A colour.</param>
    /// <returns>(r, g, b) in [0, 1].</returns>
    public static (float R, float G, float B) Rgb(ShapeColor color) => color switch
    {
        ShapeColor.Red => (0.86f, 0.12f, 0.12f),
        ShapeColor.Orange => (0.97f, 0.55f, 0.08f),
        ShapeColor.Yellow => (0.96f, 0.86f, 0.12f),
        ShapeColor.Green => (0.14f, 0.66f, 0.22f),
        ShapeColor.Blue => (0.14f, 0.30f, 0.88f),
        ShapeColor.Purple => (0.55f, 0.20f, 0.75f),
        _ => (0.98f, 0.50f, 0.74f),
    };
}
