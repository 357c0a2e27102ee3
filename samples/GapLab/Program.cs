// The COCO gap lab (docs/gap-lab.md). 500 real COCO val2017 image–caption pairs embedded by CLIP ViT-B/16 are
// split 250/250. Every strategy is fitted on the first half only; its training transform is applied to the second
// half's captions and its inference transform to the second half's images, and we measure how well the two now
// meet. A retrieval captioner then names each second-half image with the nearest first-half caption in the
// bridged space and is scored with CIDEr-D against the image's five COCO references. Nothing is tuned on the
// second half.
//
//   dotnet run -c Release --project samples/GapLab [-- path/to/repo]
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Evaluation.Captioning;
using CrossModal.Tensors.IO;

var root = args.Length > 0 ? args[0] : FindRepositoryRoot();
var folder = Path.Combine(root, "data", "embeddings", "coco_val2017_vitb16_500");
var features = NpyFile.Read(Path.Combine(folder, "features_clip.npy")); // (2, 500, 512): [0] images, [1] texts
var (n, d) = (features.Shape[1], features.Shape[2]);
var images = new EmbeddingMatrix(features.Data[..(n * d)], n, d);
var texts = new EmbeddingMatrix(features.Data[(n * d)..], n, d);

// Row i's caption (tokenized as pycocoevalcap's PTB tokenizer would) and its four other COCO references.
using var json = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, "coco_val2017_500_captions_and_metrics.json")));
var items = json.RootElement.GetProperty("items").EnumerateArray().ToArray();
var caption = items.Select(item => item.GetProperty("tokenized_candidate").GetString()!).ToArray();
var references = items
    .Select(item => (IReadOnlyList<string>)new[] { item.GetProperty("tokenized_candidate").GetString()! }
        .Concat(item.GetProperty("tokenized_refs").EnumerateArray().Select(r => r.GetString()!)).ToArray())
    .ToArray();

var half = n / 2;
var (fitImages, fitTexts) = (images.SliceRows(0, half), texts.SliceRows(0, half));
var (evalImages, evalTexts) = (images.SliceRows(half, n - half), texts.SliceRows(half, n - half));
var evalReferences = references[half..];

// The first half plays every role a strategy may need. There are no synthetic images here, so SynTIC's
// "pseudo-image features" are the first half's real image features (see docs/gap-lab.md).
var fit = new BridgeFitData
{
    UnpairedTexts = fitTexts, UnpairedImages = fitImages,
    PairedTexts = fitTexts, PairedImages = fitImages,
    SupportTexts = fitTexts,
    PseudoImages = fitImages, PseudoImageTexts = fitTexts,
};

var rows = new List<(string Name, string Stages, ModalityGapReport Report, double Cider)>();
var strategies = Enum.GetValues<BridgePreset>().Select(p => (p.ToString(), BridgePresets.Create(p)))
    .Append(("MeanShift", new BridgePipelineBuilder().AddMeanShift().Build()))
    .Append(("LinearAdapter (no noise)", new BridgePipelineBuilder().AddLinearAdapter().Build()))
    .Append(("CovarianceNoise (s = 1)", new BridgePipelineBuilder().AddCovarianceNoise().Build()))
    .Append(("DeCap top-k 5", new BridgePipelineBuilder().AddSupportSetProjection(new SupportSetProjectionOptions { TopK = 5 }).Build()));
foreach (var (name, bridge) in strategies)
{
    bridge.Fit(fit);
    var bridgedImages = bridge.TransformForInference(evalImages);
    var bridgedTexts = bridge.TransformForTraining(evalTexts, new Random(0));
    var report = ModalityGapReport.Compute(bridgedImages, bridgedTexts);

    // Retrieval captioning: the first-half caption whose training representation is nearest to the image's
    // inference representation — what a decoder trained on those representations would be asked to match.
    var memory = bridge.TransformForTraining(fitTexts, new Random(0));
    var candidates = Enumerable.Range(0, bridgedImages.Rows).Select(i => caption[Nearest(bridgedImages.Row(i), memory)]).ToArray();
    var cider = CaptionMetrics.Score(evalReferences, candidates).CiderD;
    rows.Add((name, bridge.Name, report, cider));
}

var before = ModalityGapReport.Compute(evalImages, evalTexts);
var c = CultureInfo.InvariantCulture;
Console.WriteLine(string.Create(c, $"second half before any bridge: paired cosine {before.MeanPairedCosine:F3}, centroid distance {before.CentroidDistance:F3}, i2t R@1 {before.ImageToTextRecallAt1:F3}"));
Console.WriteLine();
Console.WriteLine("| strategy | stages | cos(image′, text′) paired | centroid distance | R@1 image′→text′ | retrieval CIDEr-D |");
Console.WriteLine("|---|---|---:|---:|---:|---:|");
foreach (var (name, stages, report, cider) in rows)
{
    Console.WriteLine(string.Create(c,
        $"| {name} | {stages} | {report.MeanPairedCosine:F3} | {report.CentroidDistance:F3} | {report.ImageToTextRecallAt1:F3} | {cider:F3} |"));
}

return 0;

static int Nearest(ReadOnlySpan<float> query, EmbeddingMatrix memory)
{
    var best = 0;
    var bestScore = float.NegativeInfinity;
    for (var j = 0; j < memory.Rows; j++)
    {
        var score = System.Numerics.Tensors.TensorPrimitives.Dot(query, memory.Row(j));
        if (score > bestScore)
        {
            (best, bestScore) = (j, score);
        }
    }

    return best;
}

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CrossModal.sln")))
    {
        dir = dir.Parent;
    }

    return dir?.FullName ?? throw new DirectoryNotFoundException("Run from inside the CrossModal repository or pass its path.");
}
