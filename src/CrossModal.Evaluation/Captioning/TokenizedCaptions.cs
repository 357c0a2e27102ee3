using System;
using System.Collections.Generic;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// Candidates and references turned into integer words and interned n-grams (orders 1..4), the form the three
/// metrics are computed from. Building it once and sharing it is what makes scoring 5,000 images take milliseconds.
/// </summary>
internal sealed class TokenizedCaptions
{
    /// <summary>Highest n-gram order (BLEU-4, CIDEr-D n = 4).</summary>
    internal const int MaxOrder = 4;

    private readonly Dictionary<string, int> _words = new(StringComparer.Ordinal);
    private readonly Dictionary<NGram, int> _ngrams = [];
    private readonly List<byte> _orders = [];

    // Per-sentence scratch: occurrence count per n-gram id (grown with the n-gram table).
    private int[] _countScratch = new int[1024];

    internal TokenizedCaptions(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> candidates, CaptionTokenization tokenization)
    {
        Candidates = new Sentence[candidates.Count];
        References = new Sentence[candidates.Count][];
        for (var i = 0; i < candidates.Count; i++)
        {
            Candidates[i] = Build(Split(candidates[i], tokenization));
            var refs = references[i];
            var built = new Sentence[refs.Count];
            for (var r = 0; r < refs.Count; r++)
            {
                built[r] = Build(Split(refs[r], tokenization));
            }

            References[i] = built;
        }

        Orders = _orders.ToArray();
    }

    /// <summary>Number of images.</summary>
    internal int Count => Candidates.Length;

    /// <summary>The candidate caption of each image.</summary>
    internal Sentence[] Candidates { get; }

    /// <summary>The reference captions of each image.</summary>
    internal Sentence[][] References { get; }

    /// <summary>Order (1..4) of each n-gram id.</summary>
    internal byte[] Orders { get; }

    /// <summary>Number of distinct n-grams over all sentences.</summary>
    internal int NGramCount => Orders.Length;

    /// <summary>Word id used by ROUGE-L for an empty sentence (see <see cref="RougeL"/>).</summary>
    internal const int EmptyWord = -1;

    private static string[] Split(string text, CaptionTokenization tokenization) => tokenization switch
    {
        CaptionTokenization.None => text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries),
        CaptionTokenization.Ptb => PtbTokenizer.Tokenize(text),
        _ => throw new ArgumentOutOfRangeException(nameof(tokenization), tokenization, "Unknown tokenization."),
    };

    private Sentence Build(string[] tokens)
    {
        var words = new int[tokens.Length];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (!_words.TryGetValue(tokens[i], out var id))
            {
                id = _words.Count;
                _words.Add(tokens[i], id);
            }

            words[i] = id;
        }

        // Distinct n-grams in first-appearance order, k = 1..4 then position (bleu_scorer.py / cider_scorer.py precook).
        var ids = new List<int>(words.Length * MaxOrder);
        var total = 0;
        for (var k = 1; k <= MaxOrder; k++)
        {
            for (var i = 0; i + k <= words.Length; i++)
            {
                var key = new NGram(words[i], k > 1 ? words[i + 1] : -1, k > 2 ? words[i + 2] : -1, k > 3 ? words[i + 3] : -1);
                if (!_ngrams.TryGetValue(key, out var id))
                {
                    id = _orders.Count;
                    _ngrams.Add(key, id);
                    _orders.Add((byte)k);
                    if (id >= _countScratch.Length)
                    {
                        Array.Resize(ref _countScratch, _countScratch.Length * 2);
                    }
                }

                if (_countScratch[id]++ == 0)
                {
                    ids.Add(id);
                }

                total++;
            }
        }

        var distinct = ids.ToArray();
        var counts = new int[distinct.Length];
        for (var i = 0; i < distinct.Length; i++)
        {
            counts[i] = _countScratch[distinct[i]];
            _countScratch[distinct[i]] = 0;
        }

        return new Sentence(words, distinct, counts);
    }

    private readonly record struct NGram(int A, int B, int C, int D);
}

/// <summary>One tokenised caption: its word ids, and its distinct n-grams with their counts.</summary>
/// <param name="Words">Word ids in order.</param>
/// <param name="NGrams">Distinct n-gram ids, orders 1..4, in first-appearance order.</param>
/// <param name="Counts">Occurrences of each of <paramref name="NGrams"/>.</param>
internal sealed record Sentence(int[] Words, int[] NGrams, int[] Counts)
{
    /// <summary>Number of words.</summary>
    internal int Length => Words.Length;
}
