using System;
using CrossModal.Models.Adversarial;

namespace CrossModal.Training.Adversarial;

/// <summary>
/// CgT-GAN's naturalness reward: the discriminator's raw logit of the caption (evaluation mode, no gradient kept for
/// the generator); with the greedy caption's logit as baseline it is <c>logit(sample) − logit(greedy)</c>.
/// </summary>
public sealed class DiscriminatorReward : IRewardFunction
{
    private readonly Discriminator _discriminator;
    private int[] _tokens = [];
    private byte[] _mask = [];
    private float[] _logits = [];

    /// <summary>Creates the reward.</summary>
    /// <param name="discriminator">The discriminator being trained alongside the generator.</param>
    /// <param name="startTokenId">The token put before every caption (the position the discriminator pools).</param>
    public DiscriminatorReward(Discriminator discriminator, int startTokenId)
    {
        ArgumentNullException.ThrowIfNull(discriminator);
        ArgumentOutOfRangeException.ThrowIfNegative(startTokenId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(startTokenId, discriminator.Options.VocabularySize);
        _discriminator = discriminator;
        StartTokenId = startTokenId;
    }

    /// <inheritdoc />
    public string Name => "discriminator";

    /// <summary>The start token.</summary>
    public int StartTokenId { get; }

    /// <inheritdoc />
    public void Compute(Span<float> rewards, RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.CheckRewards(rewards, int.MaxValue);
        var time = DiscriminatorInput.Pack(batch.Tokens, StartTokenId, _discriminator.Options.Context, ref _tokens, ref _mask);
        var training = _discriminator.IsTraining;
        _discriminator.Eval();
        try
        {
            var logits = _discriminator.Forward(_tokens.AsSpan(0, batch.Count * time), _mask.AsSpan(0, batch.Count * time), batch.Count, time);
            if (_logits.Length < batch.Count)
            {
                _logits = new float[batch.Count];
            }

            _discriminator.Backend.Download(_logits.AsSpan(0, batch.Count), logits);
            _logits.AsSpan(0, batch.Count).CopyTo(rewards);
        }
        finally
        {
            _discriminator.Train(training);
        }
    }
}

/// <summary>Lays captions out as the discriminator's input: a start token, the caption, padding masked out.</summary>
public static class DiscriminatorInput
{
    /// <summary>Packs captions into (S, T) tokens and key mask; captions longer than the context are cut.</summary>
    /// <param name="captions">S token sequences without start or end tokens.</param>
    /// <param name="startTokenId">The token at position 0 of every row (also used as padding, masked out).</param>
    /// <param name="context">The discriminator's longest input.</param>
    /// <param name="tokens">Grown as needed; the first S·T entries are written.</param>
    /// <param name="mask">Grown as needed; the first S·T entries are written.</param>
    /// <returns>T, the longest packed row.</returns>
    public static int Pack(System.Collections.Generic.IReadOnlyList<int[]> captions, int startTokenId, int context, ref int[] tokens, ref byte[] mask)
    {
        ArgumentNullException.ThrowIfNull(captions);
        if (captions.Count == 0)
        {
            throw new ArgumentException("Expected at least one caption.", nameof(captions));
        }

        var time = 1;
        foreach (var c in captions)
        {
            time = Math.Max(time, Math.Min(context, c.Length + 1));
        }

        var n = captions.Count * time;
        if (tokens.Length < n)
        {
            tokens = new int[n];
            mask = new byte[n];
        }

        for (var i = 0; i < captions.Count; i++)
        {
            var row = tokens.AsSpan(i * time, time);
            var m = mask.AsSpan(i * time, time);
            row.Fill(startTokenId);
            m.Clear();
            m[0] = 1;
            var length = Math.Min(captions[i].Length, time - 1);
            captions[i].AsSpan(0, length).CopyTo(row[1..]);
            m.Slice(1, length).Fill(1);
        }

        return time;
    }
}
