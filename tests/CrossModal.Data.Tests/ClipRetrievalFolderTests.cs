using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Tasks;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Data.ClipRetrieval;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Testing;
using Parquet;
using Parquet.Schema;
using Xunit;

namespace CrossModal.Data.Tests;

/// <summary>
/// clip-retrieval folders written by tests/reference/make_clip_retrieval_shards.py (numpy). The metadata parquet
/// files are written here with Parquet.Net from the script's captions.json, because pyarrow is not available to the
/// script (not installed, not packaged by Debian 12).
/// </summary>
public sealed class ClipRetrievalFolderTests : IDisposable
{
    private const int D = 8;
    private readonly string _scratch = Path.Combine(Path.GetTempPath(), "crossmodal-clip-retrieval-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_scratch))
        {
            Directory.Delete(_scratch, recursive: true);
        }
    }

    private static string Fixture(string name) => Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "clip_retrieval", name);

    private static float[] Expected(string folder, string modality) =>
        MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Path.Combine(Fixture(folder), $"expected_{modality}.f32"))).ToArray();

    /// <summary>A writable copy of a fixture folder, with metadata parquet files written from captions.json when asked.</summary>
    private string Copy(string name, bool withMetadata = false)
    {
        string target = Path.Combine(_scratch, name);
        foreach (string file in Directory.EnumerateFiles(Fixture(name), "*", SearchOption.AllDirectories))
        {
            string to = Path.Combine(target, Path.GetRelativePath(Fixture(name), file));
            Directory.CreateDirectory(Path.GetDirectoryName(to)!);
            File.Copy(file, to);
        }

        if (withMetadata)
        {
            foreach (var (shard, rows) in Captions())
            {
                WriteMetadata(Path.Combine(target, "metadata", $"metadata_{shard}.parquet"), rows);
            }
        }

        return target;
    }

    private static SortedDictionary<string, List<Dictionary<string, string>>> Captions() =>
        JsonSerializer.Deserialize<SortedDictionary<string, List<Dictionary<string, string>>>>(File.ReadAllText(Path.Combine(Fixture("f16"), "captions.json")))!;

    /// <summary>The columns pandas.to_parquet writes for clip-retrieval's DataFrame: image_path, caption, url.</summary>
    private static void WriteMetadata(string path, IReadOnlyList<Dictionary<string, string>> rows, string[]? columns = null)
    {
        columns ??= ["image_path", "caption", "url"];
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        Task.Run(async () =>
        {
            DataField<string>[] fields = columns.Select(c => new DataField<string>(c)).ToArray();
            await using FileStream stream = File.Create(path);
            await using ParquetWriter writer = await ParquetWriter.CreateAsync(new ParquetSchema(fields), stream);
            using ParquetRowGroupWriter group = writer.CreateRowGroup();
            foreach (DataField<string> field in fields)
            {
                await group.WriteAsync(field, rows.Select(r => r[field.Name]).ToArray());
            }
        }).GetAwaiter().GetResult();
    }

    [Fact]
    public void Shards_rows_and_dimension_are_listed_from_the_headers()
    {
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(Fixture("f16"));
        Assert.Equal([0, 1, 2], folder.Shards.Select(s => s.Number));
        Assert.Equal([5, 3, 4], folder.Shards.Select(s => s.RowCount));
        Assert.Equal([0L, 5L, 8L], folder.Shards.Select(s => s.FirstRow));
        Assert.Equal((12L, D, 5, 5 * D), (folder.RowCount, folder.Dimension, folder.LargestShardRows, folder.LargestShardValueCount));
        Assert.True(folder.HasImageEmbeddings && folder.HasTextEmbeddings);
        Assert.False(folder.HasMetadata);
        Assert.EndsWith(Path.Combine("img_emb", "img_emb_01.npy"), folder.Shards[1].ImageEmbeddingsPath, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("f16")]
    [InlineData("f32")]
    public void Every_shard_reads_into_one_reused_buffer_bit_exactly(string name)
    {
        // float16 → float32 is exact (every half is a float); the expectation is numpy's astype(float32), compared as
        // bits so that −0.0, subnormals and 65504 are checked too.
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(Fixture(name));
        var buffer = new float[folder.LargestShardValueCount];
        foreach (ClipRetrievalModality modality in new[] { ClipRetrievalModality.Image, ClipRetrievalModality.Text })
        {
            float[] expected = Expected(name, modality == ClipRetrievalModality.Image ? "img" : "text");
            Assert.Equal(folder.RowCount * D, expected.Length);
            foreach (ClipRetrievalShard shard in folder.Shards)
            {
                Array.Fill(buffer, float.NaN);
                shard.ReadEmbeddings(modality, buffer);
                Assert.Equal(
                    expected.AsSpan((int)shard.FirstRow * D, shard.ValueCount).ToArray().Select(BitConverter.SingleToInt32Bits),
                    buffer.AsSpan(0, shard.ValueCount).ToArray().Select(BitConverter.SingleToInt32Bits));
            }
        }
    }

    [Fact]
    public void Shards_are_ordered_by_number_not_by_name()
    {
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(Fixture("f32"));
        Assert.Equal([0, 2, 10], folder.Shards.Select(s => s.Number));
        Assert.Equal(Expected("f32", "img"), folder.Load(ClipRetrievalModality.Image, int.MaxValue).Array);
    }

    [Fact]
    public void Load_reads_at_most_the_rows_asked_for_across_shard_boundaries()
    {
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(Fixture("f16"));
        EmbeddingMatrix seven = folder.Load(ClipRetrievalModality.Text, 7);
        Assert.Equal((7, D), (seven.Rows, seven.Dimension));
        Assert.Equal(Expected("f16", "text").AsSpan(0, 7 * D).ToArray(), seven.Array);
        Assert.Equal(12, folder.Load(ClipRetrievalModality.Image, 1000).Rows);
    }

    [Fact]
    public void Pairs_feed_the_modality_gap_report_and_bridge_fitting_without_metadata()
    {
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(Fixture("f32"));
        var (images, texts) = folder.LoadPairs(maxRows: 100);
        ModalityGapReport report = ModalityGapReport.Compute(images, texts);
        Assert.Equal((6, D), (report.N, report.Dimension));

        IModalityBridge bridge = new BridgePipelineBuilder().AddCollapse().Build();
        bridge.Fit(folder.LoadBridgeFitData(maxRows: 100));
        Assert.True(bridge.IsFitted);
    }

    [Fact]
    public async Task Captions_come_from_the_metadata_in_row_order()
    {
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(Copy("f16", withMetadata: true));
        Assert.True(folder.HasMetadata);
        string[] all = Captions().Values.SelectMany(rows => rows.Select(r => r["caption"])).ToArray();

        var (captions, texts) = folder.LoadCaptionedTexts(maxRows: 7);
        Assert.Equal(all.Take(7), captions);
        Assert.Equal(Expected("f16", "text").AsSpan(0, 7 * D).ToArray(), texts.Array);
        Assert.Equal(all, folder.LoadCaptions(int.MaxValue));
        string?[] urls = await folder.Shards[2].ReadColumnAsync("url");
        Assert.Equal("https://example.com/8.jpg", urls[0]);
    }

    [Fact]
    public void Embeddings_read_without_metadata_and_captions_say_which_file_is_missing()
    {
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(Fixture("f16"));
        Assert.Equal(12, folder.Load(ClipRetrievalModality.Text, 100).Rows);
        var e = Assert.Throws<InvalidDataException>(() => folder.LoadCaptions(3));
        Assert.StartsWith(Path.Combine(Fixture("f16"), "metadata", "metadata_00.parquet") + ": missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Mismatched_dimensions_name_the_shard_file()
    {
        string dir = Copy("f16");
        string bad = Path.Combine(dir, "text_emb", "text_emb_01.npy");
        NpyFile.Write(bad, new HostArray([3, 4], new float[12]));
        var e = Assert.Throws<InvalidDataException>(() => ClipRetrievalFolder.Open(dir));
        Assert.StartsWith(bad + ": embeddings of dimension 4, but ", e.Message, StringComparison.Ordinal);
        Assert.Contains("has 8", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_shard_without_its_pair_is_named()
    {
        string dir = Copy("f16");
        File.Delete(Path.Combine(dir, "text_emb", "text_emb_02.npy"));
        var e = Assert.Throws<InvalidDataException>(() => ClipRetrievalFolder.Open(dir));
        Assert.StartsWith(Path.Combine(dir, "img_emb", "img_emb_02.npy") + ": image shard 2 has no text pair (" + Path.Combine(dir, "text_emb", "text_emb_02.npy") + " is missing)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Paired_shards_with_different_row_counts_are_named()
    {
        string dir = Copy("f16");
        string bad = Path.Combine(dir, "text_emb", "text_emb_01.npy");
        NpyFile.Write(bad, new HostArray([2, D], new float[2 * D]));
        var e = Assert.Throws<InvalidDataException>(() => ClipRetrievalFolder.Open(dir));
        Assert.StartsWith(bad + ": 2 rows, but its image pair ", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("vector")]
    [InlineData("truncated")]
    public void A_bad_npy_is_an_InvalidDataException_naming_the_file(string damage)
    {
        string dir = Copy("f16");
        string bad = Path.Combine(dir, "img_emb", "img_emb_01.npy");
        switch (damage)
        {
            case "garbage": File.WriteAllBytes(bad, "not numpy at all"u8.ToArray()); break;
            case "vector": NpyFile.Write(bad, new HostArray([D], new float[D])); break;
            default: File.WriteAllBytes(bad, File.ReadAllBytes(bad)[..^5]); break;
        }

        var e = Assert.Throws<InvalidDataException>(() => ClipRetrievalFolder.Open(dir));
        Assert.StartsWith(bad + ": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_files_with_the_same_shard_number_are_refused()
    {
        string dir = Copy("f32");
        File.Copy(Path.Combine(dir, "img_emb", "img_emb_2.npy"), Path.Combine(dir, "img_emb", "img_emb_002.npy"));
        var e = Assert.Throws<InvalidDataException>(() => ClipRetrievalFolder.Open(dir));
        Assert.Contains("shard number 2 is also", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_shards_is_refused_and_a_missing_folder_is_not_found()
    {
        Directory.CreateDirectory(Path.Combine(_scratch, "empty", "img_emb"));
        var e = Assert.Throws<InvalidDataException>(() => ClipRetrievalFolder.Open(Path.Combine(_scratch, "empty")));
        Assert.Contains("not a clip-retrieval embeddings folder", e.Message, StringComparison.Ordinal);
        Assert.Throws<DirectoryNotFoundException>(() => ClipRetrievalFolder.Open(Path.Combine(_scratch, "absent")));
    }

    [Fact]
    public void An_image_only_folder_reads_images_and_refuses_pairs()
    {
        string dir = Copy("f32");
        Directory.Delete(Path.Combine(dir, "text_emb"), recursive: true);
        ClipRetrievalFolder folder = ClipRetrievalFolder.Open(dir);
        Assert.False(folder.HasTextEmbeddings);
        Assert.Equal(Expected("f32", "img"), folder.Load(ClipRetrievalModality.Image, 100).Array);
        Assert.Throws<InvalidOperationException>(() => folder.LoadPairs(10));
        Assert.Throws<InvalidOperationException>(() => folder.Load(ClipRetrievalModality.Text, 10));
    }

    [Fact]
    public void Metadata_with_the_wrong_row_count_missing_column_or_bad_bytes_is_named()
    {
        string dir = Copy("f16", withMetadata: true);
        string parquet = Path.Combine(dir, "metadata", "metadata_01.parquet");
        ClipRetrievalShard shard = ClipRetrievalFolder.Open(dir).Shards[1];

        WriteMetadata(parquet, Captions()["01"].Take(2).ToList());
        var e = Assert.Throws<InvalidDataException>(() => shard.ReadCaptions());
        Assert.StartsWith(parquet + ": 2 rows, but the shard's embeddings have 3", e.Message, StringComparison.Ordinal);

        WriteMetadata(parquet, Captions()["01"], ["image_path", "url"]);
        e = Assert.Throws<InvalidDataException>(() => shard.ReadCaptions());
        Assert.StartsWith(parquet + ": no column 'caption' (the file has: image_path, url)", e.Message, StringComparison.Ordinal);

        File.WriteAllBytes(parquet, "PAR1 this is not parquet PAR1"u8.ToArray());
        e = Assert.Throws<InvalidDataException>(() => shard.ReadCaptions());
        Assert.StartsWith(parquet + ": not a readable parquet file", e.Message, StringComparison.Ordinal);
    }
}
