using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;

namespace CrossModal.Text.Corpora;

/// <summary>
/// Reads COCO caption annotation files (<c>captions_train2017.json</c>, <c>captions_val2017.json</c>: an object with an
/// <c>"annotations"</c> array of <c>{"image_id": int, "id": int, "caption": string}</c>).
/// </summary>
public static class CocoCaptions
{
    /// <summary>Reads every annotation; image ids are the decimal <c>image_id</c> values, in annotation order.</summary>
    /// <param name="path">The JSON file.</param>
    /// <exception cref="InvalidDataException">
    /// The file is not valid JSON (the message gives the line and byte position) or does not have the COCO shape
    /// (the message names the offending element, e.g. <c>annotations[12].caption</c>).
    /// </exception>
    public static CaptionCorpus Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var document = CorpusJson.Parse(path);

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("annotations", out var annotations) ||
                annotations.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{path}: expected a JSON object with an \"annotations\" array (COCO caption format).");
            }

            var records = new List<CaptionRecord>(annotations.GetArrayLength());
            var index = 0;
            foreach (var annotation in annotations.EnumerateArray())
            {
                if (annotation.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{path}: annotations[{index}] is not an object.");
                }

                if (!annotation.TryGetProperty("image_id", out var imageId) || imageId.ValueKind != JsonValueKind.Number ||
                    !imageId.TryGetInt64(out var id))
                {
                    throw new InvalidDataException($"{path}: annotations[{index}].image_id is missing or not an integer.");
                }

                if (!annotation.TryGetProperty("caption", out var caption) || caption.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException($"{path}: annotations[{index}].caption is missing or not a string.");
                }

                string text;
                try
                {
                    text = caption.GetString()!;
                }
                catch (InvalidOperationException e)
                {
                    // JsonDocument validates structure, not string contents: invalid UTF-8 or an unpaired surrogate
                    // escape only surfaces when the string is read.
                    throw new InvalidDataException($"{path}: annotations[{index}].caption is not valid Unicode text ({e.Message}).", e);
                }

                records.Add(new CaptionRecord(id.ToString(CultureInfo.InvariantCulture), text));
                index++;
            }

            return new CaptionCorpus(records);
        }
    }
}
