using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// CLIP-score (Hessel et al., "CLIPScore", EMNLP 2021, eq. 1): w · max(cos(image, caption), 0) with w = 2.5, from
/// CLIP embeddings of each image and its candidate caption.
/// </summary>
public static class ClipScore
{
    /// <summary>The paper's rescaling weight.</summary>
    public const float DefaultWeight = 2.5f;

    /// <summary>Per-pair scores: row i of <paramref name="images"/> with row i of <paramref name="captions"/>.</summary>
    /// <param name="images">Image embeddings (rows × dim); need not be normalised.</param>
    /// <param name="captions">Caption embeddings, same shape.</param>
    /// <param name="weight">w; positive.</param>
    /// <exception cref="ArgumentException">Shapes differ, or a row has zero norm or a non-finite value.</exception>
    public static float[] Compute(EmbeddingMatrix images, EmbeddingMatrix captions, float weight = DefaultWeight)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(captions);
        if (images.Rows != captions.Rows || images.Dimension != captions.Dimension)
        {
            throw new ArgumentException(
                $"Image embeddings are {images.Rows} × {images.Dimension} but caption embeddings are {captions.Rows} × {captions.Dimension}.", nameof(captions));
        }

        if (!(weight > 0) || float.IsInfinity(weight))
        {
            throw new ArgumentOutOfRangeException(nameof(weight), weight, "The weight must be positive and finite.");
        }

        var scores = new float[images.Rows];
        for (var i = 0; i < scores.Length; i++)
        {
            ReadOnlySpan<float> image = images.Row(i);
            ReadOnlySpan<float> caption = captions.Row(i);
            var normImage = TensorPrimitives.Norm(image);
            var normCaption = TensorPrimitives.Norm(caption);
            if (!(normImage > 0) || !(normCaption > 0) || !float.IsFinite(normImage) || !float.IsFinite(normCaption))
            {
                throw new ArgumentException($"Row {i} has a zero or non-finite norm (image {normImage}, caption {normCaption}).",
                                            normImage > 0 && float.IsFinite(normImage) ? nameof(captions) : nameof(images));
            }

            var cosine = TensorPrimitives.Dot(image, caption) / (normImage * normCaption);
            scores[i] = weight * MathF.Max(cosine, 0f);
        }

        return scores;
    }

    /// <summary>Mean CLIP-score over all pairs.</summary>
    /// <param name="images">Image embeddings (rows × dim).</param>
    /// <param name="captions">Caption embeddings, same shape.</param>
    /// <param name="weight">w; positive.</param>
    public static double Mean(EmbeddingMatrix images, EmbeddingMatrix captions, float weight = DefaultWeight)
    {
        var scores = Compute(images, captions, weight);
        if (scores.Length == 0)
        {
            return double.NaN;
        }

        var sum = 0.0;
        foreach (var s in scores)
        {
            sum += s;
        }

        return sum / scores.Length;
    }
}
