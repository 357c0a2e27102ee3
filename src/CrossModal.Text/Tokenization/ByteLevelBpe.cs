using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace CrossModal.Text.Tokenization;

/// <summary>
/// The byte-level BPE model shared by the CLIP and GPT-2 tokenizers, built on Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/>: OpenAI's <c>bytes_to_unicode</c> table, a vocabulary (token string ↔ id) and ranked
/// merges, with our Python-exact pre-tokenizer (and, for CLIP, text cleaning) plugged in as its
/// <see cref="PreTokenizer"/> and <see cref="Normalizer"/>.
/// </summary>
/// <remarks>
/// <see cref="BpeTokenizer"/> merges the lowest-ranked adjacent pair first and, among equal pairs, the leftmost; the
/// reference (<c>bpe()</c> in clip/simple_tokenizer.py and gpt-2/src/encoder.py) merges every occurrence of the
/// lowest-ranked pair left to right. Both give the same result because a merge only ever creates pairs of higher rank
/// than itself; the golden files hold this to every id.
/// </remarks>
internal sealed class ByteLevelBpe
{
    /// <summary>Upper bound on memoised words; the memo is cleared when it is reached.</summary>
    private const int MaxCacheEntries = 1 << 18;

    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheLookup;
    private readonly PythonPatternPreTokenizer _preTokenizer;
    private readonly Normalizer? _normalizer;
    private readonly Dictionary<string, int> _encoder;
    private readonly IReadOnlyList<(string Left, string Right)> _merges;
    private readonly string? _endOfWordSuffix;
    private readonly IReadOnlyDictionary<string, int>? _specialTokens;

    static ByteLevelBpe()
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
    /// <param name="encoder">Token string → id (later duplicates win, as with Python's <c>dict</c>).</param>
    /// <param name="merges">Merge pairs in rank order.</param>
    /// <param name="endOfWordSuffix">CLIP's <c>"&lt;/w&gt;"</c> appended to a word's last symbol, or null (GPT-2).</param>
    /// <param name="specialTokens">Words that bypass BPE (CLIP's start and end tokens), or null.</param>
    /// <param name="preTokenizer">Splits text into words.</param>
    /// <param name="normalizer">Cleans text before splitting, or null.</param>
    /// <param name="source">Name of the vocabulary for error messages.</param>
    internal ByteLevelBpe(string[] vocabulary, Dictionary<string, int> encoder, IReadOnlyList<(string Left, string Right)> merges,
                          string? endOfWordSuffix, IReadOnlyDictionary<string, int>? specialTokens, PythonPatternPreTokenizer preTokenizer,
                          Normalizer? normalizer, string source)
    {
        Vocabulary = vocabulary;
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right) = merges[rank];
            if (!encoder.ContainsKey(left) || !encoder.ContainsKey(right) || !encoder.ContainsKey(left + right))
            {
                throw new InvalidDataException($"{source}: merge {rank} ('{left}' '{right}') uses a token that is not in the vocabulary.");
            }
        }

        for (var b = 0; b < 256; b++)
        {
            RequireToken(encoder, ByteToChar[b].ToString(), source);
            if (endOfWordSuffix is not null)
            {
                RequireToken(encoder, ByteToChar[b] + endOfWordSuffix, source);
            }
        }

        _cacheLookup = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        _preTokenizer = preTokenizer;
        _normalizer = normalizer;
        _encoder = encoder;
        _merges = merges;
        _endOfWordSuffix = endOfWordSuffix;
        _specialTokens = specialTokens;
        try
        {
            Tokenizer = WithComponents(preTokenizer, normalizer);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{source}: {e.Message}", e);
        }
    }

    /// <summary><c>bytes_to_unicode()</c>: byte → its printable stand-in character.</summary>
    internal static char[] ByteToChar { get; }

    /// <summary>The order of bytes in <c>bytes_to_unicode().values()</c> (CLIP's first 256 ids).</summary>
    internal static int[] ByteOrder { get; }

    /// <summary>Inverse of <see cref="ByteToChar"/>; −1 for characters that stand for no byte.</summary>
    internal static short[] CharToByte { get; }

    /// <summary>Token strings by id.</summary>
    internal string[] Vocabulary { get; }

    /// <summary>The Microsoft.ML.Tokenizers model that does the encoding.</summary>
    internal BpeTokenizer Tokenizer { get; }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="destination"/>.</summary>
    /// <remarks>
    /// The same ids as <c>Tokenizer.EncodeToIds(text)</c> (tests hold the two equal on every golden case), but the
    /// normaliser and pre-tokenizer are called directly and each word's ids are memoised here, so
    /// <see cref="BpeTokenizer"/> only sees words not met before: its per-call plumbing (settings, list allocation,
    /// byte-level conversion, its own cache) cost 3–4× the old throughput on Flickr8k captions (docs/text.md).
    /// </remarks>
    internal void Encode(string text, List<int> destination)
    {
        var normalized = _normalizer is null ? text : _normalizer.Normalize(text);
        var position = 0;
        while (position < normalized.Length)
        {
            var length = _preTokenizer.MatchAt(normalized, position);
            if (length == 0)
            {
                PythonText.ReadRune(normalized, position, out var width);
                position += width;
                continue;
            }

            var word = normalized.AsSpan(position, length);
            position += length;
            if (!_cacheLookup.TryGetValue(word, out var ids))
            {
                ids = [.. Tokenizer.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false)];
                if (_cache.Count >= MaxCacheEntries)
                {
                    _cache.Clear();
                }

                _cacheLookup.TryAdd(word, ids);
            }

            destination.AddRange(ids);
        }
    }

    /// <summary>
    /// Decodes ids the way OpenAI's reference does, token strings joined and mapped back to bytes, then UTF-8 with
    /// invalid sequences as U+FFFD. Not <see cref="BpeTokenizer.Decode(IEnumerable{int})"/>: for CLIP it drops the
    /// end-of-word suffix where the reference writes a space, and for GPT-2, though exact, it was measured 4× slower
    /// than this table walk (docs/text.md).
    /// </summary>
    internal string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>(ids.Length * 4);
        foreach (var id in ids)
        {
            var token = Vocabulary[CheckId(id)];
            foreach (var c in token)
            {
                var b = c < CharToByte.Length ? CharToByte[c] : (short)-1;
                if (b < 0)
                {
                    throw new InvalidDataException($"Token {id} ('{token}') holds a character that stands for no byte.");
                }

                bytes.Add((byte)b);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private int CheckId(int id) =>
        (uint)id < (uint)Vocabulary.Length ? id : throw new ArgumentOutOfRangeException("ids", id, $"Token id must be in [0, {Vocabulary.Length}).");

    /// <summary>A <see cref="BpeTokenizer"/> over the same vocabulary and merges with other text components (tests
    /// use it to measure how Microsoft.ML.Tokenizers' stock pre-tokenizers differ from the reference).</summary>
    internal BpeTokenizer WithComponents(PreTokenizer preTokenizer, Normalizer? normalizer) =>
        BpeTokenizer.Create(new BpeOptions(_encoder)
        {
            Merges = _merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
            EndOfWordSuffix = _endOfWordSuffix,
            SpecialTokens = _specialTokens,
            PreTokenizer = preTokenizer,
            Normalizer = normalizer,
        });

    private static void RequireToken(Dictionary<string, int> encoder, string token, string source)
    {
        if (!encoder.ContainsKey(token))
        {
            throw new InvalidDataException($"{source}: the vocabulary lacks the byte token '{token}'.");
        }
    }
}
