using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace CrossModal.Text.Corpora;

/// <summary>
/// The <c>"images"</c> table of a COCO annotation file (<c>{"id": int, "file_name": string}</c> entries), which maps the
/// image ids of <see cref="CocoCaptions"/> to the files they name, and the reverse look-up from an image file to its id.
/// </summary>
public static class CocoImages
{
    /// <summary>Reads image id (decimal) → file name; an empty map when the file has no <c>"images"</c> array.</summary>
    /// <param name="path">The COCO annotation JSON.</param>
    /// <exception cref="InvalidDataException">The file is not valid JSON or an entry lacks its <c>id</c> or <c>file_name</c>.</exception>
    public static IReadOnlyDictionary<string, string> ReadFileNames(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var document = CorpusJson.Parse(path);

        using (document)
        {
            var names = new Dictionary<string, string>(StringComparer.Ordinal);
            if (document.RootElement.ValueKind != JsonValueKind.Object || !document.RootElement.TryGetProperty("images", out var images) ||
                images.ValueKind != JsonValueKind.Array)
            {
                return names;
            }

            var index = 0;
            foreach (var image in images.EnumerateArray())
            {
                if (image.ValueKind != JsonValueKind.Object || !image.TryGetProperty("id", out var id) || !id.TryGetInt64(out var number) ||
                    !image.TryGetProperty("file_name", out var name) || name.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException($"{path}: images[{index}] needs an integer \"id\" and a string \"file_name\".");
                }

                names[number.ToString(CultureInfo.InvariantCulture)] = name.GetString()!;
                index++;
            }

            return names;
        }
    }

    /// <summary>
    /// The COCO image id a file name carries when no table names it: the last run of digits of the name without its
    /// extension, without leading zeros (<c>COCO_val2014_000000391895.jpg</c> → <c>391895</c>), or null when it has none.
    /// </summary>
    /// <param name="fileName">A file name or path.</param>
    public static string? IdFromFileName(string fileName)
    {
        ArgumentNullException.ThrowIfNull(fileName);
        var stem = Path.GetFileNameWithoutExtension(fileName);
        var end = stem.Length;
        while (end > 0 && !char.IsAsciiDigit(stem[end - 1]))
        {
            end--;
        }

        var start = end;
        while (start > 0 && char.IsAsciiDigit(stem[start - 1]))
        {
            start--;
        }

        if (start == end)
        {
            return null;
        }

        var digits = stem[start..end].TrimStart('0');
        return digits.Length == 0 ? "0" : digits;
    }
}
