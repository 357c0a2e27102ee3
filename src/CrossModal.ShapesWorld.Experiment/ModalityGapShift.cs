using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;

namespace CrossModal.ShapesWorld.Experiment;

/// <summary>
/// Emulates a larger (or smaller) modality gap in a trained CLIP space, as Liang et al. ("Mind the Gap", NeurIPS 2022,
/// §4.2) change the gap of a trained CLIP: embeddings are moved along the gap vector — the difference of the modality
/// means — and renormalised onto the sphere. Here only the image side moves, x ↦ n(x + λ·g) with g the unit gap
/// vector from the text centroid to the image centroid, because the text-only captioners were trained on the texts as
/// they are; λ is found by bisection so that the centroid distance of the evaluation pairs reaches a requested size.
/// </summary>
public static class ModalityGapShift
{
    /// <summary>The unit gap vector g = n(mean image − mean text) of <paramref name="images"/> and <paramref name="texts"/>.</summary>
    /// <param name="images">(N, D) image embeddings (rows L2-normalised).</param>
    /// <param name="texts">(M, D) text embeddings (rows L2-normalised); need not pair with the images.</param>
    /// <exception cref="ArgumentException">The widths differ, a side is empty, or the centroids coincide.</exception>
    public static float[] GapDirection(EmbeddingMatrix images, EmbeddingMatrix texts)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        if (images.Dimension != texts.Dimension || images.Rows == 0 || texts.Rows == 0)
        {
            throw new ArgumentException($"Expected non-empty embeddings of one width; got {images.Rows}×{images.Dimension} images and {texts.Rows}×{texts.Dimension} texts.", nameof(texts));
        }

        var image = Mean(images);
        var text = Mean(texts);
        var g = new float[images.Dimension];
        TensorPrimitives.Subtract(image, text, g);
        var norm = TensorPrimitives.Norm(g);
        if (!(norm > 1e-12f))
        {
            throw new ArgumentException("The modality centroids coincide: there is no gap vector.", nameof(texts));
        }

        TensorPrimitives.Divide(g, norm, g);
        return g;
    }

    /// <summary>The rows n(x + λ·g): every embedding moved by <paramref name="amount"/> along <paramref name="direction"/> and renormalised.</summary>
    /// <param name="embeddings">(N, D) embeddings.</param>
    /// <param name="direction">(D) the unit gap vector.</param>
    /// <param name="amount">λ; positive widens the gap, negative narrows it.</param>
    /// <exception cref="ArgumentException">The direction's width differs from the embeddings'.</exception>
    public static EmbeddingMatrix Shift(EmbeddingMatrix embeddings, ReadOnlySpan<float> direction, double amount)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (direction.Length != embeddings.Dimension)
        {
            throw new ArgumentException($"direction has {direction.Length} values; the embeddings are {embeddings.Dimension} wide.", nameof(direction));
        }

        var result = embeddings.Clone();
        for (var i = 0; i < result.Rows; i++)
        {
            var row = result.Row(i);
            TensorPrimitives.MultiplyAdd(direction, (float)amount, row, row);
            var norm = TensorPrimitives.Norm(row);
            if (norm > 0)
            {
                TensorPrimitives.Divide(row, norm, row);
            }
        }

        return result;
    }

    /// <summary>The distance between the centroids (means of the unit rows) of the two sides, as
    /// <see cref="Bridging.ModalityGapReport.CentroidDistance"/> measures it (Liang et al.'s ‖mean image − mean text‖).</summary>
    /// <param name="images">(N, D) image embeddings, rows L2-normalised.</param>
    /// <param name="texts">(M, D) text embeddings, rows L2-normalised.</param>
    public static double CentroidDistance(EmbeddingMatrix images, EmbeddingMatrix texts)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        return TensorPrimitives.Distance(Mean(images), Mean(texts));
    }

    /// <summary>Finds λ such that the centroid distance of n(images + λ·g) and <paramref name="texts"/> is
    /// <paramref name="target"/> within <paramref name="tolerance"/>: bisection on the bracket found by stepping λ
    /// away from 0 (up when the target is above the current distance, down when below).</summary>
    /// <param name="images">(N, D) image embeddings of the evaluation pairs.</param>
    /// <param name="texts">(N, D) their text embeddings.</param>
    /// <param name="direction">(D) the unit gap vector.</param>
    /// <param name="target">The centroid distance asked for, in [0, 2].</param>
    /// <param name="amount">λ when found; 0 otherwise.</param>
    /// <param name="tolerance">How close the distance must come.</param>
    /// <returns>False when no λ in [−4, 64] reaches the target (a centroid distance can only move so far along one vector).</returns>
    public static bool TrySolve(EmbeddingMatrix images, EmbeddingMatrix texts, ReadOnlySpan<float> direction, double target, out double amount,
                                double tolerance = 1e-4)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(texts);
        if (!(target is >= 0 and <= 2))
        {
            throw new ArgumentOutOfRangeException(nameof(target), target, "A centroid distance of unit vectors lies in [0, 2].");
        }

        var g = direction.ToArray();
        double Distance(double lambda) => CentroidDistance(Shift(images, g, lambda), texts) - target;

        amount = 0;
        var at0 = Distance(0);
        if (Math.Abs(at0) <= tolerance)
        {
            return true;
        }

        // Bracket: walk λ away from 0 until the sign changes.
        double inner = 0, outer = 0, innerValue = at0, outerValue = at0;
        var found = false;
        var step = at0 < 0 ? 0.125 : -0.05;
        for (var k = 1; k <= 128 && !found; k++)
        {
            outer = at0 < 0 ? step * Math.Pow(2, (k - 1) / 4.0) * k : step * k;
            if (outer is > 64 or < -4)
            {
                break;
            }

            outerValue = Distance(outer);
            if (Math.Sign(outerValue) != Math.Sign(at0) || Math.Abs(outerValue) <= tolerance)
            {
                found = true;
            }
            else
            {
                inner = outer;
                innerValue = outerValue;
            }
        }

        if (!found)
        {
            return false;
        }

        for (var iteration = 0; iteration < 200 && Math.Abs(outerValue) > tolerance; iteration++)
        {
            var middle = 0.5 * (inner + outer);
            var value = Distance(middle);
            if (Math.Sign(value) == Math.Sign(innerValue))
            {
                inner = middle;
                innerValue = value;
            }
            else
            {
                outer = middle;
                outerValue = value;
            }
        }

        amount = outer;
        return Math.Abs(outerValue) <= tolerance;
    }

    private static float[] Mean(EmbeddingMatrix m)
    {
        var sum = new double[m.Dimension];
        for (var i = 0; i < m.Rows; i++)
        {
            var row = m.Row(i);
            for (var j = 0; j < sum.Length; j++)
            {
                sum[j] += row[j];
            }
        }

        var mean = new float[m.Dimension];
        for (var j = 0; j < mean.Length; j++)
        {
            mean[j] = (float)(sum[j] / m.Rows);
        }

        return mean;
    }
}
