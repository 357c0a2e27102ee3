using System;
using System.CommandLine;
using System.IO;
using System.Text.Json;
using CrossModal.Cli.Commands;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal train-captioner</c> and <c>crossmodal caption</c> end to end on a tiny corpus.</summary>
[Collection("Console")]
public sealed class CaptionerCommandTests
{
    private static readonly string[] Captions =
    [
        "a dog runs on the grass",
        "two children play in the sand",
        "a man rides a red bicycle",
        "a black cat sleeps on a sofa",
        "people walk along the beach",
        "a girl jumps into a pool",
    ];

    [Fact]
    public void TrainsThenCaptionsAsJson()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-");
        try
        {
            var (captions, texts) = WriteCaptionsAndEmbeddings(directory);
            var images = Path.Combine(directory.FullName, "images.npy");
            NpyFile.Write(images, new HostArray([3, 8], Random(3 * 8, 2)));
            var model = Path.Combine(directory.FullName, "model.safetensors");

            var (code, stdout, stderr) = Run(TrainCaptionerCommand.Create(),
                "--captions", captions, "--text-embeddings", texts, "--image-embeddings", images, "--bridge", "c3",
                "--width", "16", "--heads", "2", "--decoder-layers", "1", "--epochs", "3", "--batch", "4", "--validation-fraction", "0",
                "--out", model, "--json");
            Assert.True(code == 0, stderr);
            using (var summary = JsonDocument.Parse(stdout))
            {
                Assert.Equal(model, summary.RootElement.GetProperty("model").GetString());
                Assert.Equal(6, summary.RootElement.GetProperty("steps").GetInt64());
                Assert.True(summary.RootElement.GetProperty("tokens_per_second").GetDouble() > 0);
            }

            Assert.True(File.Exists(model));
            (code, stdout, stderr) = Run(CaptionCommand.Create(), "--model", model, "--image-embeddings", images, "--beam", "3", "--json");
            Assert.True(code == 0, stderr);
            var generated = JsonSerializer.Deserialize<string[]>(stdout)!;
            Assert.Equal(3, generated.Length);

            var (cpuCode, cpuOut, cpuErr) = Run(CaptionCommand.Create(), "--model", model, "--image-embeddings", images, "--beam", "3", "--json", "--device", "cpu");
            Assert.True(cpuCode == 0, cpuErr);
            Assert.Equal(stdout, cpuOut); // --device cpu is the default, spelled out

            (code, stdout, _) = Run(CaptionCommand.Create(), "--model", model, "--image-embeddings", images);
            Assert.Equal(0, code);
            Assert.Equal(3, stdout.Split('\n', StringSplitOptions.None).Length - 1);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void MissingModelIsAOneLineErrorWithExitCode2()
    {
        var (code, stdout, stderr) = Run(CaptionCommand.Create(), "--model", "/nonexistent/model.safetensors", "--image-embeddings", "/nonexistent/x.npy");
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.StartsWith("error: --model", stderr, StringComparison.Ordinal);
        Assert.Single(stderr.TrimEnd().Split('\n'));
    }

    [Fact]
    public void MismatchedEmbeddingRowsAreRejected()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-");
        try
        {
            var captions = Path.Combine(directory.FullName, "captions.txt");
            File.WriteAllLines(captions, Captions);
            var texts = Path.Combine(directory.FullName, "texts.npy");
            NpyFile.Write(texts, new HostArray([4, 8], Random(32, 1)));
            var (code, _, stderr) = Run(TrainCaptionerCommand.Create(), "--captions", captions, "--text-embeddings", texts, "--out", Path.Combine(directory.FullName, "m.safetensors"));
            Assert.Equal(2, code);
            Assert.Contains("--text-embeddings", stderr, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void SynTicTrainsFromPseudoImageEmbeddingsPairedWithTheCaptions()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-");
        try
        {
            var (captions, texts) = WriteCaptionsAndEmbeddings(directory);
            var pseudo = Path.Combine(directory.FullName, "pseudo.npy");
            NpyFile.Write(pseudo, new HostArray([Captions.Length, 8], Random(Captions.Length * 8, 3)));
            var images = Path.Combine(directory.FullName, "images.npy");
            NpyFile.Write(images, new HostArray([2, 8], Random(2 * 8, 2)));
            var model = Path.Combine(directory.FullName, "model.safetensors");

            var (code, stdout, stderr) = Run(TrainCaptionerCommand.Create(),
                "--captions", captions, "--text-embeddings", texts, "--bridge", "syntic", "--pseudo-image-embeddings", pseudo,
                "--width", "16", "--heads", "2", "--decoder-layers", "1", "--epochs", "2", "--batch", "3", "--validation-fraction", "0",
                "--out", model, "--json");
            Assert.True(code == 0, stderr);
            using (var summary = JsonDocument.Parse(stdout))
            {
                Assert.Equal(4, summary.RootElement.GetProperty("steps").GetInt64());
            }

            (code, stdout, stderr) = Run(CaptionCommand.Create(), "--model", model, "--image-embeddings", images, "--json");
            Assert.True(code == 0, stderr);
            Assert.Equal(2, JsonSerializer.Deserialize<string[]>(stdout)!.Length);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("syntic", "none", "--bridge syntic needs --pseudo-image-embeddings")]
    [InlineData("syntic", "short", "--pseudo-image-embeddings: 4 rows for 6 captions")]
    [InlineData("syntic", "wide", "--pseudo-image-embeddings")]
    [InlineData("decap", "full", "--pseudo-image-embeddings is used by --bridge syntic only")]
    [InlineData("close-linear", "none", "--bridge close-linear fits on image–caption pairs")]
    [InlineData("c3", "none", "--bridge c3 needs --image-embeddings")]
    [InlineData("no-such-bridge", "none", "--bridge: unknown bridge 'no-such-bridge'")]
    public void MissingOrMismatchedBridgeInputsAreOneLineErrorsNamingTheOption(string bridge, string pseudoRows, string message)
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-");
        try
        {
            var (captions, texts) = WriteCaptionsAndEmbeddings(directory);
            var model = Path.Combine(directory.FullName, "model.safetensors");
            string[] args = ["--captions", captions, "--text-embeddings", texts, "--bridge", bridge, "--out", model];
            if (pseudoRows != "none")
            {
                var pseudo = Path.Combine(directory.FullName, "pseudo.npy");
                var (rows, dimension) = pseudoRows switch { "short" => (4, 8), "wide" => (Captions.Length, 9), _ => (Captions.Length, 8) };
                NpyFile.Write(pseudo, new HostArray([rows, dimension], Random(rows * dimension, 3)));
                args = [.. args, "--pseudo-image-embeddings", pseudo];
            }

            var (code, stdout, stderr) = Run(TrainCaptionerCommand.Create(), args);
            Assert.Equal(2, code);
            Assert.Equal(string.Empty, stdout);
            Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
            Assert.Contains(message, stderr, StringComparison.Ordinal);
            Assert.Single(stderr.TrimEnd().Split('\n'));
            Assert.False(File.Exists(model));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void A_non_finite_embedding_in_a_file_is_reported_as_bad_file_contents()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-");
        try
        {
            var (captions, _) = WriteCaptionsAndEmbeddings(directory);
            var values = Random(Captions.Length * 8, 1);
            values[13] = float.NaN;
            var texts = Path.Combine(directory.FullName, "nan.npy");
            NpyFile.Write(texts, new HostArray([Captions.Length, 8], values));

            var (code, _, stderr) = Run(TrainCaptionerCommand.Create(), "--captions", captions, "--text-embeddings", texts, "--out", Path.Combine(directory.FullName, "m.safetensors"));
            Assert.Equal(2, code);
            Assert.Equal($"error: --text-embeddings: '{texts}': Embedding row 1 (column 5) is NaN; embeddings must be finite.", stderr.TrimEnd());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void UnknownMapperIsAOneLineErrorNamingTheOption()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-");
        try
        {
            var (captions, texts) = WriteCaptionsAndEmbeddings(directory);
            var (code, stdout, stderr) = Run(TrainCaptionerCommand.Create(),
                "--captions", captions, "--text-embeddings", texts, "--bridge", "c1", "--mapper", "lstm", "--out", Path.Combine(directory.FullName, "m.safetensors"));
            Assert.Equal(2, code);
            Assert.Equal(string.Empty, stdout);
            Assert.StartsWith("error: --mapper: unknown mapper 'lstm'; expected mlp, transformer or linear.", stderr, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    /// <summary>The six captions and one random 8-dimensional "text embedding" per caption.</summary>
    private static (string Captions, string Texts) WriteCaptionsAndEmbeddings(DirectoryInfo directory)
    {
        var captions = Path.Combine(directory.FullName, "captions.txt");
        File.WriteAllLines(captions, Captions);
        var texts = Path.Combine(directory.FullName, "texts.npy");
        NpyFile.Write(texts, new HostArray([Captions.Length, 8], Random(Captions.Length * 8, 1)));
        return (captions, texts);
    }

    private static float[] Random(int count, int seed)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        return values;
    }

    /// <summary>Runs <paramref name="command"/> through the tool's entry point (its error mapping included).</summary>
    private static (int Code, string Stdout, string Stderr) Run(Command command, params string[] args)
    {
        var result = ConsoleCapture.Run([command.Name, .. args]);
        return (result.ExitCode, result.Out, result.Error);
    }
}
