using System;
using System.Numerics.Tensors;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Tensors;

namespace CrossModal.Training.Adversarial;

/// <summary>CgT-GAN's CLIP-cos reward: <c>s·cos(v, x)</c> of the image embedding v and the caption's text embedding x.</summary>
public sealed class ClipCosineReward : IRewardFunction
{
    private readonly EmbeddingMatrix _images;

    /// <summary>Creates the reward over the training images.</summary>
    /// <param name="images">(M, D) image embeddings of the training images (normalised here).</param>
    /// <param name="logitScale">s; CLIP's 100.</param>
    public ClipCosineReward(EmbeddingMatrix images, float logitScale = 100f)
    {
        ArgumentNullException.ThrowIfNull(images);
        images.EnsureFinite(nameof(images));
        ClipRewardMath.CheckPositive(logitScale, nameof(logitScale));
        _images = ClipRewardMath.Normalized(images);
        LogitScale = logitScale;
    }

    /// <inheritdoc />
    public string Name => "clip-cos";

    /// <summary>s.</summary>
    public float LogitScale { get; }

    /// <inheritdoc />
    public void Compute(Span<float> rewards, RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.CheckRewards(rewards, _images.Rows);
        var texts = batch.RequireTextEmbeddings(Name, _images.Dimension);
        for (var i = 0; i < batch.Count; i++)
        {
            rewards[i] = LogitScale * ClipRewardMath.Cosine(_images.Row(batch.ImageIndices[i]), texts.Row(i));
        }
    }
}

/// <summary>
/// CgT-GAN's CLIP-agg reward (Yu et al. 2023, §3.2): the image embedding is replaced by its aggregate over the text
/// corpus, <c>agg(v) = n(Σ_j softmax_j(cos(v, c_j)/τ)·c_j)</c> (the support-set projection of
/// <see cref="SupportSetProjection"/>, computed once per training image), and the reward mixes cosine and L1 agreement:
/// <c>w·s·cos(agg, x) + (1 − w)·s·(1 − mean_d |agg_d − x_d|)</c>.
/// </summary>
public sealed class ClipAggregateReward : IRewardFunction
{
    private readonly float[] _scratch;

    /// <summary>Projects every training image onto the corpus.</summary>
    /// <param name="images">(M, D) image embeddings of the training images (normalised here).</param>
    /// <param name="corpus">(N, D) text embeddings of the corpus sentences (normalised here).</param>
    /// <param name="temperature">τ of the aggregation softmax; 1/100.</param>
    /// <param name="cosineWeight">w; 0.5.</param>
    /// <param name="logitScale">s; 100.</param>
    /// <param name="backend">Where the projection runs; the CPU backend when null.</param>
    public ClipAggregateReward(EmbeddingMatrix images, EmbeddingMatrix corpus, float temperature = 0.01f, float cosineWeight = 0.5f, float logitScale = 100f, IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(corpus);
        images.EnsureFinite(nameof(images));
        corpus.EnsureFinite(nameof(corpus));
        corpus.EnsureDimension(images.Dimension, nameof(corpus));
        ClipRewardMath.CheckPositive(temperature, nameof(temperature));
        ClipRewardMath.CheckPositive(logitScale, nameof(logitScale));
        if (!(cosineWeight >= 0f && cosineWeight <= 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(cosineWeight), cosineWeight, "Expected a weight in [0, 1].");
        }

        if (corpus.Rows == 0)
        {
            throw new ArgumentException("The corpus is empty.", nameof(corpus));
        }

        var q = ClipRewardMath.Normalized(images);
        var s = ClipRewardMath.Normalized(corpus);
        Aggregates = new EmbeddingMatrix(images.Rows, images.Dimension);
        SupportSetProjection.Project(Aggregates.Span, q.Span, q.Rows, s.Span, s.Rows, s.Dimension, temperature, 0, backend);
        CosineWeight = cosineWeight;
        LogitScale = logitScale;
        _scratch = new float[images.Dimension];
    }

    /// <inheritdoc />
    public string Name => "clip-agg";

    /// <summary>(M, D) agg(v) of every training image, unit length.</summary>
    public EmbeddingMatrix Aggregates { get; }

    /// <summary>w.</summary>
    public float CosineWeight { get; }

    /// <summary>s.</summary>
    public float LogitScale { get; }

    /// <inheritdoc />
    public void Compute(Span<float> rewards, RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.CheckRewards(rewards, Aggregates.Rows);
        var texts = batch.RequireTextEmbeddings(Name, Aggregates.Dimension);
        for (var i = 0; i < batch.Count; i++)
        {
            var agg = Aggregates.Row(batch.ImageIndices[i]);
            var x = _scratch.AsSpan();
            texts.Row(i).CopyTo(x);
            ClipRewardMath.Normalize(x);
            // agg is unit length and x unit or zero (an all-zero embedding has cosine 0, not 0/0).
            var cos = ClipRewardMath.Cosine(agg, x);
            TensorPrimitives.Subtract(agg, x, x);
            var l1 = TensorPrimitives.SumOfMagnitudes(x) / x.Length;
            rewards[i] = (CosineWeight * LogitScale * cos) + ((1f - CosineWeight) * LogitScale * (1f - l1));
        }
    }
}

internal static class ClipRewardMath
{
    public static void CheckPositive(float value, string name)
    {
        if (!(value > 0f) || !float.IsFinite(value))
        {
            throw new ArgumentOutOfRangeException(name, value, "Expected a positive, finite value.");
        }
    }

    public static EmbeddingMatrix Normalized(EmbeddingMatrix m)
    {
        var copy = m.Clone();
        for (var r = 0; r < copy.Rows; r++)
        {
            Normalize(copy.Row(r));
        }

        return copy;
    }

    public static void Normalize(Span<float> row)
    {
        var norm = TensorPrimitives.Norm(row);
        if (norm > 0f)
        {
            TensorPrimitives.Divide(row, norm, row);
        }
    }

    public static float Cosine(ReadOnlySpan<float> unitImage, ReadOnlySpan<float> text)
    {
        var norm = TensorPrimitives.Norm(text);
        return norm > 0f ? TensorPrimitives.Dot(unitImage, text) / norm : 0f;
    }
}
