using System;
using System.Collections.Generic;
using Microsoft.ML.Tokenizers;

namespace CrossModal.Text.Tokenization;

/// <summary>
/// A Python <c>regex</c> pattern run with <c>findall</c> semantics as a Microsoft.ML.Tokenizers <see cref="PreTokenizer"/>:
/// <see cref="MatchAt"/> gives the match at a position, and where nothing matches the scan moves one code point on.
/// </summary>
internal abstract class PythonPatternPreTokenizer : PreTokenizer
{
    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Split(text);
    }

    /// <inheritdoc />
    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text.ToString());

    /// <summary>Length (UTF-16 units) of the match at <paramref name="start"/>; 0 when no alternative matches there.</summary>
    internal abstract int MatchAt(string text, int start);

    private IEnumerable<(int Offset, int Length)> Split(string text)
    {
        var position = 0;
        while (position < text.Length)
        {
            var length = MatchAt(text, position);
            if (length == 0)
            {
                PythonText.ReadRune(text, position, out var width);
                position += width;
                continue;
            }

            yield return (position, length);
            position += length;
        }
    }
}

/// <summary>
/// CLIP's pre-tokenising pattern as a Microsoft.ML.Tokenizers <see cref="PreTokenizer"/>, with the Python
/// <c>regex</c> module's semantics:
/// <c>&lt;\|startoftext\|&gt;|&lt;\|endoftext\|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// under IGNORECASE, over code points. .NET's <c>Regex</c> cannot be used: it sees a letter outside the BMP as two
/// surrogates that <c>\p{L}</c> does not match, and its Unicode tables are the runtime's, not Python's.
/// </summary>
internal sealed class ClipPreTokenizer : PythonPatternPreTokenizer
{
    internal const string StartOfTextToken = "<|startoftext|>";
    internal const string EndOfTextToken = "<|endoftext|>";

    /// <summary>The one instance (it holds no state).</summary>
    internal static ClipPreTokenizer Instance { get; } = new();

    // Alternatives tried in order as the regex engine does; 0 for whitespace and U+0345 (see PatternScanning.RunLength),
    // where findall moves one code point on.
    internal override int MatchAt(string text, int start)
    {
        var c = text[start];
        if (c == '<')
        {
            if (MatchesFolded(text, start, StartOfTextToken))
            {
                return StartOfTextToken.Length;
            }

            if (MatchesFolded(text, start, EndOfTextToken))
            {
                return EndOfTextToken.Length;
            }
        }
        else if (c == '\'' && start + 1 < text.Length)
        {
            var contraction = PatternScanning.ContractionLength(text, start, ignoreCase: true);
            if (contraction > 0)
            {
                return contraction;
            }
        }

        var rune = PythonText.ReadRune(text, start, out var width);
        if (rune.Value == 0x345)
        {
            return 0;
        }

        return PythonText.Classify(rune.Value) switch
        {
            PythonText.CharClass.Letter => PatternScanning.RunLength(text, start, PythonText.CharClass.Letter),
            PythonText.CharClass.Number => width,
            PythonText.CharClass.Other => PatternScanning.RunLength(text, start, PythonText.CharClass.Other),
            _ => 0,
        };
    }

    private static bool MatchesFolded(string text, int start, string token)
    {
        if (start + token.Length > text.Length)
        {
            return false;
        }

        for (var i = 0; i < token.Length; i++)
        {
            if (PatternScanning.Fold(text[start + i], ignoreCase: true) != token[i])
            {
                return false;
            }
        }

        return true;
    }
}

/// <summary>
/// GPT-2's pre-tokenising pattern as a Microsoft.ML.Tokenizers <see cref="PreTokenizer"/>, with the Python
/// <c>regex</c> module's semantics over code points:
/// <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.
/// </summary>
internal sealed class Gpt2PreTokenizer : PythonPatternPreTokenizer
{
    /// <summary>The one instance (it holds no state).</summary>
    internal static Gpt2PreTokenizer Instance { get; } = new();

    // Alternatives tried in order. Some alternative always matches, so the result is at least one code point.
    internal override int MatchAt(string text, int start)
    {
        if (text[start] == '\'')
        {
            var contraction = PatternScanning.ContractionLength(text, start, ignoreCase: false);
            if (contraction > 0)
            {
                return contraction;
            }
        }

        // ' ?' takes one literal space (U+0020) when a letter, number or other run follows it.
        var body = text[start] == ' ' && start + 1 < text.Length ? start + 1 : start;
        var bodyClass = PythonText.Classify(PythonText.ReadRune(text, body, out _).Value);
        if (bodyClass != PythonText.CharClass.Space)
        {
            return body - start + PatternScanning.RunLength(text, body, bodyClass, excludeYpogegrammeni: false);
        }

        // Here text[start] is whitespace and, if it is a space, so is the next code point.
        var spaceRun = PatternScanning.RunLength(text, start, PythonText.CharClass.Space, excludeYpogegrammeni: false);
        if (start + spaceRun == text.Length)
        {
            return spaceRun;
        }

        // \s+(?!\S) backtracks to leave the last whitespace code point before a non-space; with a single one it
        // fails and \s+ takes that one.
        var spaceCodePoints = CountCodePoints(text, start, spaceRun);
        if (spaceCodePoints >= 2)
        {
            var last = char.IsLowSurrogate(text[start + spaceRun - 1]) ? 2 : 1;
            return spaceRun - last;
        }

        return spaceRun;
    }

    private static int CountCodePoints(string text, int start, int length)
    {
        var count = 0;
        for (var i = start; i < start + length; i++)
        {
            if (!char.IsLowSurrogate(text[i]) || i == start || !char.IsHighSurrogate(text[i - 1]))
            {
                count++;
            }
        }

        return count;
    }
}

/// <summary>
/// CLIP's text cleaning as a Microsoft.ML.Tokenizers <see cref="Normalizer"/>:
/// <c>whitespace_clean(basic_clean(text)).lower()</c>, where <c>basic_clean</c> is <c>html.unescape</c> twice and
/// <c>strip</c> (ftfy is the identity), all with Python's rules (<see cref="PythonText"/>).
/// </summary>
internal sealed class ClipNormalizer : Normalizer
{
    /// <summary>The one instance (it holds no state).</summary>
    internal static ClipNormalizer Instance { get; } = new();

    /// <inheritdoc />
    public override string Normalize(string original)
    {
        ArgumentNullException.ThrowIfNull(original);
        var cleaned = PythonText.Strip(PythonText.HtmlUnescape(PythonText.HtmlUnescape(original)));
        return PythonText.Lower(PythonText.CollapseWhitespace(cleaned));
    }

    /// <inheritdoc />
    public override string Normalize(ReadOnlySpan<char> original) => Normalize(original.ToString());
}

/// <summary>Scanning helpers shared by the two patterns.</summary>
internal static class PatternScanning
{
    /// <summary>Length of the maximal run of <paramref name="cls"/> code points starting at <paramref name="start"/>.</summary>
    internal static int RunLength(string text, int start, PythonText.CharClass cls, bool excludeYpogegrammeni = true)
    {
        var end = start;
        while (end < text.Length)
        {
            var rune = PythonText.ReadRune(text, end, out var width);

            // COMBINING GREEK YPOGEGRAMMENI (U+0345) case-folds to ι, so under IGNORECASE `regex` counts it in none
            // of [\p{L}], [\p{N}] and [^\s\p{L}\p{N}] (checked against regex 2026.5.9): it ends a run and is skipped.
            if (PythonText.Classify(rune.Value) != cls || (excludeYpogegrammeni && rune.Value == 0x345))
            {
                break;
            }

            end += width;
        }

        return end - start;
    }

    /// <summary>
    /// Matches <c>'s|'t|'re|'ve|'m|'ll|'d</c> at <paramref name="start"/> (which holds an apostrophe). With
    /// <paramref name="ignoreCase"/>, letters compare under simple case folding, where U+017F (ſ) equals s.
    /// </summary>
    internal static int ContractionLength(string text, int start, bool ignoreCase)
    {
        if (start + 1 >= text.Length)
        {
            return 0;
        }

        var a = Fold(text[start + 1], ignoreCase);
        if (a is 's' or 't' or 'm' or 'd')
        {
            return 2;
        }

        if (start + 2 < text.Length)
        {
            var b = Fold(text[start + 2], ignoreCase);
            if ((a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l'))
            {
                return 3;
            }
        }

        return 0;
    }

    /// <summary>ASCII lower-casing plus U+017F → s, the folding CLIP's IGNORECASE pattern needs.</summary>
    internal static char Fold(char c, bool ignoreCase)
    {
        if (!ignoreCase)
        {
            return c;
        }

        return c switch
        {
            >= 'A' and <= 'Z' => (char)(c + 32),
            'ſ' => 's',
            _ => c,
        };
    }
}
