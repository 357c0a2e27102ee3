using System;
using System.IO;
using System.Text.Json;

namespace CrossModal.Text.Corpora;

/// <summary>Parses the JSON caption files (COCO captions, COCO's image table, the Karpathy split) with one error shape:
/// an <see cref="InvalidDataException"/> naming the file, the line and byte position and the parser's reason.</summary>
internal static class CorpusJson
{
    /// <summary>Parses <paramref name="path"/>; the caller disposes the document.</summary>
    public static JsonDocument Parse(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return JsonDocument.Parse(stream, new JsonDocumentOptions { AllowTrailingCommas = false });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: invalid JSON ({FirstSentence(e.Message)}).", e);
        }
    }

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut].TrimEnd('.', ' ') : message;
    }
}
