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

/// <summary>
/// Embeds captions given as token ids, e.g. with the CLIP text encoder, into a matrix the caller owns, so a training
/// step that embeds its samples allocates nothing (see <see cref="AdversarialCaptionTrainer"/>).
/// </summary>
public interface ICaptionEmbedder
{
    /// <summary>D, the embedding dimension.</summary>
    int Dimension { get; }

    /// <summary>Writes one embedding per caption of <paramref name="captions"/> (read them with <see cref="RewardBatch.Caption"/>).</summary>
    /// <param name="captions">The captions.</param>
    /// <param name="destination">(S, D) overwritten, S = <see cref="RewardBatch.Count"/>.</param>
    void Embed(RewardBatch captions, EmbeddingMatrix destination);
}

/// <summary>
/// A batch of S captions for <see cref="IRewardFunction.Compute"/>. Read captions with <see cref="Caption"/> (a span, no
/// allocation); <see cref="Tokens"/> gives them as arrays, made on first read when the batch was built from a flat
/// buffer (as <see cref="AdversarialCaptionTrainer"/> builds its batches).
/// </summary>
public sealed class RewardBatch
{
    private IReadOnlyList<int[]>? _tokens;
    private int[] _flat = [];
    private int[] _lengths = [];
    private int _stride;
    private readonly bool _flatBuffer;

    /// <summary>Creates a batch; each reward function checks that what it needs is present.</summary>
    /// <param name="tokens">S token sequences without the end token.</param>
    /// <param name="imageIndices">S indices of the training image each caption was sampled for.</param>
    /// <param name="texts">S decoded captions, or null.</param>
    /// <param name="textEmbeddings">(S, D) CLIP text embeddings of the captions, or null.</param>
    public RewardBatch(IReadOnlyList<int[]> tokens, IReadOnlyList<int> imageIndices, IReadOnlyList<string>? texts = null, EmbeddingMatrix? textEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(imageIndices);
        _tokens = tokens;
        Count = tokens.Count;
        ImageIndices = imageIndices;
        Set(texts, textEmbeddings);
    }

    /// <summary>
    /// Creates a batch over a flat buffer: caption i is <c>tokens[i·stride .. i·stride + lengths[i])</c>. The arrays are
    /// referenced, not copied.
    /// </summary>
    /// <param name="tokens">(S·stride) token ids.</param>
    /// <param name="stride">Room per caption.</param>
    /// <param name="lengths">(S) caption lengths in [0, stride], without the end token.</param>
    /// <param name="imageIndices">S indices of the training image each caption was sampled for.</param>
    /// <param name="texts">S decoded captions, or null.</param>
    /// <param name="textEmbeddings">(S, D) text embeddings of the captions, or null.</param>
    public RewardBatch(int[] tokens, int stride, int[] lengths, IReadOnlyList<int> imageIndices, IReadOnlyList<string>? texts = null, EmbeddingMatrix? textEmbeddings = null)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        ArgumentNullException.ThrowIfNull(lengths);
        ArgumentNullException.ThrowIfNull(imageIndices);
        ArgumentOutOfRangeException.ThrowIfNegative(stride);
        if (tokens.Length < (long)lengths.Length * stride)
        {
            throw new ArgumentException($"Expected at least {lengths.Length}×{stride} tokens but got {tokens.Length}.", nameof(tokens));
        }

        for (var i = 0; i < lengths.Length; i++)
        {
            if ((uint)lengths[i] > (uint)stride)
            {
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[i], $"Caption {i}'s length must be in [0, {stride}].");
            }
        }

        _flat = tokens;
        _flatBuffer = true;
        _stride = stride;
        _lengths = lengths;
        Count = lengths.Length;
        ImageIndices = imageIndices;
        Set(texts, textEmbeddings);
    }

    /// <summary>S.</summary>
    public int Count { get; }

    /// <summary>Token sequences without the end token (made on first read for a batch over a flat buffer).</summary>
    public IReadOnlyList<int[]> Tokens => _tokens ??= Materialize();

    /// <summary>The training image of each caption.</summary>
    public IReadOnlyList<int> ImageIndices { get; }

    /// <summary>Decoded captions, or null.</summary>
    public IReadOnlyList<string>? Texts { get; private set; }

    /// <summary>(S, D) CLIP text embeddings of the captions, or null.</summary>
    public EmbeddingMatrix? TextEmbeddings { get; private set; }

    /// <summary>Caption <paramref name="index"/>'s tokens, without the end token.</summary>
    /// <param name="index">In [0, <see cref="Count"/>).</param>
    public ReadOnlySpan<int> Caption(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        return _tokens is { } lists ? lists[index] : _flat.AsSpan(index * _stride, _lengths[index]);
    }

    // The trainer fills the texts and embeddings of its reused batch after the captions are in place.
    internal void Set(IReadOnlyList<string>? texts, EmbeddingMatrix? textEmbeddings)
    {
        if (ImageIndices.Count != Count)
        {
            throw new ArgumentException($"Expected {Count} image indices (one per caption) but got {ImageIndices.Count}.", "imageIndices");
        }

        if (texts is not null && texts.Count != Count)
        {
            throw new ArgumentException($"Expected {Count} texts but got {texts.Count}.", nameof(texts));
        }

        if (textEmbeddings is not null && textEmbeddings.Rows != Count)
        {
            throw new ArgumentException($"Expected {Count} text embeddings but got {textEmbeddings.Rows}.", nameof(textEmbeddings));
        }

        Texts = texts;
        TextEmbeddings = textEmbeddings;
    }

    // The flat buffer's contents change between the trainer's steps: forget arrays made from the previous ones.
    internal void CaptionsChanged()
    {
        if (_flatBuffer)
        {
            _tokens = null;
        }
    }

    private int[][] Materialize()
    {
        var result = new int[Count][];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = _flat.AsSpan(i * _stride, _lengths[i]).ToArray();
        }

        return result;
    }

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
