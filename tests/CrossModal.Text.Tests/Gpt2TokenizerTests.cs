using System;
using System.Text;
using Xunit;

namespace CrossModal.Text.Tests;

public sealed class Gpt2TokenizerTests
{
    private static readonly Gpt2Tokenizer Gpt2 = Gpt2Tokenizer.Shared;

    [Fact]
    public void Vocabulary_has_the_reference_size()
    {
        Assert.Equal(50257, Gpt2.VocabularySize);
        Assert.Equal(50256, Gpt2.EndOfTextId);
        Assert.Null(Gpt2.StartOfTextId);
        Assert.Equal("<|endoftext|>", Gpt2.Decode([50256]));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Decode_round_trips_random_unicode(int seed)
    {
        var random = new Random(seed);
        int[][] ranges = [[0x20, 0x7E], [0x9, 0xD], [0xA0, 0x2FF], [0x370, 0x52F], [0x600, 0x6FF], [0x3040, 0x30FF],
                          [0x4E00, 0x9FFF], [0xAC00, 0xD7A3], [0x1F300, 0x1FAFF], [0x1D400, 0x1D7FF], [0x10000, 0x1FFFF], [0x20000, 0x2A6DF]];
        for (var n = 0; n < 200; n++)
        {
            var builder = new StringBuilder();
            var length = random.Next(0, 60);
            for (var i = 0; i < length; i++)
            {
                var range = ranges[random.Next(ranges.Length)];
                var cp = random.Next(range[0], range[1] + 1);
                builder.Append(char.ConvertFromUtf32(cp));
            }

            var text = builder.ToString();
            var ids = Gpt2.Encode(text);
            Assert.All(ids, id => Assert.InRange(id, 0, 50256));
            Assert.Equal(text, Gpt2.Decode(ids));
        }
    }

    [Fact]
    public void Emoji_and_cjk_round_trip_and_use_several_byte_tokens()
    {
        const string text = "naïve 東京 🙂 👩‍👩‍👧 𝐀𝐁";
        var ids = Gpt2.Encode(text);
        Assert.Equal(text, Gpt2.Decode(ids));
        Assert.True(ids.Length > 8);
    }

    [Fact]
    public void Whitespace_runs_leave_their_last_space_to_the_next_word()
    {
        // "a   b" pre-tokenises as 'a', '  ', ' b' (\s+(?!\S) backtracks by one); '  ' has no merge and stays two
        // byte tokens. Ids printed by the reference encoder.py.
        Assert.Equal([64, 220, 220, 275], Gpt2.Encode("a   b"));
        Assert.Equal([64, 220, 220, 220, 275], Gpt2.Encode("a    b"));
        Assert.Equal(" b", Gpt2.Decode([275]));
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Gpt2.Decode([50257]));
    }
}
