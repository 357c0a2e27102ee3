using System;
using System.Collections.Generic;
using System.Globalization;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// An approximation, without Java, of the tokenisation pycocoevalcap applies before scoring
/// (<c>pycocoevalcap/tokenizer/ptbtokenizer.py</c>: Stanford PTBTokenizer with <c>-preserveLines -lowerCase</c>, then
/// every token in <c>PUNCTUATIONS</c> removed).
/// </summary>
/// <remarks>
/// <para>What it does: lower-cases; splits the clitics 's 're 've 'll 'd 'm and n't off their word ("isn't" → "is n't",
/// "men's" → "men 's", as PTB does); keeps hyphenated and slashed words ("close-up", "tub/shower"), numbers with
/// internal . , : / ("11:44", "1,000", "3.5") and "&amp;" as tokens; drops quotes, brackets and the punctuation marks
/// <c>. , ? ! : ; - -- ...</c> that pycocoevalcap removes.</para>
/// <para>Where it can differ from Stanford PTB: abbreviations ("mr." keeps its period in PTB, here it is dropped),
/// square brackets (PTB emits -LSB-/-RSB-, which pycocoevalcap does not remove), and rarer PTB rules (e.g.
/// "cannot" → "can not", "gonna"). Scores computed with it are close to, but not guaranteed identical with, scores
/// from the Java tokenizer; for exact parity pass pre-tokenised text with <see cref="CaptionTokenization.None"/>.</para>
/// </remarks>
public static class PtbTokenizer
{
    /// <summary>Tokenises <paramref name="text"/> as described in the remarks.</summary>
    /// <param name="text">A caption.</param>
    /// <returns>The tokens, lower-case, punctuation removed.</returns>
    public static string[] Tokenize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lower = text.ToLowerInvariant();
        var tokens = new List<string>();
        var i = 0;
        while (i < lower.Length)
        {
            var c = lower[i];
            if (char.IsWhiteSpace(c))
            {
                i++;
                continue;
            }

            if (IsWordChar(lower, i))
            {
                var end = ScanWord(lower, i);
                if (end - i >= 2 && lower[end - 1] == 'n' && end + 1 < lower.Length && lower[end + 1] == 't' && StartsClitic(lower, end))
                {
                    // PTB splits n't off its verb: "isn't" -> "is n't", "can't" -> "ca n't".
                    tokens.Add(lower[i..(end - 1)]);
                    tokens.Add("n't");
                    i = end + 2;
                    continue;
                }

                tokens.Add(lower[i..end]);
                i = end;
                continue;
            }

            if (c == '\'' && TryClitic(lower, i, out var clitic))
            {
                tokens.Add(clitic);
                i += clitic.Length;
                continue;
            }

            // Punctuation: PTB emits it as tokens and pycocoevalcap removes them (quotes become `` '' ` ', brackets
            // -LRB- etc., all in PUNCTUATIONS). Other symbols (& $ % # @ + = …) are kept as single tokens.
            if (!IsRemovedPunctuation(c))
            {
                tokens.Add(lower.Substring(i, char.IsSurrogatePair(lower, i) ? 2 : 1));
                i += char.IsSurrogatePair(lower, i) ? 2 : 1;
            }
            else
            {
                i++;
            }
        }

        return tokens.ToArray();
    }

    /// <summary>Tokenises and joins with single spaces (the form pycocoevalcap scores).</summary>
    /// <param name="text">A caption.</param>
    public static string TokenizeToString(string text) => string.Join(' ', Tokenize(text));

    // A word: letters/digits/marks, with internal '-', '/', '&', '.', ',', ':' or '\'' kept when a letter or digit follows
    // (hyphenated words, numbers such as 11:44 and 1,000, at&t); internal ',' ':' '.' only between digits.
    private static int ScanWord(string s, int start)
    {
        var i = start;
        while (i < s.Length)
        {
            if (IsWordChar(s, i))
            {
                i += char.IsSurrogatePair(s, i) ? 2 : 1;
                continue;
            }

            var c = s[i];
            if (i + 1 < s.Length && IsWordChar(s, i + 1))
            {
                if (c is '-' or '/' or '&')
                {
                    i++;
                    continue;
                }

                if (c is '.' or ',' or ':' && char.IsDigit(s[i - 1]) && char.IsDigit(s[i + 1]))
                {
                    i++;
                    continue;
                }

                if (c == '\'' && !StartsClitic(s, i))
                {
                    // o'clock, rock'n'roll: PTB keeps an inner apostrophe that starts no clitic.
                    i++;
                    continue;
                }
            }

            break;
        }

        return i;
    }

    private static bool TryClitic(string s, int i, out string clitic)
    {
        clitic = string.Empty;
        if (!StartsClitic(s, i))
        {
            return false;
        }

        var length = s.AsSpan(i + 1).StartsWith("ll") || s.AsSpan(i + 1).StartsWith("re") || s.AsSpan(i + 1).StartsWith("ve") ? 3 : 2;
        clitic = s.Substring(i, length);
        return true;
    }

    // 's 'd 'm 't (n't) and 'll 're 've, followed by a non-word character or the end.
    private static bool StartsClitic(string s, int i)
    {
        if (i + 1 >= s.Length || s[i] != '\'')
        {
            return false;
        }

        var rest = s.AsSpan(i + 1);
        int length;
        if (rest.StartsWith("ll") || rest.StartsWith("re") || rest.StartsWith("ve"))
        {
            length = 2;
        }
        else if (rest[0] is 's' or 'd' or 'm' or 't')
        {
            length = 1;
        }
        else
        {
            return false;
        }

        return i + 1 + length >= s.Length || !IsWordChar(s, i + 1 + length);
    }

    private static bool IsWordChar(string s, int i)
    {
        var category = char.IsSurrogatePair(s, i)
            ? CharUnicodeInfo.GetUnicodeCategory(char.ConvertToUtf32(s[i], s[i + 1]))
            : CharUnicodeInfo.GetUnicodeCategory(s[i]);
        return category is UnicodeCategory.LowercaseLetter or UnicodeCategory.UppercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.DecimalDigitNumber
            or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.ConnectorPunctuation;
    }

    // pycocoevalcap PUNCTUATIONS = ["''", "'", "``", "`", "-LRB-", "-RRB-", "-LCB-", "-RCB-", ".", "?", "!", ",", ":",
    // "-", "--", "...", ";"]: the characters that only ever form those tokens, plus double quotes (PTB turns them
    // into `` and '').
    private static bool IsRemovedPunctuation(char c) =>
        c is '\'' or '"' or '`' or '(' or ')' or '{' or '}' or '.' or '?' or '!' or ',' or ':' or '-' or ';'
            or '\u2018' or '\u2019' or '\u201C' or '\u201D' or '\u2026' or '\u2013' or '\u2014';
}
