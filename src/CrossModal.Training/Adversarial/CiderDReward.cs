using System;
using System.Collections.Generic;
using CrossModal.Evaluation.Captioning;

namespace CrossModal.Training.Adversarial;

/// <summary>
/// CIDEr-D of each caption against its image's reference captions (pycocoevalcap's CIDEr-D from
/// <see cref="CaptionMetrics"/>); with the greedy caption's score as baseline it is the self-critical reward of
/// Rennie et al. (CVPR 2017). For users who do have references. The document frequencies are those of the references
/// of the captions scored in one call, as <see cref="CaptionMetrics.Score(IReadOnlyList{IReadOnlyList{string}}, IReadOnlyList{string}, CaptionTokenization)"/> computes them.
/// </summary>
public sealed class CiderDReward : IRewardFunction
{
    private readonly IReadOnlyList<IReadOnlyList<string>> _references;

    /// <summary>Creates the reward.</summary>
    /// <param name="references">Per training image, a non-empty list of reference captions.</param>
    /// <param name="tokenization">How captions are split into words.</param>
    public CiderDReward(IReadOnlyList<IReadOnlyList<string>> references, CaptionTokenization tokenization = CaptionTokenization.None)
    {
        ArgumentNullException.ThrowIfNull(references);
        for (var i = 0; i < references.Count; i++)
        {
            if (references[i] is null || references[i].Count == 0)
            {
                throw new ArgumentException($"Image {i} has no reference captions.", nameof(references));
            }
        }

        _references = references;
        Tokenization = tokenization;
    }

    /// <inheritdoc />
    public string Name => "cider-d";

    /// <summary>How captions are split into words.</summary>
    public CaptionTokenization Tokenization { get; }

    /// <inheritdoc />
    public void Compute(Span<float> rewards, RewardBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        batch.CheckRewards(rewards, _references.Count);
        var texts = batch.Texts ?? throw new ArgumentException("The CIDEr-D reward needs the decoded captions.", nameof(batch));
        var refs = new IReadOnlyList<string>[batch.Count];
        for (var i = 0; i < refs.Length; i++)
        {
            refs[i] = _references[batch.ImageIndices[i]];
        }

        var scores = CaptionMetrics.Score(refs, texts, Tokenization);
        for (var i = 0; i < rewards.Length; i++)
        {
            rewards[i] = (float)scores.CiderDPerImage[i];
        }
    }
}
