using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CrossModal.Text.Tokenization;

namespace CrossModal.Text;

/// <summary>
/// A word-level vocabulary built from a caption corpus, for small decoders trained from scratch: text is
/// lower-cased, split into words (runs of letters, numbers and combining marks) and single punctuation marks,
/// and words seen fewer than a minimum number of times map to <c>&lt;unk&gt;</c>.
/// </summary>
/// <remarks>
/// Ids 0–3 are <c>&lt;pad&gt;</c>, <c>&lt;bos&gt;</c>, <c>&lt;eos&gt;</c>, <c>&lt;unk&gt;</c>; the words follow, most frequent
/// first (ties in ordinal order), so the same corpus always gives the same ids. Saved as JSON by <see cref="Save"/>.
/// </remarks>
public sealed class WordTokenizer : ITokenizer
{
    /// <summary>Padding token, id 0.</summary>
    public const string PadToken = "<pad>";

    /// <summary>Begin-of-sequence token, id 1.</summary>
    public const string BosToken = "<bos>";

    /// <summary>End-of-sequence token, id 2.</summary>
    public const string EosToken = "<eos>";

    /// <summary>Unknown-word token, id 3.</summary>
    public const string UnkToken = "<unk>";

    private const string FormatName = "crossmodal-word-tokenizer";
    private const int FormatVersion = 1;

    private static readonly string[] Specials = [PadToken, BosToken, EosToken, UnkToken];

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    private WordTokenizer(string[] tokens, string source)
    {
        _tokens = tokens;
        _ids = new Dictionary<string, int>(tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Length; i++)
        {
            if (i < Specials.Length && tokens[i] != Specials[i])
            {
                throw new InvalidDataException($"{source}: token {i} must be '{Specials[i]}' but is '{tokens[i]}'.");
            }

            if (string.IsNullOrEmpty(tokens[i]) || !_ids.TryAdd(tokens[i], i))
            {
                throw new InvalidDataException($"{source}: token {i} ('{tokens[i]}') is empty or repeated.");
            }
        }
    }

    /// <summary>Tokens by id (the four specials first).</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <inheritdoc />
    public int VocabularySize => _tokens.Length;

    /// <summary>Id of <c>&lt;bos&gt;</c> (1).</summary>
    public int? StartOfTextId => 1;

    /// <summary>Id of <c>&lt;eos&gt;</c> (2).</summary>
    public int EndOfTextId => 2;

    /// <summary>Id of <c>&lt;pad&gt;</c> (0).</summary>
    public int PaddingId => 0;

    /// <summary>Id of <c>&lt;unk&gt;</c> (3).</summary>
    public int UnknownId => 3;

    /// <summary>Builds a vocabulary from <paramref name="corpus"/>.</summary>
    /// <param name="corpus">Captions.</param>
    /// <param name="minCount">Words seen fewer times are left out (they encode as <c>&lt;unk&gt;</c>); at least 1.</param>
    /// <param name="maxWords">Keep at most this many words (the most frequent), or null for all.</param>
    public static WordTokenizer Build(IEnumerable<string> corpus, int minCount = 1, int? maxWords = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentOutOfRangeException.ThrowIfLessThan(minCount, 1);
        if (maxWords is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxWords), maxWords, "Must be zero or more.");
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var text in corpus)
        {
            foreach (var word in SplitWords(text ?? throw new ArgumentException("The corpus holds a null caption.", nameof(corpus))))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        var words = counts.Where(p => p.Value >= minCount && !Specials.Contains(p.Key))
                          .OrderByDescending(p => p.Value)
                          .ThenBy(p => p.Key, StringComparer.Ordinal)
                          .Select(p => p.Key);
        if (maxWords is { } max)
        {
            words = words.Take(max);
        }

        return new WordTokenizer([.. Specials, .. words], "corpus");
    }

    /// <summary>
    /// Lower-cases <paramref name="text"/> and splits it into words (maximal runs of letters, numbers and combining
    /// marks) and punctuation marks (every other non-space character on its own).
    /// </summary>
    /// <param name="text">A caption.</param>
    public static IReadOnlyList<string> SplitWords(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = PythonText.Lower(text);
        var words = new List<string>();
        var i = 0;
        while (i < lower.Length)
        {
            var rune = PythonText.ReadRune(lower, i, out var width);
            if (Rune.IsWhiteSpace(rune))
            {
                i += width;
                continue;
            }

            if (!IsWordRune(rune))
            {
                words.Add(lower.Substring(i, width));
                i += width;
                continue;
            }

            var start = i;
            while (i < lower.Length)
            {
                var r = PythonText.ReadRune(lower, i, out var w);
                if (!IsWordRune(r))
                {
                    break;
                }

                i += w;
            }

            words.Add(lower[start..i]);
        }

        return words;
    }

    /// <summary>Encodes the words of <paramref name="text"/> (no <c>&lt;bos&gt;</c>/<c>&lt;eos&gt;</c>); unknown words give <see cref="UnknownId"/>.</summary>
    /// <param name="text">A caption.</param>
    public int[] Encode(string text)
    {
        var words = SplitWords(text);
        var ids = new int[words.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = _ids.TryGetValue(words[i], out var id) ? id : UnknownId;
        }

        return ids;
    }

    /// <summary>The id of <paramref name="word"/>, or <see cref="UnknownId"/>.</summary>
    /// <param name="word">A word as <see cref="SplitWords"/> produces it.</param>
    public int IdOf(string word) => _ids.TryGetValue(word, out var id) ? id : UnknownId;

    /// <summary>Joins the words of <paramref name="ids"/> with single spaces, leaving out <c>&lt;pad&gt;</c>, <c>&lt;bos&gt;</c> and <c>&lt;eos&gt;</c>.</summary>
    /// <param name="ids">Ids in <c>[0, VocabularySize)</c>.</param>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var builder = new StringBuilder();
        foreach (var id in ids)
        {
            if ((uint)id >= (uint)_tokens.Length)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id must be in [0, {_tokens.Length}).");
            }

            if (id is 0 or 1 or 2)
            {
                continue;
            }

            if (builder.Length > 0)
            {
                builder.Append(' ');
            }

            builder.Append(_tokens[id]);
        }

        return builder.ToString();
    }

    /// <summary>Writes the vocabulary as JSON, atomically (a temporary file renamed over <paramref name="path"/>).</summary>
    /// <param name="path">Destination file.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var json = new JsonObject
        {
            ["format"] = FormatName,
            ["version"] = FormatVersion,
            ["tokens"] = new JsonArray(_tokens.Select(t => (JsonNode?)JsonValue.Create(t)).ToArray()),
        };
        var full = Path.GetFullPath(path);
        var temporary = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            File.WriteAllText(temporary, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }), new UTF8Encoding(false));
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    /// <summary>Rebuilds a tokenizer from its token list (<see cref="Tokens"/>), e.g. as stored inside a model checkpoint.</summary>
    /// <param name="tokens">All tokens in id order, starting with the four special tokens.</param>
    /// <exception cref="InvalidDataException">The specials are missing or a token is empty or repeated.</exception>
    public static WordTokenizer FromTokens(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var array = tokens.ToArray();
        if (array.Length < Specials.Length)
        {
            throw new InvalidDataException($"Expected at least the {Specials.Length} special tokens, found {array.Length} tokens.");
        }

        return new WordTokenizer(array, "token list");
    }

    /// <summary>Reads a vocabulary written by <see cref="Save"/>.</summary>
    /// <param name="path">The JSON file.</param>
    /// <exception cref="InvalidDataException">The file is not a word-tokenizer JSON file; the message names the file and what is wrong.</exception>
    public static WordTokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: invalid JSON ({e.Message}).", e);
        }

        if (root is not JsonObject obj || obj["format"]?.GetValueKind() != JsonValueKind.String ||
            obj["format"]!.GetValue<string>() != FormatName)
        {
            throw new InvalidDataException($"{path}: expected a JSON object with \"format\": \"{FormatName}\".");
        }

        if (obj["version"]?.GetValueKind() != JsonValueKind.Number || !obj["version"]!.AsValue().TryGetValue<int>(out var version) || version != FormatVersion)
        {
            throw new InvalidDataException($"{path}: expected \"version\": {FormatVersion}.");
        }

        if (obj["tokens"] is not JsonArray array)
        {
            throw new InvalidDataException($"{path}: expected \"tokens\": an array of strings.");
        }

        var tokens = new string[array.Count];
        for (var i = 0; i < tokens.Length; i++)
        {
            if (array[i]?.GetValueKind() != JsonValueKind.String)
            {
                throw new InvalidDataException($"{path}: tokens[{i}] is not a string.");
            }

            try
            {
                tokens[i] = array[i]!.GetValue<string>();
            }
            catch (InvalidOperationException e)
            {
                // System.Text.Json refuses to decode invalid UTF-8 or a lone surrogate escape here, not at parse time.
                throw new InvalidDataException($"{path}: tokens[{i}] is not valid Unicode text ({e.Message}).", e);
            }
        }

        if (tokens.Length < Specials.Length)
        {
            throw new InvalidDataException($"{path}: expected at least the {Specials.Length} special tokens, found {tokens.Length} tokens.");
        }

        return new WordTokenizer(tokens, path);
    }

    private static bool IsWordRune(Rune rune)
    {
        var category = Rune.GetUnicodeCategory(rune);
        return Rune.IsLetterOrDigit(rune) || category is System.Globalization.UnicodeCategory.NonSpacingMark
            or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.LetterNumber
            or System.Globalization.UnicodeCategory.OtherNumber;
    }
}
