using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Evaluation.Tests;

/// <summary>
/// The slow twin: a line-by-line port of salaniz/pycocoevalcap@ad63453 (bleu_scorer.py, rouge.py, cider_scorer.py)
/// over strings and dictionaries, with none of the interning and scratch arrays of the fast implementation.
/// </summary>
internal static class ReferenceCaptionMetrics
{
    private static Dictionary<string, int> Precook(string s, int n = 4)
    {
        var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var k = 1; k <= n; k++)
        {
            for (var i = 0; i < words.Length - k + 1; i++)
            {
                var ngram = string.Join("\u0001", words, i, k) + "\u0002" + k;
                counts[ngram] = counts.GetValueOrDefault(ngram) + 1;
            }
        }

        return counts;
    }

    private static int Order(string ngram) => ngram[^1] - '0';

    public static (double[] Corpus, double[][] PerImage) Bleu(IReadOnlyList<IReadOnlyList<string>> gts, IReadOnlyList<string> res)
    {
        const int n = 4;
        const double small = 1e-9, tiny = 1e-15;
        var perImage = Enumerable.Range(0, n).Select(_ => new List<double>()).ToArray();
        var totalCorrect = new double[n];
        var totalGuess = new double[n];
        double testTotal = 0, refTotal = 0;
        for (var i = 0; i < res.Count; i++)
        {
            var reflens = new List<int>();
            var maxcounts = new Dictionary<string, int>();
            foreach (var r in gts[i])
            {
                reflens.Add(r.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length);
                foreach (var (g, c) in Precook(r))
                {
                    maxcounts[g] = Math.Max(maxcounts.GetValueOrDefault(g), c);
                }
            }

            var testlen = res[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            var reflen = reflens.Select(l => (Math.Abs(l - testlen), l)).Min().l;
            var correct = new double[n];
            foreach (var (g, c) in Precook(res[i]))
            {
                correct[Order(g) - 1] += Math.Min(maxcounts.GetValueOrDefault(g), c);
            }

            testTotal += testlen;
            refTotal += reflen;
            var bleu = 1.0;
            for (var k = 0; k < n; k++)
            {
                var guess = Math.Max(0, testlen - k);
                totalCorrect[k] += correct[k];
                totalGuess[k] += guess;
                bleu *= (correct[k] + tiny) / (guess + small);
                perImage[k].Add(Math.Pow(bleu, 1.0 / (k + 1)));
            }

            var ratio = (testlen + tiny) / (reflen + small);
            if (ratio < 1)
            {
                for (var k = 0; k < n; k++)
                {
                    perImage[k][^1] *= Math.Exp(1 - 1 / ratio);
                }
            }
        }

        var bleus = new double[n];
        var b = 1.0;
        for (var k = 0; k < n; k++)
        {
            b *= (totalCorrect[k] + tiny) / (totalGuess[k] + small);
            bleus[k] = Math.Pow(b, 1.0 / (k + 1));
        }

        var corpusRatio = (testTotal + tiny) / (refTotal + small);
        if (corpusRatio < 1)
        {
            for (var k = 0; k < n; k++)
            {
                bleus[k] *= Math.Exp(1 - 1.0 / corpusRatio);
            }
        }

        return (bleus, perImage.Select(l => l.ToArray()).ToArray());
    }

    private static int Lcs(string[] x, string[] y)
    {
        var lengths = new int[x.Length + 1, y.Length + 1];
        for (var j = 1; j <= y.Length; j++)
        {
            for (var i = 1; i <= x.Length; i++)
            {
                lengths[i, j] = x[i - 1] == y[j - 1] ? lengths[i - 1, j - 1] + 1 : Math.Max(lengths[i - 1, j], lengths[i, j - 1]);
            }
        }

        return lengths[x.Length, y.Length];
    }

    public static (double Mean, double[] PerImage) Rouge(IReadOnlyList<IReadOnlyList<string>> gts, IReadOnlyList<string> res)
    {
        const double beta = 1.2;
        var scores = new double[res.Count];
        for (var i = 0; i < res.Count; i++)
        {
            var c = res[i].Split(' ');
            var prec = new List<double>();
            var rec = new List<double>();
            foreach (var r in gts[i])
            {
                var t = r.Split(' ');
                var lcs = Lcs(t, c);
                prec.Add(lcs / (double)c.Length);
                rec.Add(lcs / (double)t.Length);
            }

            double p = prec.Max(), q = rec.Max();
            scores[i] = p != 0 && q != 0 ? (1 + beta * beta) * p * q / (q + beta * beta * p) : 0.0;
        }

        return (scores.Average(), scores);
    }

    public static (double Mean, double[] PerImage) Cider(IReadOnlyList<IReadOnlyList<string>> gts, IReadOnlyList<string> res)
    {
        const int n = 4;
        const double sigma = 6.0;
        var crefs = gts.Select(refs => refs.Select(r => Precook(r)).ToList()).ToList();
        var ctest = res.Select(r => Precook(r)).ToList();
        var df = new Dictionary<string, double>();
        foreach (var refs in crefs)
        {
            foreach (var g in refs.SelectMany(r => r.Keys).Distinct())
            {
                df[g] = df.GetValueOrDefault(g) + 1;
            }
        }

        var refLen = Math.Log(crefs.Count);

        (Dictionary<string, double>[] Vec, double[] Norm, int Length) Counts2Vec(Dictionary<string, int> cnts)
        {
            var vec = Enumerable.Range(0, n).Select(_ => new Dictionary<string, double>()).ToArray();
            var norm = new double[n];
            var length = 0;
            foreach (var (g, tf) in cnts)
            {
                var d = Math.Log(Math.Max(1.0, df.GetValueOrDefault(g)));
                var k = Order(g) - 1;
                vec[k][g] = tf * (refLen - d);
                norm[k] += Math.Pow(vec[k][g], 2);
                if (k == 1)
                {
                    length += tf;
                }
            }

            return (vec, norm.Select(Math.Sqrt).ToArray(), length);
        }

        var scores = new double[res.Count];
        for (var i = 0; i < res.Count; i++)
        {
            var (vec, norm, length) = Counts2Vec(ctest[i]);
            var score = new double[n];
            foreach (var r in crefs[i])
            {
                var (vr, nr, lr) = Counts2Vec(r);
                var delta = (double)(length - lr);
                for (var k = 0; k < n; k++)
                {
                    var val = 0.0;
                    foreach (var (g, v) in vec[k])
                    {
                        var rv = vr[k].GetValueOrDefault(g);
                        val += Math.Min(v, rv) * rv;
                    }

                    if (norm[k] != 0 && nr[k] != 0)
                    {
                        val /= norm[k] * nr[k];
                    }

                    val *= Math.Pow(Math.E, -(delta * delta) / (2 * sigma * sigma));
                    score[k] += val;
                }
            }

            scores[i] = score.Average() / crefs[i].Count * 10.0;
        }

        return (scores.Average(), scores);
    }
}
