using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using CrossModal.Testing;
using CrossModal.Text.Tokenization;
using Microsoft.ML.Tokenizers;
using Xunit;

namespace CrossModal.Text.Tests;

public sealed class MLTokenizerAdapterTests
{
    private static string SmallTiktoken => Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "tiktoken", "gpt2_first_1024.tiktoken");

    [Fact]
    public void A_tiktoken_file_of_gpt2s_vocabulary_gives_gpt2s_ids_on_every_golden_case()
    {
        // GPT-2's whole vocabulary written as a tiktoken file: Microsoft.ML.Tokenizers' Tiktoken BPE with GPT-2's pattern
        // must give the reference ids, the same as Gpt2Tokenizer.
        var folder = TempFolder();
        try
        {
            var path = Path.Combine(folder, "gpt2.tiktoken");
            var encoder = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(RepositoryPaths.Data("tokenizers/gpt2/encoder.json")))!;
            var lines = new StringBuilder();
            foreach (var (token, id) in encoder.Where(e => e.Value < Gpt2Tokenizer.EndOfText).OrderBy(e => e.Value))
            {
                var bytes = token.Select(c => (byte)Array.IndexOf(ByteLevelBpe.ByteToChar, c)).ToArray();
                lines.Append(Convert.ToBase64String(bytes)).Append(' ').Append(id).Append('\n');
            }

            File.WriteAllText(path, lines.ToString());
            var tiktoken = MLTokenizerAdapter.FromTiktokenFile(path);
            Assert.Equal(50257, tiktoken.VocabularySize);
            Assert.Equal(Gpt2Tokenizer.EndOfText, tiktoken.EndOfTextId);
            Assert.Null(tiktoken.StartOfTextId);

            using var golden = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Data("tokenizers/tokenizer_golden.json")));
            var cases = golden.RootElement.GetProperty("gpt2").GetProperty("cases").EnumerateArray().ToList();
            Assert.Equal(100, cases.Count);
            foreach (var c in cases)
            {
                var text = c.GetProperty("text").GetString()!;
                var expected = c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
                Assert.Equal(expected, tiktoken.Encode(text));
                Assert.Equal(text, tiktoken.Decode(expected));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_small_tiktoken_file_encodes_like_gpt2_within_its_ranks_and_round_trips_through_the_registry()
    {
        var small = MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken);
        Assert.Equal(1025, small.VocabularySize);
        Assert.Equal(1024, small.EndOfTextId);
        Assert.Equal(1024, small.PaddingId);

        const string text = "A dog runs on the grass.";
        var ids = small.Encode(text);
        Assert.All(ids, id => Assert.InRange(id, 0, 1023));
        Assert.True(ids.Length > Gpt2Tokenizer.Shared.Encode(text).Length, "fewer merges, so more tokens than full GPT-2");
        Assert.Equal(text, small.Decode(ids));
        Assert.Equal(small.Encode(text), MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken).Encode(text));

        var entries = TokenizerRegistry.Export(small);
        Assert.Equal("tiktoken", entries["kind"]);
        Assert.Equal(File.ReadAllText(SmallTiktoken), entries["ranks.tiktoken"]);
        Assert.False(entries.ContainsKey("model"));
        var rebuilt = TokenizerRegistry.Import(entries, "model.safetensors");
        Assert.IsType<MLTokenizerAdapter>(rebuilt);
        Assert.Equal(small.VocabularySize, rebuilt.VocabularySize);
        Assert.Equal(small.EndOfTextId, rebuilt.EndOfTextId);
        Assert.Equal(ids, rebuilt.Encode(text));

        Assert.Equal(ids, TokenizerRegistry.Load(SmallTiktoken).Encode(text));
        Assert.Equal(ids, TokenizerRegistry.Resolve(SmallTiktoken).Encode(text));
        Assert.Same(Gpt2Tokenizer.Shared, TokenizerRegistry.Resolve("gpt2"));
    }

    [Fact]
    public void A_model_name_gives_that_models_pattern_and_special_tokens_and_is_stored()
    {
        // The small file under GPT-4's cl100k pattern and special tokens (<|endoftext|> = 100257 … <|endofprompt|> = 100276).
        var gpt4 = MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken, "gpt-4");
        Assert.Equal(100257, gpt4.EndOfTextId);
        Assert.Equal(100277, gpt4.VocabularySize);
        var ids = gpt4.Encode("A dog runs.");
        Assert.Equal("A dog runs.", gpt4.Decode(ids));

        var entries = TokenizerRegistry.Export(gpt4);
        Assert.Equal("gpt-4", entries["model"]);
        var rebuilt = TokenizerRegistry.Import(entries, "model.safetensors");
        Assert.Equal(gpt4.VocabularySize, rebuilt.VocabularySize);
        Assert.Equal(ids, rebuilt.Encode("A dog runs."));
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        var small = MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => small.Decode([1, 1025]));
        Assert.Equal("ids", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => small.Decode([-1]));
    }

    [Fact]
    public void Any_tokenizer_object_plugs_in_but_cannot_be_stored()
    {
        // A BERT WordPiece tokenizer over a vocabulary of a few words.
        string[] vocabulary = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "dog", "runs", "on", "grass", "the", "."];
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", vocabulary) + "\n"));
        var bert = BertTokenizer.Create(stream);
        var adapter = new MLTokenizerAdapter(bert, vocabulary.Length, bert.SeparatorTokenId, bert.ClassificationTokenId, bert.PaddingTokenId);
        Assert.Equal(12, adapter.VocabularySize);
        Assert.Equal(3, adapter.EndOfTextId);
        Assert.Equal(2, adapter.StartOfTextId);
        Assert.Equal(0, adapter.PaddingId);
        Assert.Same(bert, adapter.Inner);

        var ids = adapter.Encode("A dog runs on the grass.");
        Assert.Equal(new[] { 5, 6, 7, 8, 10, 9, 11 }, ids.Where(id => id is not 2 and not 3));
        Assert.Contains("dog", adapter.Decode(ids), StringComparison.Ordinal);

        var e = Assert.Throws<ArgumentException>(() => TokenizerRegistry.Export(adapter));
        Assert.Contains("FromTiktokenFile", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new MLTokenizerAdapter(bert, 12, endOfTextId: 12));
    }

    [Fact]
    public void Bad_files_are_invalid_data_naming_the_file()
    {
        var folder = TempFolder();
        try
        {
            var bad = Path.Combine(folder, "bad.tiktoken");
            File.WriteAllText(bad, "IQ== 0\nnot a rank line\n");
            var e = Assert.Throws<InvalidDataException>(() => MLTokenizerAdapter.FromTiktokenFile(bad));
            Assert.StartsWith(bad + ": line 2", e.Message, StringComparison.Ordinal);

            var empty = Path.Combine(folder, "empty.tiktoken");
            File.WriteAllText(empty, "");
            Assert.StartsWith(empty + ":", Assert.Throws<InvalidDataException>(() => MLTokenizerAdapter.FromTiktokenFile(empty)).Message, StringComparison.Ordinal);

            var unknownModel = Assert.Throws<InvalidDataException>(() => MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken, "no-such-model"));
            Assert.StartsWith(SmallTiktoken + ":", unknownModel.Message, StringComparison.Ordinal);

            var other = Path.Combine(folder, "vocab.txt");
            File.WriteAllText(other, "x");
            Assert.StartsWith(other, Assert.Throws<InvalidDataException>(() => TokenizerRegistry.Load(other)).Message, StringComparison.Ordinal);
            Assert.Throws<FileNotFoundException>(() => TokenizerRegistry.Load(Path.Combine(folder, "missing.tiktoken")));
            Assert.Throws<ArgumentException>(() => TokenizerRegistry.Resolve("no-such-tokenizer"));

            var entries = new Dictionary<string, string> { ["kind"] = "tiktoken" };
            Assert.Contains("ranks.tiktoken", Assert.Throws<InvalidDataException>(() => TokenizerRegistry.Import(entries, "m.safetensors")).Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string TempFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "crossmodal-tiktoken-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }
}
