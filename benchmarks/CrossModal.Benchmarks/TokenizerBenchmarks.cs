using System;
using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using CrossModal.Text;
using CrossModal.Text.Corpora;

namespace CrossModal.Benchmarks;

/// <summary>
/// Encoding all 40,460 Flickr8k captions (warm BPE cache, one thread). Tokens per second = the token count printed at
/// set-up divided by the mean time.
/// </summary>
[MemoryDiagnoser]
public class TokenizerBenchmarks
{
    private readonly List<int> _ids = new(1 << 20);
    private string[] _captions = [];
    private WordTokenizer? _words;

    [GlobalSetup]
    public void Setup()
    {
        _captions = Flickr8kCaptions.Read(RepoData.File("captions/flickr8k/Flickr8k.token.txt")).Corpus.Records.Select(r => r.Caption).ToArray();
        _words = WordTokenizer.Build(_captions, minCount: 5);
        Console.WriteLine($"// captions {_captions.Length}; tokens: clip {Clip()}, gpt2 {Gpt2()}, word {Word()}");
    }

    [Benchmark(Baseline = true)]
    public int Clip()
    {
        _ids.Clear();
        foreach (var caption in _captions)
        {
            ClipTokenizer.Shared.Encode(caption, _ids);
        }

        return _ids.Count;
    }

    [Benchmark]
    public int Gpt2()
    {
        _ids.Clear();
        foreach (var caption in _captions)
        {
            Gpt2Tokenizer.Shared.Encode(caption, _ids);
        }

        return _ids.Count;
    }

    [Benchmark]
    public int Word()
    {
        var total = 0;
        foreach (var caption in _captions)
        {
            total += _words!.Encode(caption).Length;
        }

        return total;
    }
}
