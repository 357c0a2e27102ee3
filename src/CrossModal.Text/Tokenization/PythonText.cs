using System;
using System.Collections.Frozen;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CrossModal.Text.Tokenization;

/// <summary>
/// The pieces of Python's text handling that OpenAI's tokenizers depend on, reproduced code point by code point:
/// the <c>regex</c> module's <c>\p{L}</c> / <c>\p{N}</c> / <c>\s</c> classes, <c>str.lower()</c> (with the final-sigma
/// rule), <c>str.isspace()</c> / <c>str.strip()</c>, and <c>html.unescape</c>.
/// </summary>
/// <remarks>
/// Python iterates strings by code point while .NET strings are UTF-16, so everything here works on
/// <see cref="Rune"/>s: a letter outside the BMP (𝐀, U+1D400) is one letter, as in Python, not two surrogates that
/// .NET's <c>\p{L}</c> would not match. The tables come from Python itself (PythonTextTables.g.cs), so token ids
/// do not change with the Unicode version of the .NET runtime.
/// </remarks>
internal static partial class PythonText
{
    /// <summary>Class of a code point under the <c>regex</c> module's patterns.</summary>
    internal enum CharClass : byte
    {
        /// <summary><c>[^\s\p{L}\p{N}]</c>.</summary>
        Other = 0,

        /// <summary><c>\p{L}</c>.</summary>
        Letter = 1,

        /// <summary><c>\p{N}</c>.</summary>
        Number = 2,

        /// <summary><c>\s</c> (the Unicode White_Space property; unlike <c>str.isspace()</c> it excludes U+001C..U+001F).</summary>
        Space = 3,
    }

    private static readonly CharClass[] AsciiClasses = BuildAsciiClasses();


    /// <summary>The <c>regex</c>-module class of <paramref name="codePoint"/>.</summary>
    internal static CharClass Classify(int codePoint)
    {
        if ((uint)codePoint < 128)
        {
            return AsciiClasses[codePoint];
        }

        var i = UpperBoundIndex(RunStarts, codePoint);
        return (CharClass)RunClasses[i];
    }

    /// <summary>Python's <c>str.isspace()</c> for one code point.</summary>
    internal static bool IsPythonSpace(int codePoint) => PythonSpace.BinarySearch(codePoint) >= 0;

    /// <summary>Python's <c>str.lower()</c>, including U+0130 → "i̇" and the final-sigma rule.</summary>
    internal static string Lower(string text)
    {
        var builder = new StringBuilder(text.Length);
        var changed = false;
        var index = 0;
        while (index < text.Length)
        {
            var rune = ReadRune(text, index, out var width);
            var cp = rune.Value;
            if (cp == 0x3A3)
            {
                builder.Append(IsFinalSigma(text, index, width) ? 'ς' : 'σ');
                changed = true;
            }
            else if (cp >= 'A' && cp <= 'Z')
            {
                builder.Append((char)(cp + 32));
                changed = true;
            }
            else if (cp < 128)
            {
                builder.Append((char)cp);
            }
            else
            {
                var k = LowerFrom.BinarySearch(cp);
                if (k >= 0)
                {
                    AppendCodePoint(builder, LowerTo[k]);
                    changed = true;
                }
                else
                {
                    var multi = FindMultiLower(cp);
                    if (multi is not null)
                    {
                        builder.Append(multi);
                        changed = true;
                    }
                    else
                    {
                        builder.Append(text, index, width);
                    }
                }
            }

            index += width;
        }

        return changed ? builder.ToString() : text;
    }

    /// <summary>Python's <c>str.strip()</c> (removes <c>str.isspace()</c> code points at both ends).</summary>
    internal static string Strip(string text)
    {
        var start = 0;
        while (start < text.Length)
        {
            var rune = ReadRune(text, start, out var width);
            if (!IsPythonSpace(rune.Value))
            {
                break;
            }

            start += width;
        }

        var end = text.Length;
        while (end > start)
        {
            var width = char.IsLowSurrogate(text[end - 1]) && end - 2 >= start && char.IsHighSurrogate(text[end - 2]) ? 2 : 1;
            var cp = width == 2 ? char.ConvertToUtf32(text[end - 2], text[end - 1]) : text[end - 1];
            if (!IsPythonSpace(cp))
            {
                break;
            }

            end -= width;
        }

        return start == 0 && end == text.Length ? text : text[start..end];
    }

    /// <summary>
    /// CLIP's <c>whitespace_clean</c>: <c>regex.sub(r'\s+', ' ', text).strip()</c>. Note the two different notions of
    /// space: <c>\s</c> (White_Space) for the collapse, <c>str.isspace()</c> for the strip.
    /// </summary>
    internal static string CollapseWhitespace(string text)
    {
        var builder = new StringBuilder(text.Length);
        var index = 0;
        var inSpace = false;
        while (index < text.Length)
        {
            var rune = ReadRune(text, index, out var width);
            if (Classify(rune.Value) == CharClass.Space)
            {
                if (!inSpace)
                {
                    builder.Append(' ');
                    inSpace = true;
                }
            }
            else
            {
                builder.Append(text, index, width);
                inSpace = false;
            }

            index += width;
        }

        return Strip(builder.ToString());
    }

    /// <summary>
    /// Python's <c>html.unescape</c> (Lib/html/__init__.py): numeric references <c>&amp;#N;</c> and <c>&amp;#xH;</c>
    /// with the HTML5 replacement rules, and named references from the HTML5 table, including the legacy names that
    /// need no semicolon and the longest-prefix rule (<c>&amp;notit;</c> → "¬it;").
    /// </summary>
    internal static string HtmlUnescape(string text)
    {
        var amp = text.IndexOf('&', StringComparison.Ordinal);
        if (amp < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length);
        builder.Append(text, 0, amp);
        var i = amp;
        while (i < text.Length)
        {
            if (text[i] != '&')
            {
                var next = text.IndexOf('&', i);
                if (next < 0)
                {
                    builder.Append(text, i, text.Length - i);
                    break;
                }

                builder.Append(text, i, next - i);
                i = next;
                continue;
            }

            var consumed = TryReplaceCharRef(text, i, builder);
            if (consumed == 0)
            {
                builder.Append('&');
                i++;
            }
            else
            {
                i += consumed;
            }
        }

        return builder.ToString();
    }

    /// <summary>Reads the code point at <paramref name="index"/>; a lone surrogate reads as itself, as in Python.</summary>
    internal static Rune ReadRune(string text, int index, out int width)
    {
        var c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            width = 2;
            return new Rune(c, text[index + 1]);
        }

        width = 1;

        // A lone surrogate is not a valid Rune; classify it as the replacement character would be (Other). Python
        // could not UTF-8-encode it either.
        return char.IsSurrogate(c) ? Rune.ReplacementChar : new Rune(c);
    }

    /// <summary>Index of the run containing <paramref name="value"/>: the last i with starts[i] ≤ value.</summary>
    private static int UpperBoundIndex(ReadOnlySpan<int> starts, int value)
    {
        var i = starts.BinarySearch(value);
        return i >= 0 ? i : ~i - 1;
    }

    private static void AppendCodePoint(StringBuilder builder, int cp)
    {
        if (cp < 0x10000)
        {
            builder.Append((char)cp);
        }
        else
        {
            builder.Append(char.ConvertFromUtf32(cp));
        }
    }

    private static string? FindMultiLower(int cp)
    {
        foreach (var (from, to) in LowerMulti)
        {
            if (from == cp)
            {
                return to;
            }
        }

        return null;
    }

    // 0 neither, 1 case-ignorable, 2 cased (and not case-ignorable); see unicodeobject.c handle_capital_sigma.
    private static int SigmaClass(int cp) => SigmaRunClasses[UpperBoundIndex(SigmaRunStarts, cp)];

    private static bool IsFinalSigma(string text, int index, int width)
    {
        // \p{cased}\p{case-ignorable}* Σ !(\p{case-ignorable}*\p{cased})
        var j = index;
        var before = 0;
        while (j > 0)
        {
            var w = j >= 2 && char.IsLowSurrogate(text[j - 1]) && char.IsHighSurrogate(text[j - 2]) ? 2 : 1;
            j -= w;
            before = SigmaClass(ReadRune(text, j, out _).Value);
            if (before != 1)
            {
                break;
            }
        }

        if (before != 2)
        {
            return false;
        }

        j = index + width;
        while (j < text.Length)
        {
            var k = SigmaClass(ReadRune(text, j, out var w).Value);
            if (k != 1)
            {
                return k != 2;
            }

            j += w;
        }

        return true;
    }

    // Python: _charref = re.compile(r'&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)')
    // Returns the number of characters consumed from text[start] ('&'), or 0 when the pattern does not match there.
    private static int TryReplaceCharRef(string text, int start, StringBuilder builder)
    {
        var p = start + 1;
        if (p >= text.Length)
        {
            return 0;
        }

        if (text[p] == '#')
        {
            var q = p + 1;
            var hex = q < text.Length && (text[q] == 'x' || text[q] == 'X');
            if (hex)
            {
                q++;
            }

            var digitsStart = q;
            while (q < text.Length && (hex ? char.IsAsciiHexDigit(text[q]) : char.IsAsciiDigit(text[q])))
            {
                q++;
            }

            if (q == digitsStart)
            {
                // '&#' or '&#x' without digits: no alternative matches ('#' is excluded from names).
                return 0;
            }

            var digits = text.AsSpan(digitsStart, q - digitsStart);
            if (q < text.Length && text[q] == ';')
            {
                q++;
            }

            AppendNumericReference(builder, ParseSaturating(digits, hex ? 16 : 10));
            return q - start;
        }

        // {1,32} counts code points, as Python does.
        var nameStart = p;
        var end = p;
        var count = 0;
        while (end < text.Length && count < 32 && !IsExcludedFromName(text[end]))
        {
            _ = ReadRune(text, end, out var w);
            end += w;
            count++;
        }

        if (end == nameStart)
        {
            return 0;
        }

        if (end < text.Length && text[end] == ';')
        {
            end++;
        }

        var name = text[nameStart..end];
        if (EntityTable.Entities.TryGetValue(name, out var value))
        {
            builder.Append(value);
            return end - start;
        }

        // Longest prefix that is an entity (only the legacy names without ';' can match here).
        for (var x = Math.Min(name.Length - 1, EntityTable.LongestName); x > 1; x--)
        {
            if (EntityTable.Entities.TryGetValue(name[..x], out value))
            {
                builder.Append(value).Append(name, x, name.Length - x);
                return end - start;
            }
        }

        builder.Append('&').Append(name);
        return end - start;
    }

    private static bool IsExcludedFromName(char c) => c is '\t' or '\n' or '\f' or ' ' or '<' or '&' or '#' or ';';

    private static long ParseSaturating(ReadOnlySpan<char> digits, int radix)
    {
        long value = 0;
        foreach (var c in digits)
        {
            var d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
            value = value * radix + d;
            if (value > 0x10FFFF)
            {
                // Python's int is unbounded; anything above 0x10FFFF is replaced alike, so stop growing.
                return 0x110000;
            }
        }

        return value;
    }

    // html/__init__.py _replace_charref, numeric branch.
    private static void AppendNumericReference(StringBuilder builder, long num)
    {
        var invalid = InvalidCharRef(num);
        if (invalid is not null)
        {
            builder.Append(invalid);
            return;
        }

        if (num is >= 0xD800 and <= 0xDFFF or > 0x10FFFF)
        {
            builder.Append('\uFFFD');
            return;
        }

        if (IsInvalidCodePoint(num))
        {
            return;
        }

        AppendCodePoint(builder, (int)num);
    }

    // html._invalid_charrefs: NUL, CR and the C1 range mapped through Windows-1252.
    private static string? InvalidCharRef(long num) => num switch
    {
        0x00 => "\uFFFD",
        0x0D => "\r",
        0x80 => "\u20AC",
        0x81 => "\u0081",
        0x82 => "\u201A",
        0x83 => "\u0192",
        0x84 => "\u201E",
        0x85 => "\u2026",
        0x86 => "\u2020",
        0x87 => "\u2021",
        0x88 => "\u02C6",
        0x89 => "\u2030",
        0x8A => "\u0160",
        0x8B => "\u2039",
        0x8C => "\u0152",
        0x8D => "\u008D",
        0x8E => "\u017D",
        0x8F => "\u008F",
        0x90 => "\u0090",
        0x91 => "\u2018",
        0x92 => "\u2019",
        0x93 => "\u201C",
        0x94 => "\u201D",
        0x95 => "\u2022",
        0x96 => "\u2013",
        0x97 => "\u2014",
        0x98 => "\u02DC",
        0x99 => "\u2122",
        0x9A => "\u0161",
        0x9B => "\u203A",
        0x9C => "\u0153",
        0x9D => "\u009D",
        0x9E => "\u017E",
        0x9F => "\u0178",
        _ => null,
    };

    // html._invalid_codepoints: C0 controls except \t \n \f \r, DEL, C1, U+FDD0..U+FDEF and the last two code
    // points of every plane. They are dropped.
    private static bool IsInvalidCodePoint(long num) =>
        num is >= 0x1 and <= 0x8 or 0xB or >= 0xE and <= 0x1F or >= 0x7F and <= 0x9F or >= 0xFDD0 and <= 0xFDEF
        || (num & 0xFFFE) == 0xFFFE;

    private static CharClass[] BuildAsciiClasses()
    {
        var table = new CharClass[128];
        for (var c = 0; c < 128; c++)
        {
            table[c] = (CharClass)RunClasses[UpperBoundIndex(RunStarts, c)];
        }

        return table;
    }

    // A nested class so that the generated table (another file of this partial class) is initialised first:
    // C# does not order static field initialisers across partial-class files.
    private static class EntityTable
    {
        internal static readonly FrozenDictionary<string, string> Entities = BuildEntities();

        internal static readonly int LongestName = ComputeLongestEntityName();
    }

    private static FrozenDictionary<string, string> BuildEntities()
    {
        var dictionary = new Dictionary<string, string>(Html5Entities.Length, StringComparer.Ordinal);
        foreach (var (name, value) in Html5Entities)
        {
            dictionary[name] = value;
        }

        return dictionary.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static int ComputeLongestEntityName()
    {
        var longest = 0;
        foreach (var (name, _) in Html5Entities)
        {
            longest = Math.Max(longest, name.Length);
        }

        return longest;
    }

    /// <summary>Formats a code point for error messages.</summary>
    internal static string Describe(int codePoint) => "U+" + codePoint.ToString("X4", CultureInfo.InvariantCulture);
}
