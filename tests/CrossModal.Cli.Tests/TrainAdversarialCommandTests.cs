using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using CrossModal.Cli.Commands;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Testing;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary>
/// <c>crossmodal train-adversarial</c> end to end on tiny inputs: a text-only (C1) captioner trained by
/// <c>train-captioner</c> on the tiny CLIP fixture's text embeddings, random unit "image" embeddings and the same corpus.
/// </summary>
[Collection("Console")]
public sealed class TrainAdversarialCommandTests : IDisposable
{
    private static readonly string ClipDirectory = Path.Combine(FindRepoRoot(), "tests", "reference", "fixtures", "clip", "tiny");

    private static readonly string[] Captions =
    [
        "a red circle above a blue square",
        "a green triangle left of a red circle",
        "two blue squares",
        "a small yellow circle",
        "a large green square right of a triangle",
        "a blue triangle below a yellow square",
    ];

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "crossmodal-adversarial-" + Guid.NewGuid().ToString("N"));
    private readonly string _corpus;
    private readonly string _images;
    private readonly string _init;

    public TrainAdversarialCommandTests()
    {
        Directory.CreateDirectory(_folder);
        _corpus = Path.Combine(_folder, "corpus.txt");
        File.WriteAllLines(_corpus, Captions);
        var texts = Path.Combine(_folder, "texts.npy");
        var embedded = ClipModel.Load(ClipDirectory).EncodeTexts(Captions);
        NpyFile.Write(texts, new HostArray([Captions.Length, embedded.Dimension], embedded.Span.ToArray()));
        _images = Path.Combine(_folder, "images.npy");
        NpyFile.Write(_images, new HostArray([4, embedded.Dimension], UnitRows(4, embedded.Dimension, 7)));
        _init = Path.Combine(_folder, "c1.safetensors");
        var trained = ConsoleCapture.Run(
            "train-captioner", "--captions", _corpus, "--text-embeddings", texts, "--bridge", "c1",
            "--width", "16", "--heads", "2", "--decoder-layers", "1", "--epochs", "2", "--batch", "3", "--validation-fraction", "0", "--out", _init);
        Assert.True(trained.ExitCode == 0, trained.Error);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData("agg+d")]
    [InlineData("cos")]
    [InlineData("d")]
    public void Trains_then_the_result_captions(string reward)
    {
        var output = Path.Combine(_folder, "gan.safetensors");
        var result = ConsoleCapture.Run(Arguments(output, "--reward", reward, "--steps", "3", "--json"));

        Assert.True(result.ExitCode == 0, result.Error);
        using (var summary = JsonDocument.Parse(result.Out))
        {
            Assert.Equal(3, summary.RootElement.GetProperty("steps").GetInt32());
            Assert.Equal(0, summary.RootElement.GetProperty("resumed_from").GetInt32());
            Assert.Equal(reward, summary.RootElement.GetProperty("reward").GetString());
            Assert.True(double.IsFinite(summary.RootElement.GetProperty("final_reward").GetDouble()));
            Assert.True(summary.RootElement.GetProperty("final_discriminator_loss").GetDouble() > 0);
            Assert.True(summary.RootElement.GetProperty("samples_per_second").GetDouble() > 0);
        }

        Assert.NotEqual(Tensors(_init), Tensors(output)); // the generator moved
        var captioned = ConsoleCapture.Run("caption", "--model", output, "--image-embeddings", _images, "--json");
        Assert.True(captioned.ExitCode == 0, captioned.Error);
        Assert.Equal(4, JsonSerializer.Deserialize<string[]>(captioned.Out)!.Length);
        Assert.Empty(Directory.GetFiles(_folder, "*.tmp"));
    }

    [Fact]
    public void Self_critical_cider_reads_one_reference_per_image_from_the_corpus()
    {
        var references = Path.Combine(_folder, "references.txt");
        File.WriteAllLines(references, Captions.Take(4)); // line i is image i's reference
        var output = Path.Combine(_folder, "scst.safetensors");

        var result = ConsoleCapture.Run(Arguments(output, "--reward", "cider", "--steps", "2", "--json").Select(a => a == _corpus ? references : a).ToArray());

        Assert.True(result.ExitCode == 0, result.Error);
        using var summary = JsonDocument.Parse(result.Out);
        Assert.Equal("cider", summary.RootElement.GetProperty("reward").GetString());
        Assert.True(summary.RootElement.GetProperty("final_reward").GetDouble() >= 0); // CIDEr-D is never negative
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void Rerunning_resumes_from_the_checkpoint_to_the_same_model_as_one_run()
    {
        var straight = Path.Combine(_folder, "straight.safetensors");
        var once = ConsoleCapture.Run(Arguments(straight, "--steps", "4"));
        Assert.True(once.ExitCode == 0, once.Error);

        var resumed = Path.Combine(_folder, "resumed.safetensors");
        var first = ConsoleCapture.Run(Arguments(resumed, "--steps", "2"));
        Assert.True(first.ExitCode == 0, first.Error);
        Assert.True(File.Exists(TrainAdversarialCommand.ResumePath(resumed)));
        var second = ConsoleCapture.Run(Arguments(resumed, "--steps", "4", "--json"));
        Assert.True(second.ExitCode == 0, second.Error);
        using (var summary = JsonDocument.Parse(second.Out))
        {
            Assert.Equal(2, summary.RootElement.GetProperty("resumed_from").GetInt32());
            Assert.Equal(4, summary.RootElement.GetProperty("steps").GetInt32());
        }

        Assert.Equal(Tensors(straight), Tensors(resumed));
    }

    [Fact]
    public void A_cancelled_run_saves_the_checkpoint_and_exits_130()
    {
        var output = Path.Combine(_folder, "cancelled.safetensors");
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var settings = new TrainAdversarialCommand.Settings(_init, ClipDirectory, _images, _corpus, null, "agg+d", 5, 0, 2, 2, "greedy", 50, output, false);
        using var backend = DeviceOption.Parse("cpu").CreateBackend();

        var root = new System.CommandLine.RootCommand();
        var run = new System.CommandLine.Command("cancelled-run");
        run.SetAction(_ => TrainAdversarialCommand.Run(settings, backend, cancelled.Token));
        root.Subcommands.Add(run);

        var code = ConsoleCapture.Run(root, ["cancelled-run"]);

        Assert.Equal(130, code.ExitCode);
        Assert.False(File.Exists(output));
        Assert.True(File.Exists(TrainAdversarialCommand.ResumePath(output)));
        Assert.Contains("run the same command again to resume", code.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--init", "missing", "error: --init: the file")]
    [InlineData("--clip", "missing", "error: --clip: the folder")]
    [InlineData("--images", "missing", "error: --images: the file")]
    [InlineData("--corpus", "missing", "error: --corpus: the file")]
    [InlineData("--images", "wide", "error: --images: dimension 5, but the captioner of --init expects 48.")]
    [InlineData("--corpus-embeddings", "short", "error: --corpus-embeddings: 2 rows for 6 corpus captions")]
    [InlineData("--reward", "clip", "error: --reward: unknown reward 'clip'")]
    [InlineData("--reward", "cider", "error: --corpus: 6 references for 4 images")]
    [InlineData("--steps", "0", "error: --steps: expected 1 or more, got 0.")]
    [InlineData("--out", "model.bin", "error: --out: 'model.bin' must end with .safetensors.")]
    public void Bad_inputs_are_one_line_errors_naming_the_option(string option, string value, string message)
    {
        var output = Path.Combine(_folder, "bad.safetensors");
        var args = Arguments(output);
        var replacement = value switch
        {
            "missing" => Path.Combine(_folder, "no-such-thing"),
            "wide" => Write("wide.npy", 3, 5),
            "short" => Write("short.npy", 2, 48),
            _ => value,
        };
        var index = Array.IndexOf(args, option);
        args = index >= 0 ? [.. args[..(index + 1)], replacement, .. args[(index + 2)..]] : [.. args, option, replacement];

        var result = ConsoleCapture.Run(args);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        Assert.StartsWith(message, result.Error, StringComparison.Ordinal);
        Assert.Single(result.Error.TrimEnd().Split('\n'));
        Assert.False(File.Exists(output));
    }

    private string[] Arguments(string output, params string[] extra) =>
    [
        "train-adversarial", "--init", _init, "--clip", ClipDirectory, "--images", _images, "--corpus", _corpus,
        "--images-per-step", "2", "--samples", "2", "--seed", "3", "--out", output, .. extra,
    ];

    private string Write(string name, int rows, int columns)
    {
        var path = Path.Combine(_folder, name);
        NpyFile.Write(path, new HostArray([rows, columns], UnitRows(rows, columns, 1)));
        return path;
    }

    private static string Tensors(string path)
    {
        var content = SafeTensorsFile.Read(path);
        return string.Join(";", content.Tensors.Where(t => t.Key.StartsWith("model.", StringComparison.Ordinal)).OrderBy(t => t.Key, StringComparer.Ordinal)
            .Select(t => t.Key + "=" + Convert.ToHexString(System.Runtime.InteropServices.MemoryMarshal.AsBytes(t.Value.Data.AsSpan()))));
    }

    private static float[] UnitRows(int rows, int columns, int seed)
    {
        var rng = new Random(seed);
        var values = new float[rows * columns];
        for (var r = 0; r < rows; r++)
        {
            var row = values.AsSpan(r * columns, columns);
            for (var c = 0; c < columns; c++)
            {
                row[c] = (float)((rng.NextDouble() * 2) - 1);
            }

            var norm = MathF.Sqrt(row.ToArray().Sum(v => v * v));
            for (var c = 0; c < columns; c++)
            {
                row[c] /= norm;
            }
        }

        return values;
    }

    private static string FindRepoRoot() => RepositoryPaths.Root;
}
