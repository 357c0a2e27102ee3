namespace CrossModal.ShapesWorld.Rendering;

/// <summary>How a scene is drawn.</summary>
public enum RenderStyle
{
    /// <summary>
    /// The world's "real photographs": textured, noisy, tinted backgrounds; lighting gradients; soft shadows;
    /// jittered positions, sizes, rotations and colours; sensor noise and sometimes slight blur.
    /// </summary>
    Photo,

    /// <summary>
    /// The world's "generated images" (SynTIC's text-to-image role): clean flat icons with a dark outline, exact
    /// palette colours, nominal positions, on a plain light background.
    /// </summary>
    Synthetic,
}
