using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Evaluation.Captioning;
using CrossModal.Text.Corpora;
using Xunit;
using CrossModal.Testing;

namespace CrossModal.Evaluation.Tests;

/// <summary>BLEU, ROUGE-L and CIDEr-D against numbers produced by pycocoevalcap itself.</summary>
public sealed class CaptionMetricParityTests
{
    /// <summary>Parity bar (absolute): far below the 3 decimals papers report, so tables match digit for digit.</summary>
    private const double Tolerance = 1e-6;

    private static void Close(double expected, double actual, string what) =>
        Assert.True(Math.Abs(expected - actual) <= Tolerance, $"{what}: expected {expected:R}, got {actual:R} (|Δ| = {Math.Abs(expected - actual):E2})");

    [Fact]
    public void Tiny_golden_corpus_and_per_image_scores_match_pycocoevalcap()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Data("metrics/pycocoevalcap_tiny_golden.json")));
        var root = golden.RootElement;
        var gts = new Dictionary<string, IReadOnlyList<string>>();
        foreach (var p in root.GetProperty("gts").EnumerateObject())
        {
            gts[p.Name] = p.Value.EnumerateArray().Select(e => e.GetString()!).ToList();
        }

        var res = root.GetProperty("res").EnumerateObject().ToDictionary(p => p.Name, p => p.Value[0].GetString()!);
        var scores = CaptionMetrics.Score(gts, res);
        Assert.Equal(["1", "2", "3"], scores.ImageIds);

        var expected = root.GetProperty("scores");
        var bleu = expected.GetProperty("Bleu");
        for (var k = 0; k < 4; k++)
        {
            Close(bleu.GetProperty("corpus")[k].GetDouble(), scores.Bleu[k], $"BLEU-{k + 1}");
            for (var i = 0; i < 3; i++)
            {
                Close(bleu.GetProperty("per_image")[k][i].GetDouble(), scores.BleuPerImage[k][i], $"BLEU-{k + 1} image {i + 1}");
            }
        }

        Close(expected.GetProperty("Rouge").GetProperty("corpus").GetDouble(), scores.RougeL, "ROUGE-L");
        Close(expected.GetProperty("CIDEr-D").GetProperty("corpus").GetDouble(), scores.CiderD, "CIDEr-D");
        for (var i = 0; i < 3; i++)
        {
            Close(expected.GetProperty("Rouge").GetProperty("per_image")[i].GetDouble(), scores.RougeLPerImage[i], $"ROUGE-L image {i + 1}");
            Close(expected.GetProperty("CIDEr-D").GetProperty("per_image")[i].GetDouble(), scores.CiderDPerImage[i], $"CIDEr-D image {i + 1}");
        }
    }

    internal static (List<IReadOnlyList<string>> Refs, List<string> Cands, JsonDocument Doc) LoadCoco500()
    {
        var doc = JsonDocument.Parse(File.ReadAllText(RepositoryPaths.Data("embeddings/coco_val2017_vitb16_500/coco_val2017_500_captions_and_metrics.json")));
        var items = doc.RootElement.GetProperty("items");
        var refs = items.EnumerateArray().Select(it => (IReadOnlyList<string>)it.GetProperty("tokenized_refs").EnumerateArray().Select(e => e.GetString()!).ToList()).ToList();
        var cands = items.EnumerateArray().Select(it => it.GetProperty("tokenized_candidate").GetString()!).ToList();
        return (refs, cands, doc);
    }

    [Fact]
    public void Coco500_leave_one_out_scores_match_pycocoevalcap_for_every_row()
    {
        var (refs, cands, doc) = LoadCoco500();
        using var _ = doc;
        var scores = CaptionMetrics.Score(refs, cands);
        Assert.Equal(500, scores.Count);

        var corpus = doc.RootElement.GetProperty("corpus_scores");
        Close(corpus.GetProperty("BLEU-1").GetDouble(), scores.Bleu1, "BLEU-1");
        Close(corpus.GetProperty("BLEU-2").GetDouble(), scores.Bleu2, "BLEU-2");
        Close(corpus.GetProperty("BLEU-3").GetDouble(), scores.Bleu3, "BLEU-3");
        Close(corpus.GetProperty("BLEU-4").GetDouble(), scores.Bleu4, "BLEU-4");
        Close(corpus.GetProperty("ROUGE_L").GetDouble(), scores.RougeL, "ROUGE-L");
        Close(corpus.GetProperty("CIDEr-D").GetDouble(), scores.CiderD, "CIDEr-D");

        var row = 0;
        foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            var s = item.GetProperty("scores");
            Assert.Equal(row, item.GetProperty("row").GetInt32());
            Close(s.GetProperty("BLEU-4").GetDouble(), scores.BleuPerImage[3][row], $"row {row} BLEU-4");
            Close(s.GetProperty("ROUGE_L").GetDouble(), scores.RougeLPerImage[row], $"row {row} ROUGE-L");
            Close(s.GetProperty("CIDEr-D").GetDouble(), scores.CiderDPerImage[row], $"row {row} CIDEr-D");
            row++;
        }

        Assert.Equal(500, row);
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(2, 40)]
    public void Fast_metrics_equal_the_slow_port_on_random_coco_subsets(int seed, int images)
    {
        var corpus = CocoCaptions.Read(RepositoryPaths.Data("captions/coco/captions_val2017.json"));
        var random = new Random(seed);
        var chosen = corpus.ImageIds.OrderBy(_ => random.Next()).Take(images).ToList();
        var refs = new List<IReadOnlyList<string>>();
        var cands = new List<string>();
        foreach (var id in chosen)
        {
            var all = corpus.ReferencesOf(id).Select(PtbTokenizer.TokenizeToString).ToList();
            var pick = random.Next(all.Count);

            // Sometimes a caption of another image, sometimes truncated or empty: exercise brevity and zero paths.
            var candidate = random.Next(4) switch
            {
                0 => PtbTokenizer.TokenizeToString(corpus.ReferencesOf(chosen[random.Next(chosen.Count)])[0]),
                1 => string.Join(' ', all[pick].Split(' ').Take(random.Next(0, 5))),
                _ => all[pick],
            };
            all.RemoveAt(pick);
            refs.Add(all);
            cands.Add(candidate);
        }

        var fast = CaptionMetrics.Score(refs, cands);
        var (bleu, bleuPer) = ReferenceCaptionMetrics.Bleu(refs, cands);
        var (rouge, rougePer) = ReferenceCaptionMetrics.Rouge(refs, cands);
        var (cider, ciderPer) = ReferenceCaptionMetrics.Cider(refs, cands);
        for (var k = 0; k < 4; k++)
        {
            Close(bleu[k], fast.Bleu[k], $"BLEU-{k + 1}");
            for (var i = 0; i < images; i++)
            {
                Close(bleuPer[k][i], fast.BleuPerImage[k][i], $"BLEU-{k + 1} image {i}");
            }
        }

        Close(rouge, fast.RougeL, "ROUGE-L");
        Close(cider, fast.CiderD, "CIDEr-D");
        for (var i = 0; i < images; i++)
        {
            Close(rougePer[i], fast.RougeLPerImage[i], $"ROUGE-L image {i}");
            Close(ciderPer[i], fast.CiderDPerImage[i], $"CIDEr-D image {i}");
        }
    }
}
