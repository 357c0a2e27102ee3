using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Text;
using CrossModal.Training.Captioning;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary><c>--tokenizer FILE.tiktoken</c> on <c>tokenize</c> and <c>train-captioner</c>.</summary>
[Collection("Console")]
public sealed class TiktokenCommandTests
{
    private static string SmallTiktoken => Path.Combine(CrossModal.Testing.RepositoryPaths.Root, "tests", "reference", "fixtures", "tiktoken", "gpt2_first_1024.tiktoken");

    [Fact]
    public void Tokenize_takes_a_tiktoken_file()
    {
        var result = ConsoleCapture.Run(["tokenize", "--tokenizer", SmallTiktoken, "--json", "A dog runs.", "hello world"]);
        Assert.True(result.ExitCode == 0, result.Error);
        var ids = JsonSerializer.Deserialize<int[][]>(result.Out)!;
        var expected = MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken);
        Assert.Equal(expected.Encode("A dog runs."), ids[0]);
        Assert.Equal(expected.Encode("hello world"), ids[1]);
        Assert.All(ids.SelectMany(i => i), id => Assert.InRange(id, 0, 1023));
    }

    [Fact]
    public void A_malformed_tiktoken_file_is_a_one_line_error_naming_it()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-tiktoken-");
        try
        {
            var bad = Path.Combine(directory.FullName, "bad.tiktoken");
            File.WriteAllText(bad, "IQ== 0\nnot a rank line\n");
            var result = ConsoleCapture.Run(["tokenize", "--tokenizer", bad, "x"]);
            Assert.Equal(2, result.ExitCode);
            Assert.Single(result.Error.TrimEnd().Split('\n'));
            Assert.Contains(bad + ": line 2", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Train_captioner_with_a_tiktoken_file_stores_it_in_the_model()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-tiktoken-");
        try
        {
            string[] lines = ["a dog runs on the grass", "two children play in the sand", "a man rides a red bicycle", "a black cat sleeps on a sofa"];
            var captions = Path.Combine(directory.FullName, "captions.txt");
            File.WriteAllLines(captions, lines);
            var texts = Path.Combine(directory.FullName, "texts.npy");
            var rng = new Random(1);
            NpyFile.Write(texts, new HostArray([lines.Length, 8], Enumerable.Range(0, lines.Length * 8).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray()));
            var model = Path.Combine(directory.FullName, "model.safetensors");

            var result = ConsoleCapture.Run(["train-captioner", "--captions", captions, "--text-embeddings", texts, "--bridge", "capdec",
                "--tokenizer", SmallTiktoken, "--width", "16", "--heads", "2", "--decoder-layers", "1", "--epochs", "1", "--batch", "4",
                "--validation-fraction", "0", "--out", model, "--json"]);
            Assert.True(result.ExitCode == 0, result.Error);

            var loaded = CaptionerCheckpoint.Load(model);
            var tokenizer = Assert.IsType<MLTokenizerAdapter>(loaded.Tokenizer);
            Assert.Equal(1025, tokenizer.VocabularySize);
            Assert.Equal(1025, loaded.Model.Decoder.Options.VocabularySize);
            Assert.Equal(MLTokenizerAdapter.FromTiktokenFile(SmallTiktoken).Encode(lines[0]), tokenizer.Encode(lines[0]));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
