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
            var captions = Path.Combine(directory.FullName, "captions.txt");
            File.WriteAllLines(captions, Captions);
            var texts = Path.Combine(directory.FullName, "texts.npy");
            NpyFile.Write(texts, new HostArray([Captions.Length, 8], Random(Captions.Length * 8, 1)));
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
    public void UnknownMapperIsAOneLineErrorNamingTheOption()
    {
        var directory = Directory.CreateTempSubdirectory("crossmodal-cli-");
        try
        {
            var captions = Path.Combine(directory.FullName, "captions.txt");
            File.WriteAllLines(captions, Captions);
            var texts = Path.Combine(directory.FullName, "texts.npy");
            NpyFile.Write(texts, new HostArray([Captions.Length, 8], Random(Captions.Length * 8, 1)));
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

    private static (int Code, string Stdout, string Stderr) Run(Command command, params string[] args)
    {
        var root = new RootCommand { command };
        var originalOut = Console.Out;
        var originalError = Console.Error;
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        Console.SetOut(stdout);
        Console.SetError(stderr);
        try
        {
            var code = root.Parse([command.Name, .. args]).Invoke();
            return (code, stdout.ToString(), stderr.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
