using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Tensors.IO;
using CrossModal.Text;
using CrossModal.Text.Corpora;

namespace CrossModal.Cli.Commands;

/// <summary>File inputs shared by the captioner commands.</summary>
internal static class CaptionerInputs
{
    /// <summary>Reads captions: COCO annotation JSON (<c>*.json</c>), Flickr8k token file (<c>*.token.txt</c>) or one caption per line.</summary>
    public static IReadOnlyList<string> ReadCaptions(string path)
    {
        if (!File.Exists(path))
        {
            throw new CommandLineError($"--captions: the file '{path}' does not exist.");
        }

        CaptionCorpus corpus = path.EndsWith(".json", StringComparison.OrdinalIgnoreCase) ? CocoCaptions.Read(path)
            : path.EndsWith(".token.txt", StringComparison.OrdinalIgnoreCase) ? Flickr8kCaptions.Read(path).Corpus
            : PlainTextCaptions.Read(path);
        var captions = new string[corpus.Records.Count];
        for (var i = 0; i < captions.Length; i++)
        {
            captions[i] = corpus.Records[i].Caption;
        }

        return captions;
    }

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
            throw new InvalidDataException($"{option}: '{path}': {e.Message.Split(" (Parameter")[0]}", e);
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
