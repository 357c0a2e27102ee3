using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.IO;
using System.Text.Json;

namespace CrossModal.Text;

/// <summary>
/// The one place that maps tokenizer names to tokenizers: the pretrained ones by name (<c>gpt2</c>, <c>clip</c>) for the
/// command line, and every tokenizer the library can rebuild as a set of named text entries for checkpoints. A
/// tokenizer is exported with everything needed to rebuild it: the name alone for the embedded GPT-2 and CLIP
/// vocabularies, the vocabulary and merges texts for one loaded from files (<see cref="Gpt2Tokenizer.FromFiles"/>,
/// <see cref="ClipTokenizer.FromFile"/>), the token list for a <see cref="WordTokenizer"/>, the ranks text and model
/// name for a tiktoken file (<see cref="MLTokenizerAdapter.FromTiktokenFile"/>). So a model never reloads with a
/// different vocabulary than it was trained with. <see cref="Resolve"/> and <see cref="Load"/> turn what a user types
/// (<c>gpt2</c>, <c>clip</c>, a <c>.tiktoken</c> file, a word tokenizer's <c>.json</c>) into a tokenizer.
/// </summary>
public static class TokenizerRegistry
{
    /// <summary>The name of <see cref="WordTokenizer"/>.</summary>
    public const string Word = "word";

    /// <summary>The name of <see cref="Gpt2Tokenizer"/>.</summary>
    public const string Gpt2 = "gpt2";

    /// <summary>The name of <see cref="ClipTokenizer"/>.</summary>
    public const string Clip = "clip";

    /// <summary>The name of a tiktoken file wrapped by <see cref="MLTokenizerAdapter"/>.</summary>
    public const string Tiktoken = "tiktoken";

    /// <summary>The entry holding the tokenizer's name in <see cref="Export"/>.</summary>
    public const string KindEntry = "kind";

    private const string TokensEntry = "tokens";
    private const string EncoderEntry = "encoder.json";
    private const string VocabBpeEntry = "vocab.bpe";
    private const string MergesEntry = "merges";
    private const string RanksEntry = "ranks.tiktoken";
    private const string ModelEntry = "model";

    /// <summary>The names <see cref="TryGetPretrained"/> knows: <c>gpt2</c> and <c>clip</c>.</summary>
    public static IReadOnlyList<string> PretrainedNames { get; } = [Gpt2, Clip];

    /// <summary>The process-wide tokenizer over the embedded vocabulary called <paramref name="name"/> (ordinal match).</summary>
    /// <param name="name"><c>gpt2</c> or <c>clip</c>.</param>
    /// <param name="tokenizer">The tokenizer, when the name is known.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryGetPretrained(string? name, [NotNullWhen(true)] out ITokenizer? tokenizer)
    {
        tokenizer = name switch
        {
            Gpt2 => Gpt2Tokenizer.Shared,
            Clip => ClipTokenizer.Shared,
            _ => null,
        };
        return tokenizer is not null;
    }

    /// <summary>Everything needed to rebuild <paramref name="tokenizer"/> with <see cref="Import"/>, as named texts.</summary>
    /// <param name="tokenizer">A <see cref="WordTokenizer"/>, <see cref="Gpt2Tokenizer"/>, <see cref="ClipTokenizer"/> or an
    /// <see cref="MLTokenizerAdapter"/> made by <see cref="MLTokenizerAdapter.FromTiktokenFile"/>.</param>
    /// <returns>Entry <see cref="KindEntry"/> with the name, plus the vocabulary texts when they are not the embedded ones.</returns>
    /// <exception cref="ArgumentException">Another tokenizer type, which the library could not rebuild.</exception>
    public static IReadOnlyDictionary<string, string> Export(ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        switch (tokenizer)
        {
            case WordTokenizer word:
                entries[KindEntry] = Word;
                entries[TokensEntry] = JsonSerializer.Serialize(word.Tokens);
                break;
            case Gpt2Tokenizer gpt2:
                entries[KindEntry] = Gpt2;
                if (gpt2.Definition is { } files)
                {
                    entries[EncoderEntry] = files.EncoderJson;
                    entries[VocabBpeEntry] = files.VocabBpe;
                }

                break;
            case ClipTokenizer clip:
                entries[KindEntry] = Clip;
                if (clip.Definition is { } merges)
                {
                    entries[MergesEntry] = merges;
                }

                break;
            case MLTokenizerAdapter { Definition: { } tiktoken }:
                entries[KindEntry] = Tiktoken;
                entries[RanksEntry] = tiktoken.Ranks;
                if (tiktoken.ModelName is { } model)
                {
                    entries[ModelEntry] = model;
                }

                break;
            case MLTokenizerAdapter adapter:
                throw new ArgumentException(
                    $"Cannot store an MLTokenizerAdapter over a {adapter.Inner.GetType().Name} object: a checkpoint can only rebuild one made by " +
                    "MLTokenizerAdapter.FromTiktokenFile (or a word, GPT-2 or CLIP tokenizer).", nameof(tokenizer));
            default:
                throw new ArgumentException(
                    $"Cannot store a {tokenizer.GetType().Name}: only word, GPT-2, CLIP and tiktoken-file tokenizers can be rebuilt from a file.", nameof(tokenizer));
        }

        return entries;
    }

    /// <summary>Rebuilds a tokenizer exported by <see cref="Export"/>.</summary>
    /// <param name="entries">The entries; a <c>gpt2</c> or <c>clip</c> kind without vocabulary texts is the embedded vocabulary.</param>
    /// <param name="source">Named in errors, e.g. the checkpoint path.</param>
    /// <exception cref="InvalidDataException">An unknown kind, a missing entry or a malformed vocabulary; the message starts with <paramref name="source"/>.</exception>
    public static ITokenizer Import(IReadOnlyDictionary<string, string> entries, string source)
    {
        ArgumentNullException.ThrowIfNull(entries);
        string Entry(string key) => entries.TryGetValue(key, out var value)
            ? value
            : throw new InvalidDataException($"{source}: the tokenizer entry '{key}' is missing.");

        var kind = Entry(KindEntry);
        switch (kind)
        {
            case Word:
                string[]? tokens;
                try
                {
                    tokens = JsonSerializer.Deserialize<string[]>(Entry(TokensEntry));
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"{source}: the word tokenizer's '{TokensEntry}' is not a JSON array of strings ({e.Message}).", e);
                }

                try
                {
                    return WordTokenizer.FromTokens(tokens ?? []);
                }
                catch (InvalidDataException e)
                {
                    throw new InvalidDataException($"{source}: {e.Message}", e);
                }

            case Gpt2:
                var hasEncoder = entries.TryGetValue(EncoderEntry, out var encoder);
                var hasMerges = entries.TryGetValue(VocabBpeEntry, out var vocabBpe);
                if (hasEncoder != hasMerges)
                {
                    throw new InvalidDataException($"{source}: a GPT-2 tokenizer needs both '{EncoderEntry}' and '{VocabBpeEntry}', or neither for the embedded vocabulary.");
                }

                return hasEncoder
                    ? Gpt2Tokenizer.FromText(encoder!, $"{source} ({EncoderEntry})", vocabBpe!, $"{source} ({VocabBpeEntry})")
                    : Gpt2Tokenizer.Shared;
            case Clip:
                return entries.TryGetValue(MergesEntry, out var merges)
                    ? ClipTokenizer.FromText(merges, $"{source} ({MergesEntry})")
                    : ClipTokenizer.Shared;
            case Tiktoken:
                return MLTokenizerAdapter.FromTiktokenText(
                    new TiktokenDefinition(Entry(RanksEntry), entries.TryGetValue(ModelEntry, out var model) ? model : null), $"{source} ({RanksEntry})");
            default:
                throw new InvalidDataException($"{source}: unknown tokenizer kind '{kind}'; expected {Word}, {Gpt2}, {Clip} or {Tiktoken}.");
        }
    }

    /// <summary>Loads a tokenizer file: a <c>.tiktoken</c> ranks file (<see cref="MLTokenizerAdapter.FromTiktokenFile"/>,
    /// GPT-2's pattern, <c>&lt;|endoftext|&gt;</c> after the last rank); any other file is read as a word tokenizer's JSON
    /// (<see cref="WordTokenizer.Load"/>).</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file's contents are malformed; the message starts with the path.</exception>
    public static ITokenizer Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such tokenizer file.", path);
        }

        return path.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase)
            ? MLTokenizerAdapter.FromTiktokenFile(path)
            : WordTokenizer.Load(path);
    }

    /// <summary>The tokenizer a user named: a pretrained name (<see cref="TryGetPretrained"/>) or the path of a file <see cref="Load"/> reads.</summary>
    /// <param name="nameOrPath"><c>gpt2</c>, <c>clip</c>, or a <c>.tiktoken</c> / <c>.json</c> file.</param>
    /// <exception cref="ArgumentException">Neither a known name nor an existing file.</exception>
    /// <exception cref="InvalidDataException">The file's contents are malformed.</exception>
    public static ITokenizer Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        if (TryGetPretrained(nameOrPath, out var pretrained))
        {
            return pretrained;
        }

        return File.Exists(nameOrPath)
            ? Load(nameOrPath)
            : throw new ArgumentException($"'{nameOrPath}' is neither a tokenizer name ({string.Join(", ", PretrainedNames)}) nor an existing .tiktoken or .json file.", nameof(nameOrPath));
    }
}
