using System;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// ROUGE-L as pycocoevalcap computes it (<c>rouge/rouge.py</c>): for each image, the longest common subsequence of
/// the candidate with each reference gives precision LCS/|c| and recall LCS/|r|; the maximum precision and the
/// maximum recall over the references (possibly from different references) combine into
/// F = (1 + β²)·P·R / (R + β²·P) with β = 1.2; the corpus score is the mean over images.
/// </summary>
/// <remarks>
/// rouge.py splits on single spaces, so an empty caption is one empty token; that is kept (an empty candidate against an
/// empty reference scores 1, as in the reference). Otherwise tokens are those of <see cref="TokenizedCaptions"/>.
/// </remarks>
internal static class RougeL
{
    private const double Beta = 1.2;

    /// <summary>Mean and per-image ROUGE-L.</summary>
    internal static (double Mean, double[] PerImage) Compute(TokenizedCaptions data)
    {
        var perImage = new double[data.Count];
        var row = new int[64];
        var sum = 0.0;
        for (var image = 0; image < data.Count; image++)
        {
            var candidate = Words(data.Candidates[image]);
            var maxPrecision = 0.0;
            var maxRecall = 0.0;
            foreach (var reference in data.References[image])
            {
                var words = Words(reference);
                var lcs = LongestCommonSubsequence(words, candidate, ref row);
                var precision = lcs / (double)candidate.Length;
                var recall = lcs / (double)words.Length;
                maxPrecision = Math.Max(maxPrecision, precision);
                maxRecall = Math.Max(maxRecall, recall);
            }

            var score = maxPrecision != 0 && maxRecall != 0
                ? (1 + Beta * Beta) * maxPrecision * maxRecall / (maxRecall + Beta * Beta * maxPrecision)
                : 0.0;
            perImage[image] = score;
            sum += score;
        }

        return (data.Count == 0 ? double.NaN : sum / data.Count, perImage);
    }

    private static ReadOnlySpan<int> Words(Sentence sentence) =>
        sentence.Length == 0 ? EmptySentence : sentence.Words;

    private static ReadOnlySpan<int> EmptySentence => [TokenizedCaptions.EmptyWord];

    /// <summary>Length of the LCS of two word sequences (dynamic programming with one row).</summary>
    internal static int LongestCommonSubsequence(ReadOnlySpan<int> a, ReadOnlySpan<int> b, ref int[] row)
    {
        if (a.Length < b.Length)
        {
            var t = a;
            a = b;
            b = t;
        }

        // row[j] = LCS(a[..i], b[..j]); `diagonal` holds LCS(a[..i-1], b[..j-1]).
        if (row.Length < b.Length + 1)
        {
            row = new int[Math.Max(b.Length + 1, row.Length * 2)];
        }

        var lengths = row.AsSpan(0, b.Length + 1);
        lengths.Clear();
        for (var i = 0; i < a.Length; i++)
        {
            var diagonal = 0;
            var word = a[i];
            for (var j = 1; j <= b.Length; j++)
            {
                var above = lengths[j];
                lengths[j] = word == b[j - 1] ? diagonal + 1 : Math.Max(above, lengths[j - 1]);
                diagonal = above;
            }
        }

        return lengths[b.Length];
    }
}
