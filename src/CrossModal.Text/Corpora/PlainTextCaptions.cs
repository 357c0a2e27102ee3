using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace CrossModal.Text.Corpora;

/// <summary>Reads a plain UTF-8 text file with one caption per line (a text-only training corpus).</summary>
public static class PlainTextCaptions
{
    /// <summary>
    /// Reads every non-blank line as a caption whose image id is its 1-based line number (plain captions have no
    /// image; the line number keeps each one addressable). Surrounding whitespace is trimmed.
    /// </summary>
    /// <param name="path">The text file.</param>
    /// <exception cref="InvalidDataException">A line is not valid UTF-8; the message gives the file and line.</exception>
    public static CaptionCorpus Read(string path)
    {
        var lines = CaptionFiles.ReadLines(path);
        var records = new List<CaptionRecord>(lines.Count);
        for (var i = 0; i < lines.Count; i++)
        {
            var caption = lines[i].Trim();
            if (caption.Length > 0)
            {
                records.Add(new CaptionRecord((i + 1).ToString(CultureInfo.InvariantCulture), caption));
            }
        }

        return new CaptionCorpus(records);
    }
}
