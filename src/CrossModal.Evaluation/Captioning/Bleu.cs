using System;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// BLEU-1..4 as pycocoevalcap computes it (<c>bleu/bleu_scorer.py</c>, <c>compute_score(option='closest')</c>):
/// clipped n-gram matches summed over the corpus, brevity penalty from the summed reference lengths where each image
/// contributes the reference length closest to its candidate's (ties → the shorter), and the reference's smoothing
/// constants tiny = 1e-15 in numerators and small = 1e-9 in denominators.
/// </summary>
internal static class Bleu
{
    private const double Small = 1e-9;
    private const double Tiny = 1e-15;

    /// <summary>Corpus BLEU-n (index n − 1) and per-image BLEU-n (<c>perImage[n − 1][i]</c>).</summary>
    internal static (double[] Corpus, double[][] PerImage) Compute(TokenizedCaptions data)
    {
        const int n = TokenizedCaptions.MaxOrder;
        var perImage = new double[n][];
        for (var k = 0; k < n; k++)
        {
            perImage[k] = new double[data.Count];
        }

        var maxRefCount = new int[data.NGramCount];
        Span<long> totalCorrect = stackalloc long[n];
        Span<long> totalGuess = stackalloc long[n];
        Span<long> correct = stackalloc long[n];
        long totalTestLength = 0;
        long totalRefLength = 0;

        for (var image = 0; image < data.Count; image++)
        {
            var candidate = data.Candidates[image];
            var references = data.References[image];

            // cook_refs: per-n-gram maximum count over the references.
            foreach (var reference in references)
            {
                for (var j = 0; j < reference.NGrams.Length; j++)
                {
                    var id = reference.NGrams[j];
                    maxRefCount[id] = Math.Max(maxRefCount[id], reference.Counts[j]);
                }
            }

            // cook_test: clipped matches per order.
            correct.Clear();
            for (var j = 0; j < candidate.NGrams.Length; j++)
            {
                var id = candidate.NGrams[j];
                correct[data.Orders[id] - 1] += Math.Min(maxRefCount[id], candidate.Counts[j]);
            }

            foreach (var reference in references)
            {
                foreach (var id in reference.NGrams)
                {
                    maxRefCount[id] = 0;
                }
            }

            var testLength = candidate.Length;
            var refLength = ClosestReferenceLength(references, testLength);
            totalTestLength += testLength;
            totalRefLength += refLength;

            var bleu = 1.0;
            for (var k = 0; k < n; k++)
            {
                var guess = Math.Max(0, testLength - k);
                totalGuess[k] += guess;
                totalCorrect[k] += correct[k];
                bleu *= (correct[k] + Tiny) / (guess + Small);
                perImage[k][image] = Math.Pow(bleu, 1.0 / (k + 1));
            }

            var ratio = (testLength + Tiny) / (refLength + Small);
            if (ratio < 1)
            {
                var penalty = Math.Exp(1 - 1 / ratio);
                for (var k = 0; k < n; k++)
                {
                    perImage[k][image] *= penalty;
                }
            }
        }

        var corpus = new double[n];
        var product = 1.0;
        for (var k = 0; k < n; k++)
        {
            product *= (totalCorrect[k] + Tiny) / (totalGuess[k] + Small);
            corpus[k] = Math.Pow(product, 1.0 / (k + 1));
        }

        var corpusRatio = (totalTestLength + Tiny) / (totalRefLength + Small);
        if (corpusRatio < 1)
        {
            var penalty = Math.Exp(1 - 1.0 / corpusRatio);
            for (var k = 0; k < n; k++)
            {
                corpus[k] *= penalty;
            }
        }

        return (corpus, perImage);
    }

    // _single_reflen(option='closest'): min((abs(l - testlen), l) for l in reflens)[1].
    private static int ClosestReferenceLength(Sentence[] references, int testLength)
    {
        var best = int.MaxValue;
        var bestDistance = int.MaxValue;
        foreach (var reference in references)
        {
            var distance = Math.Abs(reference.Length - testLength);
            if (distance < bestDistance || (distance == bestDistance && reference.Length < best))
            {
                bestDistance = distance;
                best = reference.Length;
            }
        }

        return best;
    }
}
