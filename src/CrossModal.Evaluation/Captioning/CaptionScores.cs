using System;
using System.Collections.Generic;

namespace CrossModal.Evaluation.Captioning;

/// <summary>
/// BLEU-1..4, ROUGE-L and CIDEr-D of a set of candidate captions, corpus-level and per image, in pycocoevalcap's
/// conventions and [0, 1]-style scale (CIDEr-D ≈ 0.8 for human captions on COCO, not 80).
/// </summary>
public sealed class CaptionScores
{
    internal CaptionScores(IReadOnlyList<string> imageIds, double[] bleu, double[][] bleuPerImage, double rougeL, double[] rougeLPerImage,
                           double ciderD, double[] ciderDPerImage)
    {
        ImageIds = imageIds;
        Bleu = bleu;
        BleuPerImage = bleuPerImage;
        RougeL = rougeL;
        RougeLPerImage = rougeLPerImage;
        CiderD = ciderD;
        CiderDPerImage = ciderDPerImage;
    }

    /// <summary>Images scored, in the order of the per-image arrays.</summary>
    public IReadOnlyList<string> ImageIds { get; }

    /// <summary>Number of images scored.</summary>
    public int Count => ImageIds.Count;

    /// <summary>Corpus BLEU-1..4 (index n − 1).</summary>
    public IReadOnlyList<double> Bleu { get; }

    /// <summary>Corpus BLEU-1.</summary>
    public double Bleu1 => Bleu[0];

    /// <summary>Corpus BLEU-2.</summary>
    public double Bleu2 => Bleu[1];

    /// <summary>Corpus BLEU-3.</summary>
    public double Bleu3 => Bleu[2];

    /// <summary>Corpus BLEU-4.</summary>
    public double Bleu4 => Bleu[3];

    /// <summary>Per-image BLEU-n: <c>BleuPerImage[n − 1][i]</c> (pycocoevalcap's second return value).</summary>
    public IReadOnlyList<IReadOnlyList<double>> BleuPerImage { get; }

    /// <summary>ROUGE-L averaged over images.</summary>
    public double RougeL { get; }

    /// <summary>ROUGE-L of each image.</summary>
    public IReadOnlyList<double> RougeLPerImage { get; }

    /// <summary>CIDEr-D averaged over images.</summary>
    public double CiderD { get; }

    /// <summary>CIDEr-D of each image.</summary>
    public IReadOnlyList<double> CiderDPerImage { get; }

    /// <summary>The corpus scores under the names the <c>crossmodal score --json</c> output uses.</summary>
    public IReadOnlyDictionary<string, double> ToDictionary() => new Dictionary<string, double>(StringComparer.Ordinal)
    {
        ["BLEU-1"] = Bleu1,
        ["BLEU-2"] = Bleu2,
        ["BLEU-3"] = Bleu3,
        ["BLEU-4"] = Bleu4,
        ["ROUGE-L"] = RougeL,
        ["CIDEr-D"] = CiderD,
    };
}
