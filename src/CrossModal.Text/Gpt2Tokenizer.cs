using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading;
using CrossModal.Text.Tokenization;

namespace CrossModal.Text;

/// <summary>
/// OpenAI GPT-2's byte-level BPE tokenizer (<c>gpt-2/src/encoder.py</c>): GPT-2's pre-tokenising pattern, then BPE
/// over UTF-8 bytes. No normalisation at all, so <see cref="Decode"/> returns exactly the text that was encoded, for
/// any valid Unicode string. Ids are identical to the reference's on every case of
/// <c>data/tokenizers/tokenizer_golden.json</c>.
/// </summary>
/// <remarks>The vocabulary (<c>encoder.json</c>, <c>vocab.bpe</c>) is embedded in the assembly and read once, on first use.</remarks>
public sealed class Gpt2Tokenizer : ITokenizer
{
    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>.</summary>
    public const int EndOfText = 50256;

    private const string EncoderResource = "CrossModal.Text.gpt2.encoder.json";
    private const string MergesResource = "CrossModal.Text.gpt2.vocab.bpe";

    private static readonly Lazy<ByteLevelBpe> EmbeddedModel = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<Gpt2Tokenizer> SharedInstance = new(() => new Gpt2Tokenizer(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lazy<ByteLevelBpe> _model;

    /// <summary>Creates a tokenizer over the embedded GPT-2 vocabulary (loaded lazily, once per process).</summary>
    public Gpt2Tokenizer()
    {
        _model = EmbeddedModel;
    }

    private Gpt2Tokenizer(ByteLevelBpe model, string encoderJson, string vocabBpe)
    {
        _model = new Lazy<ByteLevelBpe>(model);
        Definition = (encoderJson, vocabBpe);
    }

    /// <summary>The texts of <c>encoder.json</c> and <c>vocab.bpe</c> of a tokenizer loaded from files (kept so that a
    /// checkpoint can store and rebuild it); null for the embedded vocabulary.</summary>
    internal (string EncoderJson, string VocabBpe)? Definition { get; }

    /// <summary>A process-wide instance over the embedded vocabulary.</summary>
    public static Gpt2Tokenizer Shared => SharedInstance.Value;

    /// <summary>
    /// This tokenizer as a Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.BpeTokenizer"/> (its byte-pair
    /// encoding, with our Python-exact pre-tokenizer plugged in), for code written against
    /// that package: its <c>EncodeToIds(text)</c> gives the same ids as <see cref="Encode(string)"/>.
    /// </summary>
    public Microsoft.ML.Tokenizers.BpeTokenizer BpeTokenizer => _model.Value.Tokenizer;

    /// <summary>The BPE model (tests rebuild it with other components).</summary>
    internal ByteLevelBpe Model => _model.Value;

    /// <inheritdoc />
    public int VocabularySize => _model.Value.Vocabulary.Length;

    /// <summary>Always null: GPT-2 has no start token (<c>&lt;|endoftext|&gt;</c> is used as one by convention).</summary>
    public int? StartOfTextId => null;

    /// <inheritdoc />
    public int EndOfTextId => EndOfText;

    /// <summary><c>&lt;|endoftext|&gt;</c>, the usual choice since GPT-2 defines no padding token.</summary>
    public int PaddingId => EndOfText;

    /// <summary>Loads a tokenizer from an <c>encoder.json</c> and a <c>vocab.bpe</c> in GPT-2's format.</summary>
    /// <param name="encoderJsonPath">Token → id map.</param>
    /// <param name="vocabBpePath">Merges, one per line after a version header.</param>
    /// <exception cref="InvalidDataException">A file is malformed.</exception>
    public static Gpt2Tokenizer FromFiles(string encoderJsonPath, string vocabBpePath)
    {
        ArgumentException.ThrowIfNullOrEmpty(encoderJsonPath);
        ArgumentException.ThrowIfNullOrEmpty(vocabBpePath);
        return FromText(ReadText(File.ReadAllBytes(encoderJsonPath), encoderJsonPath), encoderJsonPath, ReadText(File.ReadAllBytes(vocabBpePath), vocabBpePath), vocabBpePath);
    }

    /// <summary>Builds a tokenizer from the texts of an <c>encoder.json</c> and a <c>vocab.bpe</c>.</summary>
    /// <param name="encoderJson">Token → id map.</param>
    /// <param name="encoderSource">Named in errors.</param>
    /// <param name="vocabBpe">Merges.</param>
    /// <param name="mergesSource">Named in errors.</param>
    /// <exception cref="InvalidDataException">A text is malformed.</exception>
    internal static Gpt2Tokenizer FromText(string encoderJson, string encoderSource, string vocabBpe, string mergesSource) =>
        new(LoadModel(encoderJson, encoderSource, vocabBpe, mergesSource), encoderJson, vocabBpe);

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, ids);
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> to <paramref name="destination"/>.</summary>
    /// <param name="text">Any string. (<c>&lt;|endoftext|&gt;</c> in the text is ordinary text, as in the reference.)</param>
    /// <param name="destination">Receives the ids.</param>
    public void Encode(string text, List<int> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(destination);
        _model.Value.Encode(text, destination);
    }

    /// <summary>Decodes ids to text (bytes joined, then UTF-8 decoded; an invalid sequence becomes U+FFFD).</summary>
    /// <param name="ids">Ids in <c>[0, 50257)</c>.</param>
    public string Decode(ReadOnlySpan<int> ids) => _model.Value.Decode(ids);

    private static ByteLevelBpe LoadEmbedded()
    {
        var assembly = typeof(Gpt2Tokenizer).Assembly;
        using var encoder = assembly.GetManifestResourceStream(EncoderResource)
                            ?? throw new InvalidOperationException($"Embedded resource {EncoderResource} is missing.");
        using var merges = assembly.GetManifestResourceStream(MergesResource)
                           ?? throw new InvalidOperationException($"Embedded resource {MergesResource} is missing.");
        return LoadModel(ReadText(encoder, "embedded encoder.json"), "embedded encoder.json", ReadText(merges, "embedded vocab.bpe"), "embedded vocab.bpe");
    }

    private static string ReadText(Stream stream, string source)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return ReadText(memory.ToArray(), source);
    }

    private static string ReadText(byte[] bytes, string source)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{source}: not valid UTF-8 ({e.Message}).", e);
        }
    }

    private static ByteLevelBpe LoadModel(string encoderJson, string encoderSource, string content, string mergesSource)
    {
        Dictionary<string, int> encoder;
        try
        {
            encoder = JsonSerializer.Deserialize<Dictionary<string, int>>(encoderJson)
                      ?? throw new InvalidDataException($"{encoderSource}: expected a JSON object mapping tokens to ids, found null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException(
                $"{encoderSource}: line {e.LineNumber + 1}, position {e.BytePositionInLine + 1}: expected a JSON object mapping tokens to ids ({e.Message}).", e);
        }

        var vocabulary = new string[encoder.Count];
        foreach (var (token, id) in encoder)
        {
            if ((uint)id >= (uint)vocabulary.Length || vocabulary[id] is not null)
            {
                throw new InvalidDataException($"{encoderSource}: token '{token}' has id {id}; ids must be distinct and in [0, {vocabulary.Length}).");
            }

            vocabulary[id] = token;
        }

        // encoder.py: bpe_merges = [tuple(merge_str.split()) for merge_str in bpe_data.split('\n')[1:-1]]
        var lines = content.Split('\n');
        var merges = new List<(string Left, string Right)>(Math.Max(0, lines.Length - 2));
        for (var i = 1; i < lines.Length - 1; i++)
        {
            var parts = lines[i].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new InvalidDataException($"{mergesSource}: line {i + 1} should hold two space-separated symbols but holds '{lines[i]}'.");
            }

            merges.Add((parts[0], parts[1]));
        }

        return new ByteLevelBpe(vocabulary, encoder, merges, endOfWordSuffix: null, specialTokens: null, Gpt2PreTokenizer.Instance, normalizer: null, mergesSource);
    }
}
