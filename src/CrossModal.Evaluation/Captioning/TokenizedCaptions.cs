using System;
using System.Collections.Generic;
using System.Threading.Tasks;

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
    // An n-gram of order k is interned as (id of its first k − 1 words, its last word): one 64-bit key per lookup.
    private readonly Dictionary<long, int> _ngrams = new(MixingComparer.Instance);
    private readonly List<byte> _orders = [];

    // Per-sentence scratch: occurrence count per n-gram id (grown with the n-gram table), the distinct ids in
    // first-appearance order, and the id of the n-gram of order k − 1 starting at each position.
    private int[] _countScratch = new int[1024];
    private int[] _distinct = new int[256];
    private int[] _prefix = new int[64];

    internal TokenizedCaptions(IReadOnlyList<IReadOnlyList<string>> references, IReadOnlyList<string> candidates, CaptionTokenization tokenization)
    {
        // Splitting (the PTB approximation especially) is independent per caption: do it in parallel, then intern
        // sequentially so that ids do not depend on thread timing.
        var candidateTokens = new string[candidates.Count][];
        var referenceTokens = new string[candidates.Count][][];
        Parallel.For(0, candidates.Count, i =>
        {
            candidateTokens[i] = Split(candidates[i], tokenization);
            var refs = references[i];
            var split = new string[refs.Count][];
            for (var r = 0; r < split.Length; r++)
            {
                split[r] = Split(refs[r], tokenization);
            }

            referenceTokens[i] = split;
        });

        // Pre-size the n-gram table (at most 4 n-grams per word; about half are distinct on caption corpora) so it is
        // not rehashed while it grows.
        long totalWords = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            totalWords += candidateTokens[i].Length;
            foreach (var reference in referenceTokens[i])
            {
                totalWords += reference.Length;
            }
        }

        _ngrams.EnsureCapacity((int)Math.Min(int.MaxValue / 4, totalWords * 2));
        _orders.Capacity = (int)Math.Min(int.MaxValue / 4, totalWords * 2);
        _countScratch = new int[Math.Max(1024, (int)Math.Min(int.MaxValue / 4, totalWords * 2))];

        Candidates = new Sentence[candidates.Count];
        References = new Sentence[candidates.Count][];
        for (var i = 0; i < candidates.Count; i++)
        {
            Candidates[i] = Build(candidateTokens[i]);
            var built = new Sentence[referenceTokens[i].Length];
            for (var r = 0; r < built.Length; r++)
            {
                built[r] = Build(referenceTokens[i][r]);
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
        if (_prefix.Length < words.Length)
        {
            _prefix = new int[Math.Max(words.Length, _prefix.Length * 2)];
        }

        var maxDistinct = words.Length * MaxOrder;
        if (_distinct.Length < maxDistinct)
        {
            _distinct = new int[Math.Max(maxDistinct, _distinct.Length * 2)];
        }

        var distinctCount = 0;
        for (var k = 1; k <= MaxOrder; k++)
        {
            for (var i = 0; i + k <= words.Length; i++)
            {
                // _prefix[i] holds the id of the (k − 1)-gram at i (−1 for k = 1); extend it by word i + k − 1.
                var prefix = k == 1 ? -1 : _prefix[i];
                var key = ((long)prefix << 32) | (uint)words[i + k - 1];
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

                _prefix[i] = id;
                if (_countScratch[id]++ == 0)
                {
                    _distinct[distinctCount++] = id;
                }
            }
        }

        var distinct = _distinct.AsSpan(0, distinctCount).ToArray();
        var counts = new int[distinctCount];
        for (var i = 0; i < distinctCount; i++)
        {
            counts[i] = _countScratch[distinct[i]];
            _countScratch[distinct[i]] = 0;
        }

        return new Sentence(words, distinct, counts);
    }


    // long.GetHashCode() is low ^ high, which for (prefix id, word id) keys collides massively ((1, 2), (2, 1), (3, 0)
    // all hash alike): Fibonacci hashing spreads them.
    private sealed class MixingComparer : IEqualityComparer<long>
    {
        internal static readonly MixingComparer Instance = new();

        public bool Equals(long x, long y) => x == y;

        public int GetHashCode(long obj) => (int)(((ulong)obj * 0x9E3779B97F4A7C15UL) >> 32);
    }
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
