using CrossModal.Text.Tokenization;
using Xunit;

namespace CrossModal.Text.Tests;

/// <summary>Python's text functions as reproduced for the tokenizers; expected values printed by CPython 3.11.</summary>
public sealed class PythonTextTests
{
    [Theory]
    [InlineData("&amp;amp;", "&amp;")]
    [InlineData("&notit;", "\u00acit;")]
    [InlineData("&lt &gt", "< >")]
    [InlineData("&#0;x", "\ufffdx")]
    [InlineData("&#128;", "\u20ac")]
    [InlineData("&#xD800;", "\ufffd")]
    [InlineData("&#1;a", "a")]
    [InlineData("&#x110000;", "\ufffd")]
    [InlineData("&#65&#x42;&#X43", "ABC")]
    [InlineData("&;&#;&#x;", "&;&#;&#x;")]
    [InlineData("&copy2026", "\u00a92026")]
    [InlineData("&AMP;&Amp;", "&&Amp;")]
    [InlineData("&unknown;", "&unknown;")]
    [InlineData("&NotNestedGreaterGreater;", "\u2aa2\u0338")]
    [InlineData("no entity", "no entity")]
    public void HtmlUnescape_matches_python(string input, string expected)
    {
        Assert.Equal(expected, PythonText.HtmlUnescape(input));
    }

    [Theory]
    [InlineData("ΟΔΟΣ ΣΑΣ Σ aΣ aΣb", "οδος σας σ aς aσb")]
    [InlineData("İ", "i\u0307")]
    [InlineData("UPPER 𐐀", "upper 𐐨")]
    public void Lower_matches_python(string input, string expected)
    {
        Assert.Equal(expected, PythonText.Lower(input));
    }

    [Fact]
    public void Whitespace_collapse_uses_regex_space_but_strip_uses_isspace()
    {
        // U+001C is str.isspace() but not regex \s: kept inside, stripped at the ends.
        Assert.Equal("a \u001c b", PythonText.CollapseWhitespace("\u001c a \t\u001c\u00a0 b \u001c"));
    }

    [Fact]
    public void Classify_treats_astral_letters_as_letters()
    {
        Assert.Equal(PythonText.CharClass.Letter, PythonText.Classify(0x1D400));
        Assert.Equal(PythonText.CharClass.Number, PythonText.Classify(0x1D7D9));
        Assert.Equal(PythonText.CharClass.Other, PythonText.Classify(0x1F642));
        Assert.Equal(PythonText.CharClass.Space, PythonText.Classify(0x3000));
        Assert.Equal(PythonText.CharClass.Other, PythonText.Classify(0x1C));
    }
}
