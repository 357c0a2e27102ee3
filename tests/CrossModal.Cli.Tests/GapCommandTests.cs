using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using Xunit;
using CrossModal.Testing;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal gap</c>: the JSON contract, both input forms and the one-line errors.</summary>
[Collection("Console")]
public sealed class GapCommandTests : IDisposable
{
    private static readonly string[] Keys =
    {
        "n", "dim", "mean_paired_cosine", "mean_unpaired_cosine", "centroid_distance", "i2t_recall_at_1", "t2i_recall_at_1",
        "i2t_recall_at_5", "t2i_recall_at_5", "gap_dims_90", "gap_dims_99",
    };

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "crossmodal-gap-" + Guid.NewGuid().ToString("N"));

    public GapCommandTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Coco => RepositoryPaths.Data(Path.Combine("embeddings", "coco_val2017_vitb16_500", "features_clip.npy"));

    private string Write(string name, int[] shape, float[] data)
    {
        var path = Path.Combine(_dir, name);
        NpyFile.Write(path, new HostArray(shape, data));
        return path;
    }

    [Fact]
    public void Json_on_real_coco_has_exactly_the_contract_keys_and_values()
    {
        var (code, stdout, stderr) = ConsoleCapture.Run("gap", "--npy", Coco, "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(Keys, root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(500, root.GetProperty("n").GetInt32());
        Assert.Equal(512, root.GetProperty("dim").GetInt32());
        Assert.Equal(0.310, root.GetProperty("mean_paired_cosine").GetDouble(), 1e-3);
        Assert.Equal(0.162, root.GetProperty("mean_unpaired_cosine").GetDouble(), 1e-3);
        Assert.Equal(0.851, root.GetProperty("centroid_distance").GetDouble(), 1e-3);
        Assert.Equal(0.552, root.GetProperty("i2t_recall_at_1").GetDouble(), 1e-3);
        Assert.Equal(0.506, root.GetProperty("t2i_recall_at_1").GetDouble(), 1e-3);
        Assert.Equal(JsonValueKind.Number, root.GetProperty("gap_dims_90").ValueKind);
        Assert.True(root.GetProperty("gap_dims_90").TryGetInt32(out _));
    }

    [Fact]
    public void Collapse_bridge_closes_the_centroid_gap()
    {
        var (code, stdout, stderr) = ConsoleCapture.Run("gap", "--npy", Coco, "--bridge", "collapse", "--json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        Assert.Equal(0.0279, doc.RootElement.GetProperty("centroid_distance").GetDouble(), 1e-3);
        Assert.Contains("fitting", stderr, StringComparison.Ordinal); // progress goes to stderr, not into the JSON
    }

    [Fact]
    public void Separate_files_and_float16_give_the_same_report()
    {
        var array = NpyFile.Read(Coco);
        var half = 500 * 512;
        var images = Write("images.npy", new[] { 500, 512 }, array.Data[..half]);
        var texts = Write("texts.npy", new[] { 500, 512 }, array.Data[half..]);
        var (code, stdout, stderr) = ConsoleCapture.Run("gap", "--images", images, "--texts", texts, "--json");
        Assert.True(code == 0, stderr);
        Assert.Equal(ConsoleCapture.Run("gap", "--npy", Coco, "--json").Out, stdout);

        // A float16 copy of the same array (written by hand: '<f2' header, IEEE half values).
        var f16 = Path.Combine(_dir, "half.npy");
        WriteFloat16(f16, array);
        var (code16, stdout16, stderr16) = ConsoleCapture.Run("gap", "--npy", f16, "--json");
        Assert.True(code16 == 0, stderr16);
        using var doc = JsonDocument.Parse(stdout16);
        Assert.Equal(0.310, doc.RootElement.GetProperty("mean_paired_cosine").GetDouble(), 1e-3);
    }

    [Fact]
    public void A_clip_retrieval_folder_gives_the_report_of_its_pairs_read_shard_by_shard()
    {
        // The float16 shard fixture (three shards) against the same pairs written as two float32 .npy files: the
        // expected_*.f32 files hold the shards' values widened to float32, in shard order.
        var folder = Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "clip_retrieval", "f16");
        var dimension = NpyFile.Read(Path.Combine(folder, "img_emb", "img_emb_00.npy")).Shape[1];
        float[] Expected(string modality) =>
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(folder, $"expected_{modality}.f32"))).ToArray();
        var imageValues = Expected("img");
        var rows = imageValues.Length / dimension;
        var images = Write("images.npy", [rows, dimension], imageValues);
        var texts = Write("texts.npy", [rows, dimension], Expected("text"));

        var (code, stdout, stderr) = ConsoleCapture.Run("gap", "--embeddings-dir", folder, "--json");
        Assert.True(code == 0, stderr);
        Assert.Contains("3 shards", stderr, StringComparison.Ordinal);
        Assert.Equal(ConsoleCapture.Run("gap", "--images", images, "--texts", texts, "--json").Out, stdout);

        var (codeFew, stdoutFew, stderrFew) = ConsoleCapture.Run("gap", "--embeddings-dir", folder, "--max-rows", "5", "--json");
        Assert.True(codeFew == 0, stderrFew);
        using var few = JsonDocument.Parse(stdoutFew);
        Assert.Equal(5, few.RootElement.GetProperty("n").GetInt32());
    }

    [Fact]
    public void A_clip_retrieval_folder_without_text_shards_or_with_other_inputs_is_a_one_line_error()
    {
        var folder = Path.Combine(_dir, "shards");
        Directory.CreateDirectory(Path.Combine(folder, "img_emb"));
        NpyFile.Write(Path.Combine(folder, "img_emb", "img_emb_0.npy"), new HostArray([3, 4], new float[12]));
        foreach (var args in new[]
                 {
                     new[] { "gap", "--embeddings-dir", folder },
                     new[] { "gap", "--embeddings-dir", folder, "--npy", Coco },
                     new[] { "gap", "--embeddings-dir", folder, "--max-rows", "0" },
                 })
        {
            var (code, stdout, stderr) = ConsoleCapture.Run(args);
            Assert.Equal(2, code);
            Assert.Equal(string.Empty, stdout);
            Assert.StartsWith("error: ", stderr, StringComparison.Ordinal);
            Assert.Single(stderr.TrimEnd().Split('\n'));
        }
    }

    [Fact]
    public void Human_output_is_a_table_without_json()
    {
        var (code, stdout, _) = ConsoleCapture.Run("gap", "--npy", Coco);
        Assert.Equal(0, code);
        Assert.Contains("mean paired cosine", stdout, StringComparison.Ordinal);
        Assert.Contains("0.3099", stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("{", stdout, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_inputs_give_one_line_errors_and_exit_code_2()
    {
        var nan = Enumerable.Range(0, 2 * 4 * 3).Select(i => (float)i + 1).ToArray();
        nan[4 * 3 + 2 * 3 + 1] = float.NaN; // texts, row 2
        var cases = new (string[] Args, string Expected)[]
        {
            (new[] { "gap" }, "--npy"),
            (new[] { "gap", "--npy", Path.Combine(_dir, "missing.npy") }, "missing.npy"),
            (new[] { "gap", "--npy", Write("flat.npy", new[] { 10, 4 }, new float[40]) }, "(2, N, D)"),
            (new[] { "gap", "--npy", Write("nan.npy", new[] { 2, 4, 3 }, nan) }, "row 2"),
            (new[] { "gap", "--images", Write("a.npy", new[] { 5, 4 }, new float[20]), "--texts", Write("b.npy", new[] { 6, 4 }, new float[24]) }, "same shape"),
            (new[] { "gap", "--images", Write("c.npy", new[] { 5, 4 }, new float[20]) }, "--texts"),
            (new[] { "gap", "--npy", Coco, "--bridge", "nonsense" }, "nonsense"),
        };
        File.WriteAllText(Path.Combine(_dir, "garbage.npy"), "this is not an npy file");
        cases = cases.Append((new[] { "gap", "--npy", Path.Combine(_dir, "garbage.npy") }, "garbage.npy")).ToArray();

        foreach (var (args, expected) in cases)
        {
            var (code, stdout, stderr) = ConsoleCapture.Run(args);
            Assert.True(code == 2, $"{string.Join(' ', args)} exited {code}: {stderr}");
            Assert.Equal(string.Empty, stdout);
            var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 1, $"{string.Join(' ', args)}: expected one line, got: {stderr}");
            Assert.Contains(expected, lines[0], StringComparison.Ordinal);
        }
    }

    private static void WriteFloat16(string path, HostArray array)
    {
        var header = "{'descr': '<f2', 'fortran_order': False, 'shape': (" + string.Join(", ", array.Shape) + "), }";
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 });
        writer.Write((ushort)header.Length);
        writer.Write(System.Text.Encoding.ASCII.GetBytes(header));
        foreach (var value in array.Data)
        {
            writer.Write((Half)value);
        }
    }
}
