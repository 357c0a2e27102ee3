using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CrossModal.Text.Tokenization;

/// <summary>
/// Byte-level BPE shared by the CLIP and GPT-2 tokenizers: OpenAI's <c>bytes_to_unicode</c> table, a vocabulary
/// (token string ↔ id) and ranked merges, applied to one pre-tokenised word at a time with a cache.
/// </summary>
/// <remarks>
/// The reference (<c>bpe()</c> in clip/simple_tokenizer.py and gpt-2/src/encoder.py) works on tuples of strings;
/// here every symbol is its vocabulary id, and a merge is keyed by the ids of its two halves. That is the same
/// algorithm because the vocabulary maps strings to ids one-to-one (for duplicates the later entry wins, as with
/// Python's <c>dict(zip(vocab, range(len(vocab))))</c>).
/// </remarks>
internal sealed class BytePairEncoding
{
    /// <summary>Upper bound on cached words; the cache is cleared when it is reached (CLIP's is unbounded).</summary>
    private const int MaxCacheEntries = 1 << 18;

    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly int[] _byteIds;
    private readonly int[]? _byteEndOfWordIds;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;

    // Words that bypass BPE (CLIP's special tokens); kept apart from the cache, which may be cleared.
    private (string Word, int[] Ids)[] _pinned = [];

    static BytePairEncoding()
    {
        // bytes_to_unicode(): printable Latin-1 bytes map to themselves, the other 68 to U+0100.. in byte order.
        var byteToChar = new char[256];
        var order = new List<int>(256);
        for (var b = '!'; b <= '~'; b++)
        {
            order.Add(b);
        }

        for (var b = '¡'; b <= '¬'; b++)
        {
            order.Add(b);
        }

        for (var b = '®'; b <= 'ÿ'; b++)
        {
            order.Add(b);
        }

        foreach (var b in order)
        {
            byteToChar[b] = (char)b;
        }

        var n = 0;
        for (var b = 0; b < 256; b++)
        {
            if (!order.Contains(b))
            {
                order.Add(b);
                byteToChar[b] = (char)(256 + n);
                n++;
            }
        }

        ByteToChar = byteToChar;
        ByteOrder = order.ToArray();
        CharToByte = new short[256 + 68];
        Array.Fill(CharToByte, (short)-1);
        for (var b = 0; b < 256; b++)
        {
            CharToByte[byteToChar[b]] = (short)b;
        }
    }

    /// <summary>Builds the model.</summary>
    /// <param name="vocabulary">Token strings in byte-level form, index = id.</param>
    /// <param name="encoder">Token string → id (later duplicates win).</param>
    /// <param name="merges">Merge pairs in rank order.</param>
    /// <param name="endOfWordSuffix">CLIP's <c>"&lt;/w&gt;"</c> appended to a word's last symbol, or null (GPT-2).</param>
    /// <param name="source">Name of the vocabulary for error messages.</param>
    internal BytePairEncoding(string[] vocabulary, Dictionary<string, int> encoder, IReadOnlyList<(string Left, string Right)> merges,
                              string? endOfWordSuffix, string source)
    {
        Vocabulary = vocabulary;
        Encoder = encoder;
        _merges = new Dictionary<long, (int Rank, int Merged)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!encoder.TryGetValue(left, out var a) || !encoder.TryGetValue(right, out var b) ||
                !encoder.TryGetValue(left + right, out var merged))
            {
                throw new InvalidDataException($"{source}: merge {rank} ('{left}' '{right}') uses a token that is not in the vocabulary.");
            }

            // bpe_ranks = dict(zip(merges, range(len(merges)))): a repeated pair keeps its later rank.
            _merges[Key(a, b)] = (rank, merged);
        }

        _byteIds = new int[256];
        for (var b = 0; b < 256; b++)
        {
            _byteIds[b] = Lookup(encoder, ByteToChar[b].ToString(), source);
        }

        if (endOfWordSuffix is not null)
        {
            _byteEndOfWordIds = new int[256];
            for (var b = 0; b < 256; b++)
            {
                _byteEndOfWordIds[b] = Lookup(encoder, ByteToChar[b] + endOfWordSuffix, source);
            }
        }

        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary><c>bytes_to_unicode()</c>: byte → its printable stand-in character.</summary>
    internal static char[] ByteToChar { get; }

    /// <summary>The order of bytes in <c>bytes_to_unicode().values()</c> (CLIP's first 256 ids).</summary>
    internal static int[] ByteOrder { get; }

    /// <summary>Inverse of <see cref="ByteToChar"/>; −1 for characters that stand for no byte.</summary>
    internal static short[] CharToByte { get; }

    /// <summary>Token strings by id.</summary>
    internal string[] Vocabulary { get; }

    /// <summary>Token string → id.</summary>
    internal Dictionary<string, int> Encoder { get; }

    /// <summary>Appends the ids of one pre-tokenised word (its text, before byte mapping) to <paramref name="output"/>.</summary>
    internal void EncodeWord(ReadOnlySpan<char> word, List<int> output)
    {
        foreach (var (pinnedWord, pinnedIds) in _pinned)
        {
            if (word.SequenceEqual(pinnedWord))
            {
                output.AddRange(pinnedIds);
                return;
            }
        }

        if (_cacheLookup.TryGetValue(word, out var cached))
        {
            output.AddRange(cached);
            return;
        }

        var ids = Merge(word);
        if (_cache.Count >= MaxCacheEntries)
        {
            _cache.Clear();
        }

        _cacheLookup.TryAdd(word, ids);
        output.AddRange(ids);
    }

    /// <summary>Makes <paramref name="word"/> encode to <paramref name="id"/> without BPE (CLIP's special tokens); call before use.</summary>
    internal void Pin(string word, int id) => _pinned = [.. _pinned, (word, [id])];

    /// <summary>Empties the word cache (tests use it to check that cached and fresh encodings agree).</summary>
    internal void ClearCache() => _cache.Clear();

    /// <summary>Decodes ids to UTF-8 bytes through the inverse byte mapping, as <c>decode()</c> in the reference.</summary>
    internal byte[] DecodeToUtf8(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)Vocabulary.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id must be in [0, {Vocabulary.Length}).");
            }

            foreach (var c in Vocabulary[id])
            {
                var b = c < CharToByte.Length ? CharToByte[c] : (short)-1;
                if (b < 0)
                {
                    throw new InvalidDataException($"Token {id} ('{Vocabulary[id]}') holds a character that stands for no byte.");
                }

                bytes.Add((byte)b);
            }
        }

        return bytes.ToArray();
    }

    private int[] Merge(ReadOnlySpan<char> word)
    {
        var byteCount = Encoding.UTF8.GetByteCount(word);
        Span<byte> utf8 = byteCount <= 256 ? stackalloc byte[256] : new byte[byteCount];
        utf8 = utf8[..Encoding.UTF8.GetBytes(word, utf8)];

        var symbols = new int[utf8.Length];
        for (var i = 0; i < utf8.Length; i++)
        {
            symbols[i] = _byteIds[utf8[i]];
        }

        if (_byteEndOfWordIds is not null && utf8.Length > 0)
        {
            symbols[^1] = _byteEndOfWordIds[utf8[^1]];
        }

        var count = symbols.Length;
        while (count > 1)
        {
            // The adjacent pair with the lowest merge rank.
            var bestRank = int.MaxValue;
            var first = 0;
            var second = 0;
            var merged = 0;
            for (var i = 0; i + 1 < count; i++)
            {
                if (_merges.TryGetValue(Key(symbols[i], symbols[i + 1]), out var m) && m.Rank < bestRank)
                {
                    bestRank = m.Rank;
                    first = symbols[i];
                    second = symbols[i + 1];
                    merged = m.Merged;
                }
            }

            if (bestRank == int.MaxValue)
            {
                break;
            }

            // Merge every non-overlapping occurrence, left to right, in place.
            var write = 0;
            for (var read = 0; read < count; read++)
            {
                if (symbols[read] == first && read + 1 < count && symbols[read + 1] == second)
                {
                    symbols[write++] = merged;
                    read++;
                }
                else
                {
                    symbols[write++] = symbols[read];
                }
            }

            count = write;
        }

        return count == symbols.Length ? symbols : symbols[..count];
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;

    private static int Lookup(Dictionary<string, int> encoder, string token, string source) =>
        encoder.TryGetValue(token, out var id)
            ? id
            : throw new InvalidDataException($"{source}: the vocabulary lacks the byte token '{token}'.");
}
