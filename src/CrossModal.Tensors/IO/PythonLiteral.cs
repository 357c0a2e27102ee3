using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace CrossModal.Tensors.IO;

/// <summary>A Python tuple value (distinguished from a list because numpy's header wants a tuple for the shape).</summary>
internal sealed record PythonTuple(IReadOnlyList<object?> Items);

/// <summary>
/// A parser for the Python literal subset an <c>.npy</c> header uses (numpy writes it with <c>repr</c> and reads it
/// with <c>ast.literal_eval</c>): dicts, tuples, lists, quoted strings, integers, <c>True</c>, <c>False</c> and
/// <c>None</c>. Values come back as <see cref="Dictionary{TKey,TValue}"/> (string keys), <see cref="PythonTuple"/>,
/// <see cref="List{T}"/>, <see cref="string"/>, <see cref="long"/>, <see cref="bool"/> or <see langword="null"/>.
/// Every failure is a <see cref="FormatException"/> with a position; the caller turns it into an
/// <see cref="System.IO.InvalidDataException"/> naming the file.
/// </summary>
internal sealed class PythonLiteral
{
    /// <summary>Nesting limit, so a hostile header of many brackets cannot exhaust the stack.</summary>
    private const int MaxDepth = 16;

    private readonly string _text;
    private int _pos;

    private PythonLiteral(string text) => _text = text;

    /// <summary>Parses exactly one literal (surrounding whitespace allowed).</summary>
    public static object? Parse(string text)
    {
        var parser = new PythonLiteral(text);
        var value = parser.ParseValue(0);
        parser.SkipSpace();
        if (parser._pos != text.Length)
        {
            throw parser.Error("unexpected text after the literal");
        }

        return value;
    }

    private FormatException Error(string what) => new($"{what} at character {_pos}");

    private void SkipSpace()
    {
        while (_pos < _text.Length && _text[_pos] is ' ' or '\t' or '\n' or '\r')
        {
            _pos++;
        }
    }

    private char Peek()
    {
        SkipSpace();
        return _pos < _text.Length ? _text[_pos] : '\0';
    }

    private object? ParseValue(int depth)
    {
        if (depth > MaxDepth)
        {
            throw Error($"literal nested deeper than {MaxDepth} levels");
        }

        var c = Peek();
        switch (c)
        {
            case '{':
                return ParseDict(depth);
            case '(':
                return ParseSequence(depth, ')', tuple: true);
            case '[':
                return ParseSequence(depth, ']', tuple: false);
            case '\'' or '"':
                return ParseString();
            case '\0':
                throw Error("unexpected end of the header");
        }

        if (c is '-' or '+' || char.IsAsciiDigit(c))
        {
            return ParseInteger();
        }

        if (char.IsAsciiLetter(c))
        {
            var start = _pos;
            while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
            {
                _pos++;
            }

            var word = _text[start.._pos];
            return word switch
            {
                "True" => true,
                "False" => false,
                "None" => null,
                _ => throw Error($"unexpected name '{Shorten(word)}'"),
            };
        }

        throw Error($"unexpected character '{c}'");
    }

    private Dictionary<string, object?> ParseDict(int depth)
    {
        _pos++; // '{'
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            if (Peek() == '}')
            {
                _pos++;
                return dict;
            }

            if (Peek() is not ('\'' or '"'))
            {
                throw Error("expected a quoted key");
            }

            var key = ParseString();
            if (Peek() != ':')
            {
                throw Error($"expected ':' after key '{Shorten(key)}'");
            }

            _pos++;
            var value = ParseValue(depth + 1);
            if (!dict.TryAdd(key, value))
            {
                throw Error($"duplicate key '{Shorten(key)}'");
            }

            var next = Peek();
            if (next == ',')
            {
                _pos++;
            }
            else if (next != '}')
            {
                throw Error("expected ',' or '}' in the dict");
            }
        }
    }

    private object? ParseSequence(int depth, char close, bool tuple)
    {
        _pos++; // '(' or '['
        var items = new List<object?>();
        var sawComma = false;
        while (true)
        {
            if (Peek() == close)
            {
                _pos++;
                break;
            }

            items.Add(ParseValue(depth + 1));
            var next = Peek();
            if (next == ',')
            {
                sawComma = true;
                _pos++;
            }
            else if (next != close)
            {
                throw Error($"expected ',' or '{close}'");
            }
        }

        if (!tuple)
        {
            return items;
        }

        // In Python "(5)" is the integer 5 in parentheses; only "()" and a comma make a tuple.
        return items.Count == 1 && !sawComma ? items[0] : new PythonTuple(items);
    }

    private string ParseString()
    {
        var quote = _text[_pos++];
        var sb = new StringBuilder();
        while (true)
        {
            if (_pos >= _text.Length)
            {
                throw Error("unterminated string");
            }

            var c = _text[_pos++];
            if (c == quote)
            {
                return sb.ToString();
            }

            if (c is '\n' or '\r')
            {
                throw Error("line break inside a string");
            }

            if (c == '\\')
            {
                if (_pos >= _text.Length)
                {
                    throw Error("unterminated string");
                }

                var e = _text[_pos++];
                sb.Append(e switch
                {
                    'n' => '\n',
                    't' => '\t',
                    'r' => '\r',
                    '0' => '\0',
                    _ => e, // \\, \', \" and anything else stand for themselves here; descr values never need more.
                });
                continue;
            }

            sb.Append(c);
        }
    }

    private long ParseInteger()
    {
        var start = _pos;
        if (_text[_pos] is '-' or '+')
        {
            _pos++;
        }

        var digitsStart = _pos;
        while (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
        {
            _pos++;
        }

        if (_pos == digitsStart)
        {
            throw Error("expected digits");
        }

        var literal = _text.AsSpan(start, _pos - start);

        // Python 2 numpy wrote long integers with an 'L' suffix, e.g. (3L, 4L).
        if (_pos < _text.Length && _text[_pos] is 'L' or 'l')
        {
            _pos++;
        }

        if (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] is '.' or '_'))
        {
            throw Error("only plain integers are allowed here");
        }

        if (!long.TryParse(literal, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw Error($"integer '{Shorten(literal.ToString())}' is out of range");
        }

        return value;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 40), "…");
}
