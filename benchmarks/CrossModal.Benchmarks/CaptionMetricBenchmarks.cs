using System.Collections.Generic;
using System.Linq;
using BenchmarkDotNet.Attributes;
using CrossModal.Evaluation.Captioning;
using CrossModal.Text.Corpora;

namespace CrossModal.Benchmarks;

/// <summary>
/// BLEU-1..4 + ROUGE-L + CIDEr-D over COCO val2017 leave-one-out: 5,000 images, candidate = each image's first
/// caption, references = its next five (pycocoevalcap takes ≈ 4.5 s for this on the development machine).
/// </summary>
[MemoryDiagnoser]
public class CaptionMetricBenchmarks
{
    private List<IReadOnlyList<string>> _rawRefs = [];
    private List<string> _rawCands = [];
    private List<IReadOnlyList<string>> _refs = [];
    private List<string> _cands = [];
    private TokenizedCaptions? _prepared;

    [GlobalSetup]
    public void Setup()
    {
        var corpus = CocoCaptions.Read(RepoData.File("captions/coco/captions_val2017.json"));
        foreach (var id in corpus.ImageIds)
        {
            var captions = corpus.ReferencesOf(id);
            _rawCands.Add(captions[0]);
            _rawRefs.Add(captions.Skip(1).Take(5).ToList());
        }

        _cands = _rawCands.Select(PtbTokenizer.TokenizeToString).ToList();
        _refs = _rawRefs.Select(r => (IReadOnlyList<string>)r.Select(PtbTokenizer.TokenizeToString).ToList()).ToList();
        _prepared = new TokenizedCaptions(_refs, _cands, CaptionTokenization.None);
    }

    /// <summary>All three metrics on pre-tokenised text (what the parity tests score).</summary>
    [Benchmark(Baseline = true)]
    public CaptionScores AllMetrics_pretokenized() => CaptionMetrics.Score(_refs, _cands);

    /// <summary>All three metrics on raw captions, including the PTB approximation.</summary>
    [Benchmark]
    public CaptionScores AllMetrics_ptb() => CaptionMetrics.Score(_rawRefs, _rawCands, CaptionTokenization.Ptb);

    /// <summary>Word and n-gram interning only.</summary>
    [Benchmark]
    public int Prepare() => new TokenizedCaptions(_refs, _cands, CaptionTokenization.None).NGramCount;

    [Benchmark]
    public double Bleu_only() => Bleu.Compute(_prepared!).Corpus[3];

    [Benchmark]
    public double RougeL_only() => RougeL.Compute(_prepared!).Mean;

    [Benchmark]
    public double CiderD_only() => CiderD.Compute(_prepared!).Mean;
}
