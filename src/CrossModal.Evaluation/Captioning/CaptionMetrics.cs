using System;
using System.Collections.Generic;
using System.Globalization;
using System.Threading.Tasks;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// Scores candidate captions against reference captions with BLEU-1..4, ROUGE-L and CIDEr-D exactly as
/// salaniz/pycocoevalcap does (the implementation the captioning literature reports). See docs/metrics.md.
/// </summary>
/// <remarks>
/// Parity: identical to pycocoevalcap to 1e-6 (in practice to ~1e-15) on pre-tokenised text
/// (<see cref="CaptionTokenization.None"/>), checked on the shipped goldens. CIDEr-D's document frequencies come
/// from the references passed in, so scores depend on the whole set scored together, as in the reference.
/// METEOR is not provided: it needs the Java METEOR 1.5 jar and its paraphrase tables, and no re-implementation
/// reproduces its numbers exactly.
/// </remarks>
public static class CaptionMetrics
{
    /// <summary>Scores image i's candidate against image i's references.</summary>
    /// <param name="references">One non-empty list of reference captions per image.</param>
    /// <param name="candidates">One candidate caption per image.</param>
    /// <param name="tokenization">How to split text into words.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or an image has no references; the message names the image index.</exception>
    public static CaptionScores Score(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> candidates,
                                      CaptionTokenization tokenization = CaptionTokenization.None)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(candidates);
        if (references.Count != candidates.Count)
        {
            throw new ArgumentException(
                $"There are {candidates.Count} candidates but {references.Count} reference lists; they must pair up by index.", nameof(references));
        }

        var ids = new string[candidates.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = i.ToString(CultureInfo.InvariantCulture);
        }

        return ScoreCore(ids, references, candidates, tokenization);
    }

    /// <summary>Scores each image's candidate against its references, keyed by image id (pycocoevalcap's <c>gts</c>/<c>res</c>).</summary>
    /// <param name="references">Image id → reference captions (non-empty).</param>
    /// <param name="candidates">Image id → candidate caption; must have exactly the ids of <paramref name="references"/>.</param>
    /// <param name="tokenization">How to split text into words.</param>
    /// <returns>Scores with per-image values in the enumeration order of <paramref name="references"/>.</returns>
    /// <exception cref="ArgumentException">An id is missing from one side, or an image has no references; the message names the id.</exception>
    public static CaptionScores Score(IReadOnlyDictionary<string, IReadOnlyList<string>> references, IReadOnlyDictionary<string, string> candidates,
                                      CaptionTokenization tokenization = CaptionTokenization.None)
    {
        ArgumentNullException.ThrowIfNull(references);
        ArgumentNullException.ThrowIfNull(candidates);
        var ids = new List<string>(references.Count);
        var refs = new List<IReadOnlyList<string>>(references.Count);
        var cands = new List<string>(references.Count);
        foreach (var (id, list) in references)
        {
            if (!candidates.TryGetValue(id, out var candidate))
            {
                throw new ArgumentException($"Image '{id}' has references but no candidate.", nameof(candidates));
            }

            ids.Add(id);
            refs.Add(list);
            cands.Add(candidate);
        }

        foreach (var id in candidates.Keys)
        {
            if (!references.ContainsKey(id))
            {
                throw new ArgumentException($"Image '{id}' has a candidate but no references.", nameof(candidates));
            }
        }

        return ScoreCore(ids, refs, cands, tokenization);
    }

    private static CaptionScores ScoreCore(IReadOnlyList<string> ids, IReadOnlyList<IReadOnlyList<string>> references,
                                           IReadOnlyList<string> candidates, CaptionTokenization tokenization)
    {
        for (var i = 0; i < ids.Count; i++)
        {
            if (candidates[i] is null)
            {
                throw new ArgumentException($"Image '{ids[i]}' has a null candidate.", nameof(candidates));
            }

            if (references[i] is null || references[i].Count == 0)
            {
                throw new ArgumentException($"Image '{ids[i]}' has no references.", nameof(references));
            }

            foreach (var reference in references[i])
            {
                if (reference is null)
                {
                    throw new ArgumentException($"Image '{ids[i]}' has a null reference.", nameof(references));
                }
            }
        }

        var data = new TokenizedCaptions(references, candidates, tokenization);
        // The three metrics only read `data`: compute them side by side.
        var bleuTask = Task.Run(() => Bleu.Compute(data));
        var rougeTask = Task.Run(() => RougeL.Compute(data));
        var cider = CiderD.Compute(data);
        var bleu = bleuTask.GetAwaiter().GetResult();
        var rouge = rougeTask.GetAwaiter().GetResult();
        return new CaptionScores(ids, bleu.Corpus, bleu.PerImage, rouge.Mean, rouge.PerImage, cider.Mean, cider.PerImage);
    }
}
