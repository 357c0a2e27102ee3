using System;
using System.Collections.Generic;
using CrossModal.Abstractions;

namespace CrossModal.Training.Adversarial;

/// <summary>
/// Scores sampled captions. Rewards are raw scores; the trainer subtracts a baseline (the same reward of the greedy
/// caption, or the leave-one-out mean of the other samples of the image), so "naturalness = logit(sample) −
/// logit(greedy)" and the self-critical CIDEr-D reward are this seam's score minus the greedy caption's score.
/// </summary>
public interface IRewardFunction
{
    /// <summary>A short name for progress reports, e.g. <c>clip-agg</c>.</summary>
    string Name { get; }

    /// <summary>Writes one reward per caption of <paramref name="batch"/>.</summary>
    /// <param name="rewards">(S) overwritten.</param>
    /// <param name="batch">The captions and what they describe.</param>
    void Compute(Span<float> rewards, RewardBatch batch);
}

/// <summary>A batch of S captions for <see cref="IRewardFunction.Compute"/>.</summary>
public sealed class RewardBatch
{
    /// <summary>Creates a batch; each reward function checks that what it needs is present.</summary>
    /// <param name="tokens">S token sequences without the end token.</param>
    /// <param name="imageIndices">S indices of the training image each caption was sampled for.</param>
    /// <param name="texts">S decoded captions, or null.</param>
    /// <param name="textEmbeddings">(S, D) CLIP text embeddings of the captions, or null.</param>
    public RewardBatch(IReadOnlyList<int[]> tokens, IReadOnlyList<int> imageIndices, IReadOnlyList<string>? texts = null, EmbeddingMatrix? textEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(imageIndices);
        if (imageIndices.Count != tokens.Count)
        {
            throw new ArgumentException($"Expected {tokens.Count} image indices (one per caption) but got {imageIndices.Count}.", nameof(imageIndices));
        }

        if (texts is not null && texts.Count != tokens.Count)
        {
            throw new ArgumentException($"Expected {tokens.Count} texts but got {texts.Count}.", nameof(texts));
        }

        if (textEmbeddings is not null && textEmbeddings.Rows != tokens.Count)
        {
            throw new ArgumentException($"Expected {tokens.Count} text embeddings but got {textEmbeddings.Rows}.", nameof(textEmbeddings));
        }

        Tokens = tokens;
        ImageIndices = imageIndices;
        Texts = texts;
        TextEmbeddings = textEmbeddings;
    }

    /// <summary>S.</summary>
    public int Count => Tokens.Count;

    /// <summary>Token sequences without the end token.</summary>
    public IReadOnlyList<int[]> Tokens { get; }

    /// <summary>The training image of each caption.</summary>
    public IReadOnlyList<int> ImageIndices { get; }

    /// <summary>Decoded captions, or null.</summary>
    public IReadOnlyList<string>? Texts { get; }

    /// <summary>(S, D) CLIP text embeddings of the captions, or null.</summary>
    public EmbeddingMatrix? TextEmbeddings { get; }

    internal EmbeddingMatrix RequireTextEmbeddings(string reward, int dimension)
    {
        var e = TextEmbeddings ?? throw new ArgumentException($"The {reward} reward needs the captions' text embeddings.", "batch");
        if (e.Dimension != dimension)
        {
            throw new ArgumentException($"The {reward} reward expects {dimension}-dimensional text embeddings but got {e.Dimension}.", "batch");
        }

        return e;
    }

    internal void CheckRewards(Span<float> rewards, int imageCount)
    {
        if (rewards.Length != Count)
        {
            throw new ArgumentException($"Expected {Count} reward slots but got {rewards.Length}.", nameof(rewards));
        }

        for (var i = 0; i < Count; i++)
        {
            if ((uint)ImageIndices[i] >= (uint)imageCount)
            {
                throw new ArgumentOutOfRangeException(nameof(ImageIndices), ImageIndices[i], $"Caption {i}'s image index is outside [0, {imageCount}).");
            }
        }
    }
}
