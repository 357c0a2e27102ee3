using System;
using System.Collections.Generic;
using System.IO;

namespace CrossModal.Text.Corpora;

/// <summary>
/// Reads the Flickr8k caption file (<c>Flickr8k.token.txt</c>: <c>IMAGE.jpg#N&lt;TAB&gt;caption</c> per line) and its
/// split lists (<c>Flickr_8k.trainImages.txt</c> etc.: one image file name per line).
/// </summary>
/// <remarks>
/// The distributed file has one malformed id, <c>2258277193_586949ec62.jpg.1#0</c>, whose other four captions are
/// under <c>2258277193_586949ec62.jpg#1..4</c>. The reader repairs ids of the form <c>NAME.jpg.DIGITS</c> to
/// <c>NAME.jpg</c>, so that image has its five captions like the other 8,091, and reports each repair in
/// <see cref="Flickr8kReadResult.Repairs"/>. (That image is in none of the official splits.)
/// </remarks>
public static class Flickr8kCaptions
{
    /// <summary>Reads the caption file.</summary>
    /// <param name="path">Path of <c>Flickr8k.token.txt</c>.</param>
    /// <exception cref="InvalidDataException">A line is not <c>IMAGE#N&lt;TAB&gt;caption</c>; the message gives the file and line.</exception>
    public static Flickr8kReadResult Read(string path)
    {
        var lines = CaptionFiles.ReadLines(path);
        var records = new List<CaptionRecord>(lines.Count);
        var repairs = new List<string>();
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line.Length == 0)
            {
                continue;
            }

            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            var hash = tab < 0 ? -1 : line.LastIndexOf('#', tab);
            if (tab < 0 || hash <= 0 || hash == tab - 1 || !IsDigits(line.AsSpan(hash + 1, tab - hash - 1)))
            {
                throw new InvalidDataException($"{path}: line {i + 1}: expected 'IMAGE#N<TAB>caption' but found '{Shorten(line)}'.");
            }

            var image = line[..hash];
            var repaired = RepairImageName(image);
            if (repaired != image)
            {
                repairs.Add($"line {i + 1}: image '{image}' read as '{repaired}'");
            }

            records.Add(new CaptionRecord(repaired, line[(tab + 1)..]));
        }

        return new Flickr8kReadResult(new CaptionCorpus(records), repairs);
    }

    /// <summary>Reads a split list (one image file name per line; blank lines ignored).</summary>
    /// <param name="path">Path of e.g. <c>Flickr_8k.testImages.txt</c>.</param>
    /// <exception cref="InvalidDataException">A line holds whitespace inside a name.</exception>
    public static IReadOnlyList<string> ReadSplit(string path)
    {
        var lines = CaptionFiles.ReadLines(path);
        var names = new List<string>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var name = lines[i].Trim();
            if (name.Length == 0)
            {
                continue;
            }

            if (name.AsSpan().IndexOfAny(" \t") >= 0)
            {
                throw new InvalidDataException($"{path}: line {i + 1}: expected one image file name but found '{Shorten(name)}'.");
            }

            names.Add(name);
        }

        return names;
    }

    // "2258277193_586949ec62.jpg.1" -> "2258277193_586949ec62.jpg"
    private static string RepairImageName(string image)
    {
        var jpg = image.LastIndexOf(".jpg.", StringComparison.Ordinal);
        return jpg > 0 && IsDigits(image.AsSpan(jpg + 5)) ? image[..(jpg + 4)] : image;
    }

    private static bool IsDigits(ReadOnlySpan<char> text)
    {
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string line) => line.Length <= 80 ? line : line[..77] + "...";
}

/// <summary>What <see cref="Flickr8kCaptions.Read"/> returns.</summary>
/// <param name="Corpus">The captions.</param>
/// <param name="Repairs">One line per repaired image id (see <see cref="Flickr8kCaptions"/>).</param>
public sealed record Flickr8kReadResult(CaptionCorpus Corpus, IReadOnlyList<string> Repairs);
