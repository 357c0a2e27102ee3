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

    /// <summary>
    /// Positions every packed batch is padded to (capped at the discriminator's context; padding is masked out, so the
    /// logits are those of the unpadded batch up to rounding); 0 packs to the longest caption. A fixed value gives the
    /// discriminator one input shape per call, which a training loop that allocates nothing needs.
    /// </summary>
    public int PadTo { get; set; }

    /// <inheritdoc />
    public void Compute(Span<float> rewards, RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.CheckRewards(rewards, int.MaxValue);
        var time = DiscriminatorInput.Pack(batch, StartTokenId, _discriminator.Options.Context, PadTo, ref _tokens, ref _mask);
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

        Grow(captions.Count * time, ref tokens, ref mask);
        for (var i = 0; i < captions.Count; i++)
        {
            PackRow(captions[i], startTokenId, tokens.AsSpan(i * time, time), mask.AsSpan(i * time, time));
        }

        return time;
    }

    /// <summary>Packs a reward batch's captions (read as spans) into (S, T) tokens and key mask; see the list overload.</summary>
    /// <param name="captions">S captions without start or end tokens.</param>
    /// <param name="startTokenId">The token at position 0 of every row (also used as padding, masked out).</param>
    /// <param name="context">The discriminator's longest input.</param>
    /// <param name="padTo">T at least (capped at <paramref name="context"/>); 0 for the longest caption + 1.</param>
    /// <param name="tokens">Grown as needed; the first S·T entries are written.</param>
    /// <param name="mask">Grown as needed; the first S·T entries are written.</param>
    /// <returns>T.</returns>
    public static int Pack(RewardBatch captions, int startTokenId, int context, int padTo, ref int[] tokens, ref byte[] mask)
    {
        ArgumentNullException.ThrowIfNull(captions);
        if (captions.Count == 0)
        {
            throw new ArgumentException("Expected at least one caption.", nameof(captions));
        }

        var time = Math.Max(1, Math.Min(context, padTo));
        for (var i = 0; i < captions.Count; i++)
        {
            time = Math.Max(time, Math.Min(context, captions.Caption(i).Length + 1));
        }

        Grow(captions.Count * time, ref tokens, ref mask);
        for (var i = 0; i < captions.Count; i++)
        {
            PackRow(captions.Caption(i), startTokenId, tokens.AsSpan(i * time, time), mask.AsSpan(i * time, time));
        }

        return time;
    }

    /// <summary>Writes one row: the start token, the caption cut to the row, padding (the start token) masked out.</summary>
    /// <param name="caption">Tokens without start or end token.</param>
    /// <param name="startTokenId">The start and padding token.</param>
    /// <param name="row">(T) written.</param>
    /// <param name="mask">(T) written: 1 for the start token and the caption, 0 for padding.</param>
    public static void PackRow(ReadOnlySpan<int> caption, int startTokenId, Span<int> row, Span<byte> mask)
    {
        if (row.Length == 0 || mask.Length != row.Length)
        {
            throw new ArgumentException($"Expected a row of at least one position and a mask of the same length; got {row.Length} and {mask.Length}.", nameof(mask));
        }

        row.Fill(startTokenId);
        mask.Clear();
        mask[0] = 1;
        var length = Math.Min(caption.Length, row.Length - 1);
        caption[..length].CopyTo(row[1..]);
        mask.Slice(1, length).Fill(1);
    }

    private static void Grow(int n, ref int[] tokens, ref byte[] mask)
    {
        if (tokens.Length < n)
        {
            tokens = new int[n];
        }

        if (mask.Length < n)
        {
            mask = new byte[n];
        }
    }
}
