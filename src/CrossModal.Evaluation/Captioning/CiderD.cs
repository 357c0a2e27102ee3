using System;
using System.Threading.Tasks;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// CIDEr-D as pycocoevalcap computes it (<c>cider/cider_scorer.py</c>, which is CIDEr-D despite its name):
/// n-gram TF-IDF vectors for n = 1..4 with document frequencies counted over the reference sets being scored,
/// idf = log(#images) − log(max(1, df)); per order, the clipped similarity Σ min(g_c, g_r)·g_r / (‖g_c‖·‖g_r‖) times a
/// Gaussian length penalty exp(−δ²/2σ²), σ = 6; averaged over orders and references, × 10.
/// </summary>
/// <remarks>
/// Reference quirks kept on purpose: the "length" in δ counts bigram occurrences (<c>if n == 1: length += term_freq</c>
/// with n the 0-based order), i.e. max(0, words − 1); a norm of zero skips the division rather than zeroing the score.
/// </remarks>
internal static class CiderD
{
    private const double Sigma = 6.0;

    /// <summary>Mean and per-image CIDEr-D (in the reference's ×10 scale: 0.81, not 81).</summary>
    internal static (double Mean, double[] PerImage) Compute(TokenizedCaptions data)
    {
        var perImage = new double[data.Count];
        if (data.Count == 0)
        {
            return (double.NaN, perImage);
        }

        // compute_doc_freq: in how many images' reference sets each n-gram appears.
        var documentFrequency = new int[data.NGramCount];
        var lastImage = new int[data.NGramCount];
        Array.Fill(lastImage, -1);
        for (var image = 0; image < data.Count; image++)
        {
            foreach (var reference in data.References[image])
            {
                foreach (var id in reference.NGrams)
                {
                    if (lastImage[id] != image)
                    {
                        lastImage[id] = image;
                        documentFrequency[id]++;
                    }
                }
            }
        }

        var logDf = new double[data.NGramCount];
        for (var id = 0; id < logDf.Length; id++)
        {
            logDf[id] = Math.Log(Math.Max(1.0, documentFrequency[id]));
        }

        // self.ref_len = np.log(float(len(self.crefs)))
        var refLength = Math.Log(data.Count);
        // Images are independent once the idf is known: score them in chunks, in parallel, each chunk with its own
        // scratch; the mean is summed afterwards in image order so the result does not depend on scheduling.
        var chunks = Math.Max(1, Math.Min(Environment.ProcessorCount, data.Count / 256));
        Parallel.For(0, chunks, chunk =>
            ScoreRange(data, logDf, refLength, perImage, chunk * data.Count / chunks, (chunk + 1) * data.Count / chunks));

        var sum = 0.0;
        foreach (var score in perImage)
        {
            sum += score;
        }

        return (sum / data.Count, perImage);
    }

    private static void ScoreRange(TokenizedCaptions data, double[] logDf, double refLength, double[] perImage, int start, int end)
    {
        const int n = TokenizedCaptions.MaxOrder;
        var refValue = new double[data.NGramCount];
        Span<double> hypNorm = stackalloc double[n];
        Span<double> refNorm = stackalloc double[n];
        Span<double> score = stackalloc double[n];
        Span<double> val = stackalloc double[n];
        var hypVector = new double[64];
        var refVector = new double[64];

        for (var image = start; image < end; image++)
        {
            var candidate = data.Candidates[image];
            var hypLength = Vectorize(candidate, data.Orders, logDf, refLength, ref hypVector, hypNorm);
            score.Clear();
            var references = data.References[image];
            foreach (var reference in references)
            {
                var length = Vectorize(reference, data.Orders, logDf, refLength, ref refVector, refNorm);
                for (var j = 0; j < reference.NGrams.Length; j++)
                {
                    refValue[reference.NGrams[j]] = refVector[j];
                }

                // sim(): clipped dot product per order.
                val.Clear();
                for (var j = 0; j < candidate.NGrams.Length; j++)
                {
                    var id = candidate.NGrams[j];
                    var r = refValue[id];
                    val[data.Orders[id] - 1] += Math.Min(hypVector[j], r) * r;
                }

                var delta = (double)(hypLength - length);
                var penalty = Math.Pow(Math.E, -(delta * delta) / (2 * Sigma * Sigma));
                for (var k = 0; k < n; k++)
                {
                    if (hypNorm[k] != 0 && refNorm[k] != 0)
                    {
                        val[k] /= hypNorm[k] * refNorm[k];
                    }

                    score[k] += val[k] * penalty;
                }

                foreach (var id in reference.NGrams)
                {
                    refValue[id] = 0;
                }
            }

            // np.mean over orders, / number of references, * 10.
            var mean = (((score[0] + score[1]) + score[2]) + score[3]) / n;
            mean /= references.Length;
            mean *= 10.0;
            perImage[image] = mean;
        }

    }

    // counts2vec: tf·idf per n-gram, the L2 norm per order, and the bigram count used as "length".
    private static int Vectorize(Sentence sentence, byte[] orders, double[] logDf, double refLength, ref double[] vector, Span<double> norm)
    {
        if (vector.Length < sentence.NGrams.Length)
        {
            vector = new double[Math.Max(sentence.NGrams.Length, vector.Length * 2)];
        }

        norm.Clear();
        var length = 0;
        for (var j = 0; j < sentence.NGrams.Length; j++)
        {
            var id = sentence.NGrams[j];
            var tf = sentence.Counts[j];
            var value = tf * (refLength - logDf[id]);
            vector[j] = value;
            var order = orders[id] - 1;
            norm[order] += value * value;
            if (order == 1)
            {
                length += tf;
            }
        }

        for (var k = 0; k < norm.Length; k++)
        {
            norm[k] = Math.Sqrt(norm[k]);
        }

        return length;
    }
}
