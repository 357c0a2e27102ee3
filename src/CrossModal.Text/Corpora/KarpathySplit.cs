using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace CrossModal.Text.Corpora;

/// <summary>One image of a Karpathy split file with its reference sentences.</summary>
/// <param name="ImageId">The COCO image id (<c>cocoid</c>) in decimal, or the file name when the entry has none (Flickr).</param>
/// <param name="FileName">The image's file name (<c>filename</c>), e.g. <c>COCO_val2014_000000391895.jpg</c>.</param>
/// <param name="FilePath">The folder the file lies in relative to the image root (<c>filepath</c>, e.g. <c>val2014</c>), or empty.</param>
/// <param name="Split">The split as stored: <c>train</c>, <c>restval</c>, <c>val</c> or <c>test</c>.</param>
/// <param name="Sentences">The raw reference sentences (<c>sentences[].raw</c>), in file order.</param>
public sealed record KarpathyImage(string ImageId, string FileName, string FilePath, string Split, IReadOnlyList<string> Sentences);

/// <summary>
/// The Karpathy split of COCO (or Flickr8k/30k): <c>dataset_coco.json</c> of Karpathy and Fei-Fei (2015), an object
/// with an <c>"images"</c> array whose entries carry <c>filepath</c>, <c>filename</c>, <c>cocoid</c>, <c>split</c>
/// (<c>train</c>, <c>restval</c>, <c>val</c> or <c>test</c>) and <c>sentences</c> (each with its <c>raw</c> text). The
/// captioning papers (ClipCap, CapDec, C3, DeCap) train on <c>train</c> plus <c>restval</c> (113,287 images) and
/// evaluate on the 5,000 <c>test</c> images, so <see cref="Select"/> counts <c>restval</c> as training data.
/// </summary>
public sealed class KarpathySplit
{
    /// <summary>The names <see cref="Select"/> accepts: <c>train</c> (with <c>restval</c>), <c>val</c>, <c>test</c>, <c>all</c>.</summary>
    public static readonly IReadOnlyList<string> SplitNames = ["train", "val", "test", "all"];

    private KarpathySplit(string path, IReadOnlyList<KarpathyImage> images)
    {
        SourcePath = path;
        Images = images;
    }

    /// <summary>The file it was read from.</summary>
    public string SourcePath { get; }

    /// <summary>Every image, in file order.</summary>
    public IReadOnlyList<KarpathyImage> Images { get; }

    /// <summary>Whether <paramref name="path"/> looks like a Karpathy split file: a JSON object with an
    /// <c>"images"</c> array whose first entry has <c>"sentences"</c> and <c>"split"</c> (COCO's own caption files have
    /// <c>"annotations"</c> instead). Reads the file; invalid JSON gives false.</summary>
    /// <param name="path">The file.</param>
    public static bool IsKarpathyFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        try
        {
            using var stream = File.OpenRead(path);
            using var document = JsonDocument.Parse(stream);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("annotations", out _) ||
                !root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            foreach (var image in images.EnumerateArray())
            {
                return image.ValueKind == JsonValueKind.Object && image.TryGetProperty("sentences", out _) && image.TryGetProperty("split", out _);
            }

            return false;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>Reads a Karpathy split file.</summary>
    /// <param name="path">The JSON file (e.g. <c>dataset_coco.json</c>).</param>
    /// <exception cref="InvalidDataException">The file is not valid JSON or not in the Karpathy format; the message names
    /// the file and the offending element (e.g. <c>images[3].sentences[1].raw</c>).</exception>
    public static KarpathySplit Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var document = CorpusJson.Parse(path);

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{path}: expected a JSON object with an \"images\" array (Karpathy split format, dataset_coco.json).");
            }

            var result = new List<KarpathyImage>(images.GetArrayLength());
            var index = 0;
            foreach (var image in images.EnumerateArray())
            {
                var where = $"images[{index}]";
                if (image.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{path}: {where} is not an object.");
                }

                var fileName = RequiredString(image, "filename", path, where);
                var split = RequiredString(image, "split", path, where);
                if (split is not ("train" or "restval" or "val" or "test"))
                {
                    throw new InvalidDataException($"{path}: {where}.split is '{split}'; expected train, restval, val or test.");
                }

                var filePath = image.TryGetProperty("filepath", out var fp) && fp.ValueKind == JsonValueKind.String ? fp.GetString()! : string.Empty;
                var id = image.TryGetProperty("cocoid", out var cocoId) && cocoId.ValueKind == JsonValueKind.Number && cocoId.TryGetInt64(out var number)
                    ? number.ToString(CultureInfo.InvariantCulture)
                    : fileName;
                if (!image.TryGetProperty("sentences", out var sentences) || sentences.ValueKind != JsonValueKind.Array)
                {
                    throw new InvalidDataException($"{path}: {where}.sentences is missing or not an array.");
                }

                var raw = new List<string>(sentences.GetArrayLength());
                var s = 0;
                foreach (var sentence in sentences.EnumerateArray())
                {
                    raw.Add(sentence.ValueKind == JsonValueKind.Object
                        ? RequiredString(sentence, "raw", path, $"{where}.sentences[{s}]")
                        : throw new InvalidDataException($"{path}: {where}.sentences[{s}] is not an object."));
                    s++;
                }

                result.Add(new KarpathyImage(id, fileName, filePath, split, raw));
                index++;
            }

            return new KarpathySplit(path, result);
        }
    }

    /// <summary>Whether the stored split <paramref name="stored"/> belongs to the selection <paramref name="split"/>
    /// (<c>train</c> takes <c>restval</c> too; <c>all</c> takes everything).</summary>
    /// <param name="stored">An image's <see cref="KarpathyImage.Split"/>.</param>
    /// <param name="split">One of <see cref="SplitNames"/>.</param>
    public static bool InSplit(string stored, string split) => split switch
    {
        "all" => true,
        "train" => stored is "train" or "restval",
        _ => stored == split,
    };

    /// <summary>The images of one split, in file order.</summary>
    /// <param name="split"><c>train</c> (train and restval, as the papers use), <c>val</c>, <c>test</c> or <c>all</c>.</param>
    /// <exception cref="ArgumentException">Another split name.</exception>
    public IReadOnlyList<KarpathyImage> Select(string split)
    {
        CheckSplitName(split);
        var selected = new List<KarpathyImage>();
        foreach (var image in Images)
        {
            if (InSplit(image.Split, split))
            {
                selected.Add(image);
            }
        }

        return selected;
    }

    /// <summary>The captions of one split as a corpus: one record per sentence, image ids as <see cref="KarpathyImage.ImageId"/>.</summary>
    /// <param name="split">As in <see cref="Select"/>.</param>
    public CaptionCorpus Corpus(string split)
    {
        var records = new List<CaptionRecord>();
        foreach (var image in Select(split))
        {
            foreach (var sentence in image.Sentences)
            {
                records.Add(new CaptionRecord(image.ImageId, sentence));
            }
        }

        return new CaptionCorpus(records);
    }

    /// <summary>Throws unless <paramref name="split"/> is one of <see cref="SplitNames"/>.</summary>
    /// <param name="split">The name.</param>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static void CheckSplitName(string split)
    {
        if (split is not ("train" or "val" or "test" or "all"))
        {
            throw new ArgumentException($"Unknown split '{split}'; expected train (with restval), val, test or all.", nameof(split));
        }
    }

    private static string RequiredString(JsonElement element, string name, string path, string where)
    {
        if (!element.TryGetProperty(name, out var value) || value.ValueKind != JsonValueKind.String)
        {
            throw new InvalidDataException($"{path}: {where}.{name} is missing or not a string.");
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path}: {where}.{name} is not valid Unicode text.", e);
        }
    }
}
