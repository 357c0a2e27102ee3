using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Text;
using System.Threading;
using CrossModal.Text.Tokenization;

namespace CrossModal.Text;

/// <summary>
/// OpenAI CLIP's tokenizer (<c>clip/simple_tokenizer.py</c>): <c>html.unescape</c> twice, whitespace collapsed,
/// lower-cased, pre-tokenised by CLIP's pattern, byte-level BPE with <c>&lt;/w&gt;</c> marking the end of a word.
/// Ids are identical to the reference's on every case of <c>data/tokenizers/tokenizer_golden.json</c>.
/// </summary>
/// <remarks>
/// <para>The reference first runs <c>ftfy.fix_text</c> (mojibake repair). This tokenizer applies no such repair — the
/// identity — exactly as the golden ids were generated; text that ftfy would change (e.g. "cafÃ©") can therefore
/// tokenize differently from a Python install with ftfy.</para>
/// <para>The merges (<c>bpe_simple_vocab_16e6.txt.gz</c>) are embedded in the assembly and read once, on first use.</para>
/// </remarks>
public sealed class ClipTokenizer : ITokenizer
{
    /// <summary>Context length of CLIP's text encoder.</summary>
    public const int DefaultContextLength = 77;

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c>.</summary>
    public const int StartOfText = 49406;

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c>.</summary>
    public const int EndOfText = 49407;

    private const string StartOfTextToken = ClipPreTokenizer.StartOfTextToken;
    private const string EndOfTextToken = ClipPreTokenizer.EndOfTextToken;
    private const string EndOfWord = "</w>";
    private const string ResourceName = "CrossModal.Text.clip.bpe_simple_vocab_16e6.txt.gz";

    // simple_tokenizer.py: merges = merges[1:49152-256-2+1]
    private const int MergeCount = 49152 - 256 - 2;

    private static readonly Lazy<ByteLevelBpe> EmbeddedModel =
        new(() => LoadModel(
                Decompress(
                    typeof(ClipTokenizer).Assembly.GetManifestResourceStream(ResourceName) ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing."),
                    "embedded bpe_simple_vocab_16e6.txt.gz"),
                "embedded bpe_simple_vocab_16e6.txt.gz"),
            LazyThreadSafetyMode.ExecutionAndPublication);

    private static readonly Lazy<ClipTokenizer> SharedInstance = new(() => new ClipTokenizer(), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lazy<ByteLevelBpe> _model;

    /// <summary>Creates a tokenizer over the embedded CLIP vocabulary (loaded lazily, once per process).</summary>
    public ClipTokenizer()
    {
        _model = EmbeddedModel;
    }

    private ClipTokenizer(ByteLevelBpe model, string merges)
    {
        _model = new Lazy<ByteLevelBpe>(model);
        Definition = merges;
    }

    /// <summary>The decompressed merges text of a tokenizer loaded from a file (kept so that a checkpoint can store and
    /// rebuild it); null for the embedded vocabulary.</summary>
    internal string? Definition { get; }

    /// <summary>A process-wide instance over the embedded vocabulary.</summary>
    public static ClipTokenizer Shared => SharedInstance.Value;

    /// <summary>
    /// This tokenizer as a Microsoft.ML.Tokenizers <see cref="Microsoft.ML.Tokenizers.BpeTokenizer"/> (its byte-pair
    /// encoding, with our Python-exact pre-tokenizer and text cleaning plugged in), for code written against
    /// that package: its <c>EncodeToIds(text)</c> gives the same ids as <see cref="Encode(string)"/>.
    /// </summary>
    public Microsoft.ML.Tokenizers.BpeTokenizer BpeTokenizer => _model.Value.Tokenizer;

    /// <summary>The BPE model (tests rebuild it with other components).</summary>
    internal ByteLevelBpe Model => _model.Value;

    /// <inheritdoc />
    public int VocabularySize => 49408;

    /// <inheritdoc />
    public int? StartOfTextId => StartOfText;

    /// <inheritdoc />
    public int EndOfTextId => EndOfText;

    /// <summary>0, as <c>clip.tokenize</c> pads.</summary>
    public int PaddingId => 0;

    /// <summary>Loads a tokenizer from a gzip-compressed CLIP merges file (same format as <c>bpe_simple_vocab_16e6.txt.gz</c>).</summary>
    /// <param name="path">Path of the <c>.txt.gz</c> file.</param>
    /// <exception cref="InvalidDataException">The file is not a CLIP merges file.</exception>
    public static ClipTokenizer FromFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using var stream = File.OpenRead(path);
        var content = Decompress(stream, path);
        return new ClipTokenizer(LoadModel(content, path), content);
    }

    /// <summary>Builds a tokenizer from the decompressed text of a CLIP merges file.</summary>
    /// <param name="merges">The text (a header line, then one merge per line).</param>
    /// <param name="source">Named in errors.</param>
    /// <exception cref="InvalidDataException">The text is not a CLIP merges file.</exception>
    internal static ClipTokenizer FromText(string merges, string source) => new(LoadModel(merges, source), merges);

    /// <inheritdoc />
    public int[] Encode(string text)
    {
        var ids = new List<int>(text.Length / 3 + 4);
        Encode(text, ids);
        return ids.ToArray();
    }

    /// <summary>Appends the ids of <paramref name="text"/> (no start or end token) to <paramref name="destination"/>.</summary>
    /// <param name="text">Any string.</param>
    /// <param name="destination">Receives the ids.</param>
    public void Encode(string text, List<int> destination)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(destination);
        _model.Value.Encode(text, destination);
    }

    /// <summary>
    /// The token sequence CLIP's text encoder takes, as <c>clip.tokenize(text, context_length, truncate)</c>:
    /// <c>&lt;|startoftext|&gt;</c>, the ids, <c>&lt;|endoftext|&gt;</c>, then zeros up to <paramref name="contextLength"/>.
    /// </summary>
    /// <param name="text">The caption.</param>
    /// <param name="contextLength">Length of the result; at least 2.</param>
    /// <param name="truncate">When the text is too long: true cuts it and keeps <c>&lt;|endoftext|&gt;</c> last; false throws.</param>
    /// <exception cref="ArgumentException">The text does not fit and <paramref name="truncate"/> is false.</exception>
    public int[] EncodeContext(string text, int contextLength = DefaultContextLength, bool truncate = true)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        var ids = new List<int>(contextLength) { StartOfText };
        Encode(text, ids);
        ids.Add(EndOfText);
        if (ids.Count > contextLength)
        {
            if (!truncate)
            {
                throw new ArgumentException(
                    $"The text needs {ids.Count} tokens with start and end but the context length is {contextLength}.", nameof(text));
            }

            ids.RemoveRange(contextLength, ids.Count - contextLength);
            ids[^1] = EndOfText;
        }

        var result = new int[contextLength];
        ids.CopyTo(result);
        return result;
    }

    /// <summary>
    /// Decodes ids as the reference does: tokens joined, bytes mapped back, UTF-8 decoded (invalid sequences become
    /// U+FFFD) and every <c>&lt;/w&gt;</c> replaced by a space — so "a cat." decodes to "a cat . ".
    /// </summary>
    /// <param name="ids">Ids in <c>[0, 49408)</c>; special tokens decode to their text.</param>
    public string Decode(ReadOnlySpan<int> ids)
    {
        return _model.Value.Decode(ids).Replace(EndOfWord, " ", StringComparison.Ordinal);
    }

    private static string Decompress(Stream gzipped, string source)
    {
        try
        {
            using var gzip = new GZipStream(gzipped, CompressionMode.Decompress);
            using var reader = new StreamReader(gzip, new UTF8Encoding(false, throwOnInvalidBytes: true));
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is InvalidDataException or DecoderFallbackException)
        {
            throw new InvalidDataException($"{source}: not a gzip-compressed UTF-8 CLIP merges file ({e.Message}).", e);
        }
    }

    private static ByteLevelBpe LoadModel(string content, string source)
    {
        var lines = content.Split('\n');
        if (lines.Length < MergeCount + 1)
        {
            throw new InvalidDataException($"{source}: expected at least {MergeCount + 1} lines (a header and {MergeCount} merges) but found {lines.Length}.");
        }

        var merges = new (string Left, string Right)[MergeCount];
        for (var i = 0; i < MergeCount; i++)
        {
            var parts = lines[i + 1].Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                throw new InvalidDataException($"{source}: line {i + 2} should hold two space-separated symbols but holds '{lines[i + 1]}'.");
            }

            merges[i] = (parts[0], parts[1]);
        }

        // vocab = bytes, bytes + '</w>', merged pairs, the two specials (simple_tokenizer.py __init__).
        var vocabulary = new string[512 + MergeCount + 2];
        for (var i = 0; i < 256; i++)
        {
            var s = ByteLevelBpe.ByteToChar[ByteLevelBpe.ByteOrder[i]].ToString();
            vocabulary[i] = s;
            vocabulary[256 + i] = s + EndOfWord;
        }

        for (var i = 0; i < MergeCount; i++)
        {
            vocabulary[512 + i] = merges[i].Left + merges[i].Right;
        }

        vocabulary[^2] = StartOfTextToken;
        vocabulary[^1] = EndOfTextToken;

        var encoder = new Dictionary<string, int>(vocabulary.Length, StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Length; id++)
        {
            encoder[vocabulary[id]] = id;
        }

        // self.cache = {'<|startoftext|>': '<|startoftext|>', '<|endoftext|>': '<|endoftext|>'}: they bypass BPE.
        var specials = new Dictionary<string, int>(StringComparer.Ordinal) { [StartOfTextToken] = StartOfText, [EndOfTextToken] = EndOfText };
        return new ByteLevelBpe(vocabulary, encoder, merges, EndOfWord, specials, ClipPreTokenizer.Instance, ClipNormalizer.Instance, source);
    }
}
