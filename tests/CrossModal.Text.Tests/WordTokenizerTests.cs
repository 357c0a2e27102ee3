using System;
using System.IO;
using Xunit;

namespace CrossModal.Text.Tests;

public sealed class WordTokenizerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("crossmodal-words-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SplitWords_lower_cases_and_splits_punctuation()
    {
        Assert.Equal(["a", "man", "'", "s", "dog", ",", "3", "cats", "."], WordTokenizer.SplitWords("A MAN's dog, 3 cats."));
    }

    [Fact]
    public void Build_orders_by_frequency_and_applies_min_count()
    {
        var tokenizer = WordTokenizer.Build(["a dog", "a cat", "a dog runs"], minCount: 2);
        Assert.Equal(["<pad>", "<bos>", "<eos>", "<unk>", "a", "dog"], tokenizer.Tokens);
        Assert.Equal([4, 5, 3], tokenizer.Encode("A dog sleeps"));
        Assert.Equal("a dog <unk>", tokenizer.Decode([1, 4, 5, 3, 2, 0, 0]));
        Assert.Equal((0, 1, 2, 3), (tokenizer.PaddingId, tokenizer.StartOfTextId!.Value, tokenizer.EndOfTextId, tokenizer.UnknownId));
    }

    [Fact]
    public void Save_and_load_round_trip()
    {
        var tokenizer = WordTokenizer.Build(["the quick brown fox", "the lazy dog", "ünïcödé 東京"]);
        var path = Path.Combine(_directory, "vocab.json");
        tokenizer.Save(path);
        var loaded = WordTokenizer.Load(path);
        Assert.Equal(tokenizer.Tokens, loaded.Tokens);
        Assert.Equal(tokenizer.Encode("the lazy fox ünïcödé"), loaded.Encode("the lazy fox ünïcödé"));
        Assert.Single(Directory.GetFiles(_directory));
    }

    [Theory]
    [InlineData("{\"format\": \"crossmodal-word-tokenizer\", \"version\": 1, \"tokens\": [\"<pad>\", \"<bos>\", \"<eos>\"]}", "at least the 4")]
    [InlineData("{\"format\": \"crossmodal-word-tokenizer\", \"version\": 1, \"tokens\": [\"<pad>\", \"<bos>\", \"<eos>\", \"<unk>\", \"a\", \"a\"]}", "token 5")]
    [InlineData("{\"format\": \"crossmodal-word-tokenizer\", \"version\": 1, \"tokens\": [\"<bos>\", \"<pad>\", \"<eos>\", \"<unk>\"]}", "token 0 must be '<pad>'")]
    [InlineData("{\"format\": \"other\", \"version\": 1, \"tokens\": []}", "\"format\"")]
    [InlineData("{\"format\": \"crossmodal-word-tokenizer\", \"version\": 1, \"tokens\": [1]}", "tokens[0]")]
    [InlineData("{\"format\": ", "line 1")]
    [InlineData("{\"format\": \"crossmodal-word-tokenizer\", \"version\": 1, \"tokens\": [\"<pad>\", \"<bos>\", \"<eos>\", \"<unk>\", \"\\ud800\"]}", "tokens[4] is not valid Unicode")]
    [InlineData("{\"format\": \"crossmodal-word-tokenizer\", \"version\": 1.5, \"tokens\": []}", "\"version\": 1")]
    public void Load_rejects_malformed_files_naming_the_problem(string json, string expected)
    {
        var path = Path.Combine(_directory, "bad.json");
        File.WriteAllText(path, json);
        var error = Assert.Throws<InvalidDataException>(() => WordTokenizer.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }
}
