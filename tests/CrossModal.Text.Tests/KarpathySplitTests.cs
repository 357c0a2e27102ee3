using System;
using System.IO;
using System.Linq;
using CrossModal.Testing;
using CrossModal.Text.Corpora;
using Xunit;

namespace CrossModal.Text.Tests;

/// <summary><see cref="KarpathySplit"/> and <see cref="CocoImages"/> on the fixtures of tests/reference/make_real_weights_fixtures.py.</summary>
public sealed class KarpathySplitTests
{
    private static readonly string Folder = Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "real_weights");

    [Fact]
    public void Train_counts_restval_and_the_other_splits_keep_their_images()
    {
        var split = KarpathySplit.Read(Path.Combine(Folder, "dataset_coco.json"));
        Assert.Equal(6, split.Images.Count);
        Assert.Equal(["1001", "1002", "1003"], split.Select("train").Select(i => i.ImageId));
        Assert.Equal(["1004"], split.Select("val").Select(i => i.ImageId));
        Assert.Equal(["1005", "1006"], split.Select("test").Select(i => i.ImageId));
        Assert.Equal(6, split.Select("all").Count);
        Assert.Equal("restval", split.Images[1].Split);
        Assert.Equal("png", split.Images[0].FilePath);
        Assert.Equal("pillow_rgb_83x61.png", split.Images[0].FileName);

        var corpus = split.Corpus("test");
        Assert.Equal(4, corpus.Records.Count);
        Assert.Equal(["a grey tile on the floor", "a dull grey square"], corpus.ReferencesOf("1006"));
        Assert.Throws<ArgumentException>(() => split.Select("restval"));
    }

    [Fact]
    public void Karpathy_files_are_told_from_coco_caption_files()
    {
        Assert.True(KarpathySplit.IsKarpathyFile(Path.Combine(Folder, "dataset_coco.json")));
        Assert.False(KarpathySplit.IsKarpathyFile(Path.Combine(Folder, "captions_coco.json")));
        Assert.False(KarpathySplit.IsKarpathyFile(Path.Combine(Folder, "gpt2_vocab", "config.json")));
    }

    [Fact]
    public void A_bad_split_value_names_the_file_and_the_element()
    {
        var path = Path.Combine(Path.GetTempPath(), $"karpathy-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"images": [{"filename": "a.jpg", "split": "train", "sentences": [{"raw": "x"}]}, {"filename": "b.jpg", "split": "dev", "sentences": []}]}""");
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => KarpathySplit.Read(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Contains("images[1].split", e.Message, StringComparison.Ordinal);
            File.WriteAllText(path, """{"images": [{"filename": "a.jpg", "split": "train", "sentences": [{"tokens": []}]}]}""");
            e = Assert.Throws<InvalidDataException>(() => KarpathySplit.Read(path));
            Assert.Contains("images[0].sentences[0].raw", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Coco_image_table_and_ids_in_file_names()
    {
        var names = CocoImages.ReadFileNames(Path.Combine(Folder, "captions_coco.json"));
        Assert.Equal(6, names.Count);
        Assert.Equal("pillow_rgba_83x61.png", names["1003"]);
        Assert.Equal("391895", CocoImages.IdFromFileName("COCO_val2014_000000391895.jpg"));
        Assert.Equal("391895", CocoImages.IdFromFileName("/data/val2017/000000391895.jpg"));
        Assert.Null(CocoImages.IdFromFileName("photo.png"));
    }
}
