using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Text.Tokenization;
using Xunit;

namespace CrossModal.Text.Tests;

public sealed class TokenizerRegistryTests
{
    [Fact]
    public void Pretrained_names_give_the_shared_tokenizers_and_nothing_else()
    {
        Assert.True(TokenizerRegistry.TryGetPretrained("gpt2", out var gpt2));
        Assert.Same(Gpt2Tokenizer.Shared, gpt2);
        Assert.True(TokenizerRegistry.TryGetPretrained("clip", out var clip));
        Assert.Same(ClipTokenizer.Shared, clip);
        Assert.False(TokenizerRegistry.TryGetPretrained("word", out _));
        Assert.False(TokenizerRegistry.TryGetPretrained("GPT2", out _));
        Assert.Equal(["gpt2", "clip"], TokenizerRegistry.PretrainedNames);
    }

    [Fact]
    public void Embedded_vocabularies_export_as_their_name_alone()
    {
        Assert.Equal(new Dictionary<string, string> { ["kind"] = "gpt2" }, TokenizerRegistry.Export(Gpt2Tokenizer.Shared));
        Assert.Equal(new Dictionary<string, string> { ["kind"] = "clip" }, TokenizerRegistry.Export(new ClipTokenizer()));
        Assert.Same(Gpt2Tokenizer.Shared, TokenizerRegistry.Import(TokenizerRegistry.Export(Gpt2Tokenizer.Shared), "test"));
    }

    [Fact]
    public void A_gpt2_tokenizer_loaded_from_files_round_trips_with_its_own_vocabulary()
    {
        var folder = Path.Combine(Path.GetTempPath(), "crossmodal-tok-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            // 256 byte symbols, then "hi" and "Ġhi": ids nothing like GPT-2's own.
            var encoder = new Dictionary<string, int>();
            foreach (var b in ByteLevelBpe.ByteOrder)
            {
                encoder[ByteLevelBpe.ByteToChar[b].ToString()] = encoder.Count;
            }

            encoder["hi"] = encoder.Count;
            encoder["Ġh"] = encoder.Count;
            encoder["Ġhi"] = encoder.Count;
            File.WriteAllText(Path.Combine(folder, "encoder.json"), JsonSerializer.Serialize(encoder));
            File.WriteAllText(Path.Combine(folder, "vocab.bpe"), "#version: 0.2\nĠ h\nh i\nĠh i\n");
            var custom = Gpt2Tokenizer.FromFiles(Path.Combine(folder, "encoder.json"), Path.Combine(folder, "vocab.bpe"));
            Assert.Equal([256, 258], custom.Encode("hi hi"));
            Assert.NotEqual(custom.Encode("hi hi"), Gpt2Tokenizer.Shared.Encode("hi hi"));

            var entries = TokenizerRegistry.Export(custom);
            Assert.Equal("gpt2", entries["kind"]);
            var rebuilt = TokenizerRegistry.Import(entries, "checkpoint.safetensors");
            Assert.NotSame(Gpt2Tokenizer.Shared, rebuilt);
            Assert.Equal(custom.VocabularySize, rebuilt.VocabularySize);
            Assert.Equal(custom.Encode("hi hi, hih"), rebuilt.Encode("hi hi, hih"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Word_tokenizers_round_trip_and_bad_entries_are_invalid_data_naming_the_source()
    {
        var word = WordTokenizer.Build(["a red square", "a blue circle"]);
        var rebuilt = TokenizerRegistry.Import(TokenizerRegistry.Export(word), "model.safetensors");
        Assert.Equal(((WordTokenizer)rebuilt).Tokens, word.Tokens);

        void Bad(Dictionary<string, string> entries, string expected)
        {
            var e = Assert.Throws<InvalidDataException>(() => TokenizerRegistry.Import(entries, "model.safetensors"));
            Assert.StartsWith("model.safetensors", e.Message, StringComparison.Ordinal);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }

        Bad(new() { ["kind"] = "sentencepiece" }, "unknown tokenizer kind 'sentencepiece'");
        Bad(new() { ["kind"] = "word" }, "'tokens' is missing");
        Bad(new() { ["kind"] = "word", ["tokens"] = "{" }, "not a JSON array");
        Bad(new() { ["kind"] = "word", ["tokens"] = "[\"a\"]" }, "special tokens");
        Bad(new() { ["kind"] = "gpt2", ["encoder.json"] = "{}" }, "needs both");
        Bad(new() { ["kind"] = "gpt2", ["encoder.json"] = "[", ["vocab.bpe"] = "" }, "encoder.json");
        Bad(new() { ["kind"] = "clip", ["merges"] = "#version\na b\n" }, "merges");
        Assert.Throws<ArgumentException>(() => TokenizerRegistry.Export(new OtherTokenizer()));
    }

    private sealed class OtherTokenizer : ITokenizer
    {
        public int VocabularySize => 1;

        public int? StartOfTextId => null;

        public int EndOfTextId => 0;

        public int PaddingId => 0;

        public int[] Encode(string text) => [];

        public string Decode(ReadOnlySpan<int> ids) => string.Empty;
    }
}
