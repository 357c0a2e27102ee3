using System;
using System.IO;
using System.Linq;
using System.Text;
using CrossModal.Text.Tokenization;
using Microsoft.ML.Tokenizers;

namespace CrossModal.Text;

/// <summary>
/// Any Microsoft.ML.Tokenizers <see cref="Tokenizer"/> (Tiktoken, Llama, BERT, a BPE of your own) as an
/// <see cref="ITokenizer"/>, so it can train and run captioners. Thread-safe when the wrapped tokenizer is (all of
/// Microsoft.ML.Tokenizers' own are).
/// </summary>
/// <remarks>
/// A captioner checkpoint stores its tokenizer so the model never reloads with another vocabulary. It can do that for
/// an adapter made by <see cref="FromTiktokenFile"/> (the file's text is stored, see <see cref="TokenizerRegistry"/>);
/// an adapter made from a <see cref="Tokenizer"/> object cannot be rebuilt from a file, so
/// <see cref="TokenizerRegistry.Export"/> — and therefore a trainer asked to write checkpoints — refuses it up front.
/// </remarks>
public sealed class MLTokenizerAdapter : ITokenizer
{
    /// <summary>The special token <see cref="FromTiktokenFile"/> uses as end of text.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    /// <summary>Wraps <paramref name="tokenizer"/>.</summary>
    /// <param name="tokenizer">The tokenizer; <see cref="Encode"/> calls its <c>EncodeToIds</c>, <see cref="Decode"/> its <c>Decode</c>.</param>
    /// <param name="vocabularySize">One more than the largest id it produces (special tokens included).</param>
    /// <param name="endOfTextId">The id that ends a caption (e.g. BERT's <c>[SEP]</c>, Llama's <c>&lt;/s&gt;</c>).</param>
    /// <param name="startOfTextId">The id that starts a caption, or null when there is none.</param>
    /// <param name="paddingId">The padding id; <paramref name="endOfTextId"/> when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or id is out of range.</exception>
    public MLTokenizerAdapter(Tokenizer tokenizer, int vocabularySize, int endOfTextId, int? startOfTextId = null, int? paddingId = null)
        : this(tokenizer, vocabularySize, endOfTextId, startOfTextId, paddingId, null)
    {
    }

    private MLTokenizerAdapter(Tokenizer tokenizer, int vocabularySize, int endOfTextId, int? startOfTextId, int? paddingId, TiktokenDefinition? definition)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 1);
        CheckId(endOfTextId, vocabularySize, nameof(endOfTextId));
        if (startOfTextId is { } start)
        {
            CheckId(start, vocabularySize, nameof(startOfTextId));
        }

        if (paddingId is { } pad)
        {
            CheckId(pad, vocabularySize, nameof(paddingId));
        }

        Inner = tokenizer;
        VocabularySize = vocabularySize;
        EndOfTextId = endOfTextId;
        StartOfTextId = startOfTextId;
        PaddingId = paddingId ?? endOfTextId;
        Definition = definition;
    }

    /// <summary>The wrapped tokenizer.</summary>
    public Tokenizer Inner { get; }

    /// <inheritdoc />
    public int VocabularySize { get; }

    /// <inheritdoc />
    public int? StartOfTextId { get; }

    /// <inheritdoc />
    public int EndOfTextId { get; }

    /// <inheritdoc />
    public int PaddingId { get; }

    /// <summary>What a checkpoint stores to rebuild this tokenizer; null when it was made from a <see cref="Tokenizer"/> object.</summary>
    internal TiktokenDefinition? Definition { get; }

    /// <summary>
    /// Loads a tiktoken ranks file (<c>BASE64-TOKEN RANK</c> per line, as <c>cl100k_base.tiktoken</c>) as a
    /// <see cref="TiktokenTokenizer"/>.
    /// </summary>
    /// <param name="path">The <c>.tiktoken</c> file.</param>
    /// <param name="modelName">
    /// An OpenAI model name known to Microsoft.ML.Tokenizers (<c>gpt-4o</c>, <c>gpt-4</c>, …) whose pre-tokenising pattern
    /// and special tokens the file is used with — pass it for OpenAI's own encodings. When null, the file is a
    /// vocabulary of your own: GPT-2's pattern (with Python <c>regex</c> semantics) splits the text, and
    /// <c>&lt;|endoftext|&gt;</c> gets the id one past the highest rank.
    /// </param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a tiktoken ranks file, or the model name is unknown; the message starts with the path.</exception>
    public static MLTokenizerAdapter FromTiktokenFile(string path, string? modelName = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(File.ReadAllBytes(path));
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: not a tiktoken ranks file (not valid UTF-8).", e);
        }

        return FromTiktokenText(new TiktokenDefinition(text, modelName), path);
    }

    /// <summary>Builds the tokenizer a <see cref="TiktokenDefinition"/> describes.</summary>
    /// <param name="definition">The ranks text and model name.</param>
    /// <param name="source">Named in errors.</param>
    /// <exception cref="InvalidDataException">The text or the model name is not usable; the message starts with <paramref name="source"/>.</exception>
    internal static MLTokenizerAdapter FromTiktokenText(TiktokenDefinition definition, string source)
    {
        var ranks = CountRanks(definition.Ranks, source);
        TiktokenTokenizer tiktoken;
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(definition.Ranks), writable: false);
            if (definition.ModelName is { } model)
            {
                tiktoken = TiktokenTokenizer.CreateForModel(model, stream);
            }
            else
            {
                var specials = new System.Collections.Generic.Dictionary<string, int>(StringComparer.Ordinal) { [EndOfTextToken] = ranks };
                tiktoken = TiktokenTokenizer.Create(stream, Gpt2PreTokenizer.Instance, normalizer: null, specials);
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or NotSupportedException or InvalidOperationException)
        {
            throw new InvalidDataException($"{source}: not a usable tiktoken ranks file{(definition.ModelName is null ? "" : $" for model '{definition.ModelName}'")} ({e.Message}).", e);
        }

        var size = Math.Max(ranks, (tiktoken.SpecialTokens?.Values.DefaultIfEmpty(-1).Max() ?? -1) + 1);
        if (tiktoken.SpecialTokens is null || !tiktoken.SpecialTokens.TryGetValue(EndOfTextToken, out var endOfText))
        {
            throw new InvalidDataException($"{source}: the tokenizer has no {EndOfTextToken} special token to end captions with.");
        }

        return new MLTokenizerAdapter(tiktoken, size, endOfText, startOfTextId: null, paddingId: null, definition);
    }

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = Inner.EncodeToIds(text);
        var result = new int[ids.Count];
        for (var i = 0; i < result.Length; i++)
        {
            var id = ids[i];
            if ((uint)id >= (uint)VocabularySize)
            {
                throw new InvalidOperationException($"The wrapped {Inner.GetType().Name} produced id {id}, outside the declared vocabulary size {VocabularySize}.");
            }

            result[i] = id;
        }

        return result;
    }

    /// <inheritdoc />
    public string Decode(ReadOnlySpan<int> ids)
    {
        var array = new int[ids.Length];
        for (var i = 0; i < ids.Length; i++)
        {
            array[i] = CheckId(ids[i], VocabularySize, nameof(ids));
        }

        return Inner.Decode(array) ?? string.Empty;
    }

    private static int CheckId(int id, int size, string name) =>
        (uint)id < (uint)size ? id : throw new ArgumentOutOfRangeException(name, id, $"Token id must be in [0, {size}).");

    // One past the highest rank: the first id free for <|endoftext|>.
    private static int CountRanks(string ranks, string source)
    {
        var highest = -1;
        var lineNumber = 0;
        foreach (var line in ranks.Split('\n'))
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var space = line.LastIndexOf(' ');
            if (space <= 0 || !int.TryParse(line.AsSpan(space + 1).TrimEnd('\r'), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var rank))
            {
                throw new InvalidDataException($"{source}: line {lineNumber} should be 'BASE64-TOKEN RANK' but is '{(line.Length > 60 ? line[..60] + "…" : line)}'.");
            }

            highest = Math.Max(highest, rank);
        }

        if (highest < 0)
        {
            throw new InvalidDataException($"{source}: the tiktoken file holds no ranks.");
        }

        return highest + 1;
    }
}

/// <summary>What rebuilds a tiktoken tokenizer: the ranks file's text and the model name it is used with (null for a vocabulary of one's own).</summary>
internal sealed record TiktokenDefinition(string Ranks, string? ModelName);
