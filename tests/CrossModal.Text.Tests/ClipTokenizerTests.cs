using System;
using System.Linq;
using System.Threading.Tasks;
using Xunit;

namespace CrossModal.Text.Tests;

public sealed class ClipTokenizerTests
{
    private static readonly ClipTokenizer Clip = ClipTokenizer.Shared;

    [Fact]
    public void Vocabulary_has_the_reference_size_and_special_ids()
    {
        Assert.Equal(49408, Clip.VocabularySize);
        Assert.Equal(49406, Clip.StartOfTextId);
        Assert.Equal(49407, Clip.EndOfTextId);
        Assert.Equal("<|startoftext|>", Clip.Decode([49406]));
        Assert.Equal("<|endoftext|>", Clip.Decode([49407]));
    }

    [Fact]
    public void EncodeContext_wraps_in_start_and_end_and_pads_with_zeros()
    {
        var context = Clip.EncodeContext("A black Honda motorcycle parked in front of a garage.");
        Assert.Equal(77, context.Length);
        int[] expectedHead = [49406, 320, 1449, 8553, 10297, 16487, 530, 2184, 539, 320, 8474, 269, 49407];
        Assert.Equal(expectedHead, context[..13]);
        Assert.All(context[13..], id => Assert.Equal(0, id));
    }

    [Fact]
    public void EncodeContext_truncation_keeps_end_of_text_last()
    {
        var text = string.Join(' ', Enumerable.Repeat("dog", 100));
        var context = Clip.EncodeContext(text);
        Assert.Equal(77, context.Length);
        Assert.Equal(49406, context[0]);
        Assert.Equal(49407, context[76]);
        var dog = Clip.Encode("dog").Single();
        Assert.All(context[1..76], id => Assert.Equal(dog, id));

        var error = Assert.Throws<ArgumentException>(() => Clip.EncodeContext(text, truncate: false));
        Assert.Contains("102 tokens", error.Message);
    }

    [Fact]
    public void EncodeContext_exactly_full_is_not_truncated()
    {
        var text = string.Join(' ', Enumerable.Repeat("dog", 75));
        var context = Clip.EncodeContext(text, truncate: false);
        Assert.Equal(49407, context[76]);
        Assert.Equal(Clip.Encode("dog").Single(), context[75]);
    }

    [Fact]
    public void Html_is_unescaped_twice_and_whitespace_collapsed()
    {
        Assert.Equal(Clip.Encode("a & b"), Clip.Encode("a &amp;amp; b"));
        Assert.Equal(Clip.Encode("a dog"), Clip.Encode("  A\t\n DOG \u3000"));
    }

    [Fact]
    public void Special_tokens_bypass_bpe_and_cached_ids_equal_fresh_ids()
    {
        const string text = "<|startoftext|>a photo of a dog<|endoftext|>";
        var before = Clip.Encode(text);
        Assert.Equal(49406, before[0]);
        Assert.Equal(49407, before[^1]);
        Assert.Equal(before, Clip.Encode(text));

        // A tokenizer with its own, empty word cache gives the same ids, also for the upper-case spelling.
        var fresh = ClipTokenizer.FromFile(CrossModal.Testing.RepositoryPaths.Data("tokenizers/clip/bpe_simple_vocab_16e6.txt.gz"));
        Assert.Equal(before, fresh.Encode(text.ToUpperInvariant()));
        Assert.Equal(before, fresh.Encode(text));
    }

    [Fact]
    public void Decode_rejects_ids_outside_the_vocabulary()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Clip.Decode([1, 49408]));
        Assert.Equal("ids", error.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Clip.Decode([-1]));
    }

    [Fact]
    public void Concurrent_encoding_gives_the_same_ids_as_sequential()
    {
        var texts = Enumerable.Range(0, 400).Select(i => $"caption number {i} with a cat{i % 17} and dogs{i * 7919 % 1000}").ToArray();
        var fresh = new ClipTokenizer();
        var sequential = texts.Select(t => Clip.Encode(t)).ToArray();
        var parallel = new int[texts.Length][];
        Parallel.For(0, texts.Length, i => parallel[i] = fresh.Encode(texts[i]));
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(sequential[i], parallel[i]);
        }
    }
}
