using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CrossModal.Text.Corpora;

/// <summary>Line access with strict UTF-8 decoding, so that a bad byte is reported with its line number.</summary>
internal static class CaptionFiles
{
    private static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The lines of <paramref name="path"/> (without terminators; a final empty line is dropped).</summary>
    internal static List<string> ReadLines(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var bytes = File.ReadAllBytes(path);
        var span = bytes.AsSpan();
        if (span.StartsWith("\uFEFF"u8))
        {
            span = span[3..];
        }

        var lines = new List<string>();
        var lineNumber = 0;
        while (!span.IsEmpty)
        {
            lineNumber++;
            var newline = span.IndexOf((byte)'\n');
            var line = newline < 0 ? span : span[..newline];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            try
            {
                lines.Add(Strict.GetString(line));
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"{path}: line {lineNumber}: invalid UTF-8 ({e.Message}).", e);
            }

            span = newline < 0 ? [] : span[(newline + 1)..];
        }

        return lines;
    }
}
