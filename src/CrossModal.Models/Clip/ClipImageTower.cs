using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Clip;

/// <summary>Which network CLIP's image tower is (<c>vision_config.tower</c> in <c>config.json</c>).</summary>
public enum ClipVisionTower
{
    /// <summary>A ViT, <see cref="ClipVisionEncoder"/> (<c>"vit"</c>): Hugging Face's <c>CLIPVisionModel</c>, the tower
    /// of every published CLIP checkpoint this library loads.</summary>
    Transformer,

    /// <summary>A small VGG-style convolutional network, <see cref="ClipConvVisionEncoder"/> (<c>"conv"</c>): a
    /// CrossModal extension for training from scratch on small images; Hugging Face <c>transformers</c> cannot load it.</summary>
    Convolutional,
}

/// <summary>
/// CLIP's image tower: maps preprocessed pixels to (unnormalised) D-dimensional image features and back-propagates
/// their gradient. <see cref="ClipModel"/> trains and encodes through this type, whichever network it is.
/// </summary>
public abstract class ClipImageTower : Module
{
    /// <summary>Creates the tower's module.</summary>
    /// <param name="backend">The compute backend.</param>
    protected ClipImageTower(IComputeBackend backend)
        : base(backend)
    {
    }

    /// <summary>Number of floats of one preprocessed image, 3·S·S.</summary>
    public abstract int PixelsPerImage { get; }

    /// <summary>Builds the tower <paramref name="config"/> names.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="config">The vision configuration.</param>
    /// <param name="projectionDim">D.</param>
    /// <returns>A <see cref="ClipVisionEncoder"/> or a <see cref="ClipConvVisionEncoder"/>.</returns>
    public static ClipImageTower Create(IComputeBackend backend, ClipVisionConfig config, int projectionDim)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config.Tower switch
        {
            ClipVisionTower.Transformer => new ClipVisionEncoder(backend, config, projectionDim),
            ClipVisionTower.Convolutional => new ClipConvVisionEncoder(backend, config, projectionDim),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Tower, "Unknown vision tower."),
        };
    }

    /// <summary>Forward pass to (unnormalised) image features.</summary>
    /// <param name="pixels">(B, 3, S, S) preprocessed pixels (see <c>ClipImagePreprocessor</c>), host memory.</param>
    /// <param name="batch">B.</param>
    /// <returns>(B, D), owned by the tower until its next call.</returns>
    public abstract Tensor Forward(ReadOnlySpan<float> pixels, int batch);

    /// <summary>Backward pass of the last <see cref="Forward"/>: accumulates every parameter gradient.</summary>
    /// <param name="dFeatures">(B, D) gradient of the features.</param>
    public abstract void Backward(Tensor dFeatures);

    /// <summary>Checks that <paramref name="pixels"/> holds <paramref name="batch"/> images.</summary>
    /// <param name="pixels">The pixels.</param>
    /// <param name="batch">B.</param>
    /// <param name="size">S.</param>
    protected void CheckPixels(ReadOnlySpan<float> pixels, int batch, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (pixels.Length != (long)batch * PixelsPerImage)
        {
            throw new ArgumentException(
                $"Expected {batch} images of 3×{size}×{size} = {(long)batch * PixelsPerImage} floats but got {pixels.Length}.",
                nameof(pixels));
        }
    }
}
