using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using BenchmarkDotNet.Attributes;
using CrossModal.Testing;
using CrossModal.Text;
using CrossModal.Text.Corpora;

namespace CrossModal.Benchmarks;

/// <summary>
/// Encoding and decoding all 40,460 Flickr8k captions with the CLIP and GPT-2 tokenizers, one thread, warm caches.
/// Each benchmark's operation is one token (<c>OperationsPerInvoke</c> = the corpus's token count), so the mean is
/// nanoseconds per token and 1,000 / mean is millions of tokens per second. Only the public <see cref="ITokenizer"/>
/// surface is used, so benchmarks/TokenizerComparison/run.sh can run this same file against an older commit.
/// </summary>
[MemoryDiagnoser]
public class TokenizerComparisonBenchmarks
{
    /// <summary>Tokens of the 40,460 captions with CLIP (no start/end tokens).</summary>
    public const int ClipTokens = 489_165;

    /// <summary>Tokens of the 40,460 captions with GPT-2.</summary>
    public const int Gpt2Tokens = 500_325;

    private readonly List<int> _ids = new(1 << 20);
    private string[] _captions = [];
    private int[][] _clipIds = [];
    private int[][] _gpt2Ids = [];

    [GlobalSetup]
    public void Setup()
    {
        _captions = Flickr8kCaptions.Read(RepositoryPaths.Data("captions/flickr8k/Flickr8k.token.txt")).Corpus.Records.Select(r => r.Caption).ToArray();
        _clipIds = _captions.Select(ClipTokenizer.Shared.Encode).ToArray();
        _gpt2Ids = _captions.Select(Gpt2Tokenizer.Shared.Encode).ToArray();
        Check("CLIP", _clipIds.Sum(i => i.Length), ClipTokens);
        Check("GPT-2", _gpt2Ids.Sum(i => i.Length), Gpt2Tokens);
    }

    [Benchmark(OperationsPerInvoke = ClipTokens)]
    public int ClipEncode()
    {
        _ids.Clear();
        foreach (var caption in _captions)
        {
            ClipTokenizer.Shared.Encode(caption, _ids);
        }

        return _ids.Count;
    }

    [Benchmark(OperationsPerInvoke = ClipTokens)]
    public int ClipDecode()
    {
        var length = 0;
        foreach (var ids in _clipIds)
        {
            length += ClipTokenizer.Shared.Decode(ids).Length;
        }

        return length;
    }

    [Benchmark(OperationsPerInvoke = Gpt2Tokens)]
    public int Gpt2Encode()
    {
        _ids.Clear();
        foreach (var caption in _captions)
        {
            Gpt2Tokenizer.Shared.Encode(caption, _ids);
        }

        return _ids.Count;
    }

    [Benchmark(OperationsPerInvoke = Gpt2Tokens)]
    public int Gpt2Decode()
    {
        var length = 0;
        foreach (var ids in _gpt2Ids)
        {
            length += Gpt2Tokenizer.Shared.Decode(ids).Length;
        }

        return length;
    }

    private static void Check(string name, int actual, int expected)
    {
        if (actual != expected)
        {
            throw new InvalidDataException($"{name} gives {actual} tokens on the Flickr8k captions; the benchmark's OperationsPerInvoke assumes {expected}.");
        }
    }
}
