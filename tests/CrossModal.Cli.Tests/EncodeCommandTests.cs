using System;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using CrossModal.Abstractions;
using CrossModal.Models.Clip;
using CrossModal.Models.Images;
using CrossModal.Tensors.IO;
using Xunit;
using CrossModal.Testing;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal encode</c> against the tiny CLIP fixture of tests/reference/make_clip_fixtures.py.</summary>
[Collection("Console")]
public sealed class EncodeCommandTests : IDisposable
{
    private static readonly string RepoRoot = FindRepoRoot();
    private static readonly string ModelDirectory = Path.Combine(RepoRoot, "tests", "reference", "fixtures", "clip", "tiny");
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "crossmodal-encode-" + Guid.NewGuid().ToString("N"));

    public EncodeCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Texts_are_encoded_one_per_line_with_an_input_list_beside()
    {
        string[] lines = ["a photo of a cat", "two dogs in the snow", "a red circle"];
        var input = Path.Combine(_folder, "captions.txt");
        File.WriteAllLines(input, lines);
        var output = Path.Combine(_folder, "out", "texts.npy");

        var (code, error) = Invoke("encode", "--model", ModelDirectory, "--text", input, "--out", output, "--batch", "2");

        Assert.True(code == 0, error);
        var matrix = NpyFile.Read(output);
        Assert.Equal([3, 48], matrix.Shape);
        var expected = ClipModel.Load(ModelDirectory).EncodeTexts(lines);
        Assert.Equal(expected.Array, matrix.Data);
        var list = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(output, ".json")))!;
        Assert.Equal(lines, list["inputs"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("text", list["modality"]!.GetValue<string>());
        Assert.Equal(48, list["dimension"]!.GetValue<int>());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp")); // atomic writes leave nothing behind
    }

    [Fact]
    public void A_folder_and_files_of_images_are_encoded_in_order()
    {
        var images = Path.Combine(_folder, "images");
        Directory.CreateDirectory(images);
        var a = Gradient(40, 32, 0);
        var b = Gradient(32, 48, 1);
        var c = Gradient(36, 36, 2);
        File.WriteAllBytes(Path.Combine(images, "b.png"), PngEncoder.Encode(b));
        File.WriteAllBytes(Path.Combine(images, "a.png"), PngEncoder.Encode(a));
        File.WriteAllText(Path.Combine(images, "notes.txt"), "not an image"); // skipped: no image signature
        var single = Path.Combine(_folder, "c.png");
        File.WriteAllBytes(single, PngEncoder.Encode(c));
        var output = Path.Combine(_folder, "images.npy");

        var (code, error) = Invoke("encode", "--model", ModelDirectory, "--images", images, single, "--out", output);

        Assert.True(code == 0, error);
        var matrix = NpyFile.Read(output);
        Assert.Equal([3, 48], matrix.Shape);
        var expected = ClipModel.Load(ModelDirectory).EncodeImages([a, b, c]);
        Assert.Equal(expected.Array, matrix.Data);
        var inputs = JsonNode.Parse(File.ReadAllText(Path.ChangeExtension(output, ".json")))!["inputs"]!.AsArray().Select(n => Path.GetFileName(n!.GetValue<string>()));
        Assert.Equal(["a.png", "b.png", "c.png"], inputs);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(1f, MathF.Sqrt(matrix.Data.AsSpan(i * 48, 48).ToArray().Sum(v => v * v)), 5);
        }
    }

    [Theory]
    [InlineData("both", "exactly one of --text")]
    [InlineData("neither", "exactly one of --text")]
    [InlineData("missing-model", "does not exist")]
    [InlineData("bad-image", "bad.png")]
    [InlineData("bad-out", "must end with .npy")]
    public void Bad_input_is_one_line_on_stderr_and_exit_code_2(string kind, string message)
    {
        var text = Path.Combine(_folder, "t.txt");
        File.WriteAllText(text, "hello\n");
        var bad = Path.Combine(_folder, "bad.png");
        File.WriteAllBytes(bad, [0x89, (byte)'P', (byte)'N', (byte)'G', 13, 10, 26, 10, 0, 0]);
        var output = Path.Combine(_folder, "o.npy");
        string[] args = kind switch
        {
            "both" => ["encode", "--model", ModelDirectory, "--text", text, "--images", bad, "--out", output],
            "neither" => ["encode", "--model", ModelDirectory, "--out", output],
            "missing-model" => ["encode", "--model", Path.Combine(_folder, "nope"), "--text", text, "--out", output],
            "bad-image" => ["encode", "--model", ModelDirectory, "--images", bad, "--out", output],
            _ => ["encode", "--model", ModelDirectory, "--text", text, "--out", Path.Combine(_folder, "o.bin")],
        };

        var (code, error) = Invoke(args);

        Assert.Equal(2, code);
        var lines = error.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.Contains(message, lines[0], StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }

    private static ImageData Gradient(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        var rng = new Random(seed);
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (byte)(((i * 7) + rng.Next(0, 60)) % 256);
        }

        return new ImageData(width, height, pixels);
    }

    private static (int Code, string Error) Invoke(params string[] args)
    {
        var result = ConsoleCapture.Run(args);
        return (result.ExitCode, result.Error);
    }

    private static string FindRepoRoot() => RepositoryPaths.Root;
}
