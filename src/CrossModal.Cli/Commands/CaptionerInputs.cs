using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Tensors.IO;
using CrossModal.Text;
using CrossModal.Text.Corpora;

namespace CrossModal.Cli.Commands;

/// <summary>File inputs shared by the captioner commands.</summary>
internal static class CaptionerInputs
{
    /// <summary>Reads captions: COCO annotation JSON (<c>*.json</c>), Flickr8k token file (<c>*.token.txt</c>) or one caption per line.</summary>
    public static IReadOnlyList<string> ReadCaptions(string path) => ReadCaptions(path, split: null);

    /// <summary>
    /// Reads captions as <see cref="ReadCaptions(string)"/> does, and also Karpathy split files (<c>dataset_coco.json</c>),
    /// whose sentences of <paramref name="split"/> (train counting restval) are returned in file order; every sentence
    /// when <paramref name="split"/> is null. A split needs a Karpathy file: the other formats carry none.
    /// </summary>
    public static IReadOnlyList<string> ReadCaptions(string path, string? split, string option = "--captions")
    {
        if (!File.Exists(path))
        {
            throw new CommandLineError($"{option}: the file '{path}' does not exist.");
        }

        if (split is not null && !KarpathySplitNames.Contains(split))
        {
            throw new CommandLineError($"--split: unknown split '{split}'; expected train (with restval), val, test or all.");
        }

        var karpathy = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && KarpathySplit.IsKarpathyFile(path);
        if (split is not null && !karpathy)
        {
            throw new CommandLineError($"--split: '{path}' is not a Karpathy split file (dataset_coco.json: \"images\" with \"split\" and \"sentences\"); only those carry splits.");
        }

        CaptionCorpus corpus = karpathy ? KarpathySplit.Read(path).Corpus(split ?? "all")
            : path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? CocoCaptions.Read(path)
            : path.EndsWith(".token.txt", StringComparison.OrdinalIgnoreCase) ? Flickr8kCaptions.Read(path).Corpus
            : PlainTextCaptions.Read(path);
        var captions = new string[corpus.Records.Count];
        for (var i = 0; i < captions.Length; i++)
        {
            captions[i] = corpus.Records[i].Caption;
        }

        if (captions.Length == 0)
        {
            throw new CommandLineError($"{option}: '{path}' holds no captions{(split is null ? string.Empty : $" in split '{split}'")}.");
        }

        return captions;
    }

    /// <summary>The split names <c>--split</c> accepts.</summary>
    public static readonly IReadOnlyList<string> KarpathySplitNames = KarpathySplit.SplitNames;

    /// <summary>Reads a 2-D float32 <c>.npy</c> (rows, dimension) as embeddings.</summary>
    public static EmbeddingMatrix ReadEmbeddings(string path, string option)
    {
        if (!File.Exists(path))
        {
            throw new CommandLineError($"{option}: the file '{path}' does not exist.");
        }

        var array = NpyFile.Read(path);
        if (array.Rank != 2 || array.Shape[0] == 0 || array.Shape[1] == 0)
        {
            throw new CommandLineError($"{option}: '{path}' holds an array of shape [{string.Join(", ", array.Shape)}]; expected (rows, dimension).");
        }

        var matrix = new EmbeddingMatrix(array.Data, array.Shape[0], array.Shape[1]);
        try
        {
            matrix.EnsureFinite(option);
        }
        catch (ArgumentException e)
        {
            // A NaN or infinity in the file is bad file contents, not a bad argument.
            throw new InvalidDataException($"{option}: '{path}': {CommandLineError.Reason(e)}", e);
        }

        return matrix;
    }

    /// <summary>The tokenizer named by <c>--tokenizer</c>: word, gpt2, clip, or a file <see cref="TokenizerRegistry.Load"/> reads.</summary>
    public static ITokenizer Tokenizer(string name, IReadOnlyList<string> captions)
    {
        var lower = name.ToLowerInvariant();
        return lower == TokenizerRegistry.Word ? WordTokenizer.Build(captions)
            : TokenizerRegistry.TryGetPretrained(lower, out var pretrained) ? pretrained
            : File.Exists(name) ? TokenizerRegistry.Load(name)
            : throw new CommandLineError($"--tokenizer: unknown tokenizer '{name}'; expected word, gpt2, clip or a .tiktoken file.");
    }
}
