using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json;
using Xunit;
using CrossModal.Testing;

namespace CrossModal.Text.Tests;

/// <summary>Exact parity with OpenAI's reference tokenizers on the shipped golden files.</summary>
public sealed class TokenizerGoldenTests
{
    public sealed record Case(string Text, int[] Ids, string Decoded);

    private static readonly Lazy<JsonDocument> Golden = new(() => JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Data("tokenizers/tokenizer_golden.json"))));
    private static readonly Lazy<JsonDocument> Extra = new(() => JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Data("tokenizers/tokenizer_extra_golden.json"))));

    private static List<Case> Cases(JsonElement array) =>
        array.EnumerateArray()
             .Select(c => new Case(c.GetProperty("text").GetString()!,
                                   c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray(),
                                   c.GetProperty("decoded").GetString()!))
             .ToList();

    // The tokenizer's ids, and those of the Microsoft.ML.Tokenizers BpeTokenizer it is built on called the ordinary way
    // (EncodeToIds with its plugged-in normaliser and pre-tokenizer), must both be the reference's.
    private static void AssertAll(ITokenizer tokenizer, List<Case> cases, int expectedCount)
    {
        Assert.Equal(expectedCount, cases.Count);
        var ml = tokenizer switch
        {
            ClipTokenizer clip => clip.BpeTokenizer,
            Gpt2Tokenizer gpt2 => gpt2.BpeTokenizer,
            _ => throw new ArgumentException("CLIP or GPT-2", nameof(tokenizer)),
        };
        var failures = new List<string>();
        foreach (var c in cases)
        {
            var mlIds = ml.EncodeToIds(c.Text);
            if (!mlIds.SequenceEqual(c.Ids))
            {
                failures.Add($"{JsonSerializer.Serialize(c.Text)}: BpeTokenizer.EncodeToIds gave [{string.Join(",", mlIds)}] expected [{string.Join(",", c.Ids)}]");
                continue;
            }

            var ids = tokenizer.Encode(c.Text);
            if (!ids.SequenceEqual(c.Ids))
            {
                failures.Add($"{JsonSerializer.Serialize(c.Text)}: got [{string.Join(",", ids)}] expected [{string.Join(",", c.Ids)}]");
                continue;
            }

            var decoded = tokenizer.Decode(ids);
            if (decoded != c.Decoded)
            {
                failures.Add($"{JsonSerializer.Serialize(c.Text)}: decoded {JsonSerializer.Serialize(decoded)} expected {JsonSerializer.Serialize(c.Decoded)}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases differ:\n" + string.Join("\n", failures.Take(20)));
    }

    [Fact]
    public void Clip_matches_every_reference_case()
    {
        var clip = Golden.Value.RootElement.GetProperty("clip");
        Assert.Equal(ClipTokenizer.StartOfText, clip.GetProperty("sot").GetInt32());
        Assert.Equal(ClipTokenizer.EndOfText, clip.GetProperty("eot").GetInt32());
        AssertAll(new ClipTokenizer(), Cases(clip.GetProperty("cases")), 50);
    }

    [Fact]
    public void Gpt2_matches_every_reference_case()
    {
        var gpt2 = Golden.Value.RootElement.GetProperty("gpt2");
        Assert.Equal(Gpt2Tokenizer.EndOfText, gpt2.GetProperty("eot").GetInt32());
        AssertAll(new Gpt2Tokenizer(), Cases(gpt2.GetProperty("cases")), 100);
    }

    [Fact]
    public void Clip_matches_the_transcribed_reference_on_hard_unicode_and_entity_cases()
    {
        AssertAll(ClipTokenizer.Shared, Cases(Extra.Value.RootElement.GetProperty("clip")), 418);
    }

    [Fact]
    public void Gpt2_matches_the_transcribed_reference_on_hard_unicode_cases()
    {
        AssertAll(Gpt2Tokenizer.Shared, Cases(Extra.Value.RootElement.GetProperty("gpt2")), 418);
    }

    [Fact]
    public void Both_tokenizers_reproduce_the_reference_ids_of_12000_flickr8k_and_coco_captions()
    {
        using var file = File.OpenRead(RepositoryPaths.Data("tokenizers/tokenizer_corpus_golden.json.gz"));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var corpus = JsonDocument.Parse(gzip);
        var root = corpus.RootElement;
        var captions = root.GetProperty("captions").EnumerateArray().Select(e => e.GetString()!).ToList();
        var clipIds = root.GetProperty("clip").EnumerateArray().ToList();
        var gpt2Ids = root.GetProperty("gpt2").EnumerateArray().ToList();
        var clipDecoded = root.GetProperty("clip_decoded").EnumerateArray().Select(e => e.GetString()!).ToList();
        Assert.Equal(12000, captions.Count);

        var clip = new List<Case>(captions.Count);
        var gpt2 = new List<Case>(captions.Count);
        for (var i = 0; i < captions.Count; i++)
        {
            clip.Add(new Case(captions[i], clipIds[i].EnumerateArray().Select(e => e.GetInt32()).ToArray(), clipDecoded[i]));
            gpt2.Add(new Case(captions[i], gpt2Ids[i].EnumerateArray().Select(e => e.GetInt32()).ToArray(), captions[i]));
        }

        AssertAll(ClipTokenizer.Shared, clip, 12000);
        AssertAll(Gpt2Tokenizer.Shared, gpt2, 12000);
    }
}
