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
/// <see cref="ClipTokenizer.FromFile"/>), the token list for a <see cref="WordTokenizer"/>. So a model never reloads
/// with a different vocabulary than it was trained with.
/// </summary>
public static class TokenizerRegistry
{
    /// <summary>The name of <see cref="WordTokenizer"/>.</summary>
    public const string Word = "word";

    /// <summary>The name of <see cref="Gpt2Tokenizer"/>.</summary>
    public const string Gpt2 = "gpt2";

    /// <summary>The name of <see cref="ClipTokenizer"/>.</summary>
    public const string Clip = "clip";

    /// <summary>The entry holding the tokenizer's name in <see cref="Export"/>.</summary>
    public const string KindEntry = "kind";

    private const string TokensEntry = "tokens";
    private const string EncoderEntry = "encoder.json";
    private const string VocabBpeEntry = "vocab.bpe";
    private const string MergesEntry = "merges";

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
    /// <param name="tokenizer">A <see cref="WordTokenizer"/>, <see cref="Gpt2Tokenizer"/> or <see cref="ClipTokenizer"/>.</param>
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
            default:
                throw new ArgumentException(
                    $"Cannot store a {tokenizer.GetType().Name}: only word, GPT-2 and CLIP tokenizers can be rebuilt from a file.", nameof(tokenizer));
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
            default:
                throw new InvalidDataException($"{source}: unknown tokenizer kind '{kind}'; expected {Word}, {Gpt2} or {Clip}.");
        }
    }
}
