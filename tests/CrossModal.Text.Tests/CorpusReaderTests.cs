using System;
using System.IO;
using System.Linq;
using CrossModal.Text.Corpora;
using Xunit;

namespace CrossModal.Text.Tests;

public sealed class CorpusReaderTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("crossmodal-corpus-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public void Coco_val2017_has_5000_images_and_25014_captions()
    {
        var corpus = CocoCaptions.Read(RepoData.Path("captions/coco/captions_val2017.json"));
        Assert.Equal(25014, corpus.Records.Count);
        Assert.Equal(5000, corpus.ImageIds.Count);
        Assert.Contains("A black Honda motorcycle parked in front of a garage.", corpus.ReferencesOf("179765"));
        Assert.All(corpus.ImageIds, id => Assert.InRange(corpus.ReferencesOf(id).Count, 5, 7));
    }

    [Fact]
    public void Coco_malformed_json_names_file_and_line()
    {
        var path = Write("bad.json", "{\n \"annotations\": [\n  {\"image_id\": 1, \"caption\": \"a\"},\n  {\"image_id\": 2 \"caption\": \"b\"}\n ]\n}");
        var error = Assert.Throws<InvalidDataException>(() => CocoCaptions.Read(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("line 4", error.Message);
    }

    [Fact]
    public void Coco_wrong_shape_names_the_element()
    {
        var path = Write("shape.json", "{\"annotations\": [{\"image_id\": 1, \"caption\": \"a\"}, {\"image_id\": 2, \"caption\": 7}]}");
        var error = Assert.Throws<InvalidDataException>(() => CocoCaptions.Read(path));
        Assert.Contains("annotations[1].caption", error.Message);
        var noAnnotations = Write("none.json", "{\"images\": []}");
        Assert.Contains("\"annotations\"", Assert.Throws<InvalidDataException>(() => CocoCaptions.Read(noAnnotations)).Message);
    }

    [Fact]
    public void Flickr8k_has_8092_images_of_five_captions_after_repairing_the_stray_id()
    {
        var result = Flickr8kCaptions.Read(RepoData.Path("captions/flickr8k/Flickr8k.token.txt"));
        Assert.Equal(40460, result.Corpus.Records.Count);
        Assert.Equal(8092, result.Corpus.ImageIds.Count);
        Assert.All(result.Corpus.ImageIds, id => Assert.Equal(5, result.Corpus.ReferencesOf(id).Count));
        var repair = Assert.Single(result.Repairs);
        Assert.Equal("line 6731: image '2258277193_586949ec62.jpg.1' read as '2258277193_586949ec62.jpg'", repair);
        Assert.Equal("people waiting for the subway", result.Corpus.ReferencesOf("2258277193_586949ec62.jpg")[0]);
    }

    [Fact]
    public void Flickr8k_splits_are_6000_1000_1000_images_of_the_corpus()
    {
        var corpus = Flickr8kCaptions.Read(RepoData.Path("captions/flickr8k/Flickr8k.token.txt")).Corpus;
        var train = Flickr8kCaptions.ReadSplit(RepoData.Path("captions/flickr8k/Flickr_8k.trainImages.txt"));
        var dev = Flickr8kCaptions.ReadSplit(RepoData.Path("captions/flickr8k/Flickr_8k.devImages.txt"));
        var test = Flickr8kCaptions.ReadSplit(RepoData.Path("captions/flickr8k/Flickr_8k.testImages.txt"));
        Assert.Equal((6000, 1000, 1000), (train.Count, dev.Count, test.Count));
        Assert.Empty(train.Intersect(test));
        Assert.Equal(5000, corpus.Subset(test).Records.Count);
    }

    [Fact]
    public void Flickr8k_malformed_line_names_file_and_line()
    {
        var path = Write("token.txt", "a.jpg#0\tA dog.\na.jpg#1 no tab here\n");
        var error = Assert.Throws<InvalidDataException>(() => Flickr8kCaptions.Read(path));
        Assert.Contains(path + ": line 2", error.Message);
    }

    [Fact]
    public void Plain_text_skips_blank_lines_and_reports_invalid_utf8_by_line()
    {
        var path = Write("plain.txt", "a dog runs\n\n  a cat sleeps  \r\n");
        var corpus = PlainTextCaptions.Read(path);
        Assert.Equal([new CaptionRecord("1", "a dog runs"), new CaptionRecord("3", "a cat sleeps")], corpus.Records.ToArray());

        var bad = Path.Combine(_directory, "bad.txt");
        File.WriteAllBytes(bad, [(byte)'o', (byte)'k', (byte)'\n', 0xC3, 0x28, (byte)'\n']);
        var error = Assert.Throws<InvalidDataException>(() => PlainTextCaptions.Read(bad));
        Assert.Contains(bad + ": line 2", error.Message);
    }

    [Fact]
    public void Subset_rejects_unknown_images()
    {
        var corpus = new CaptionCorpus([new CaptionRecord("x", "a"), new CaptionRecord("y", "b"), new CaptionRecord("x", "c")]);
        Assert.Equal(["a", "c"], corpus.ReferencesOf("x"));
        Assert.Equal(["x", "y"], corpus.ImageIds);
        Assert.Throws<ArgumentException>(() => corpus.Subset(["z"]));
    }
}
