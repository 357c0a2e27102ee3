using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Bridging;

/// <summary>
/// How far apart two paired embedding sets sit (Liang et al., "Mind the Gap", NeurIPS 2022; Zhang et al., C3 §3).
/// All measures use L2-normalised rows; row i of the images pairs with row i of the texts.
/// </summary>
public sealed class ModalityGapReport
{
    private ModalityGapReport()
    {
    }

    /// <summary>Number of pairs.</summary>
    public int N { get; private init; }

    /// <summary>Embedding dimension.</summary>
    public int Dimension { get; private init; }

    /// <summary>Mean cosine of matching pairs, (1/N)·Σ_i cos(v_i, t_i).</summary>
    public double MeanPairedCosine { get; private init; }

    /// <summary>Mean cosine over all non-matching pairs i ≠ j.</summary>
    public double MeanUnpairedCosine { get; private init; }

    /// <summary>‖mean_i n(v_i) − mean_i n(t_i)‖, the length of the gap vector.</summary>
    public double CentroidDistance { get; private init; }

    /// <summary>Fraction of images whose own text has the highest cosine among all N texts.</summary>
    public double ImageToTextRecallAt1 { get; private init; }

    /// <summary>Fraction of texts whose own image has the highest cosine among all N images.</summary>
    public double TextToImageRecallAt1 { get; private init; }

    /// <summary>Fraction of images whose own text is among the 5 most similar texts.</summary>
    public double ImageToTextRecallAt5 { get; private init; }

    /// <summary>Fraction of texts whose own image is among the 5 most similar images.</summary>
    public double TextToImageRecallAt5 { get; private init; }

    /// <summary>
    /// Share of the variance of the centred pair differences Δ_i − mean(Δ) (Δ_i = n(v_i) − n(t_i)) along each
    /// principal direction, largest first; sums to 1. C3's reading: the gap is a constant vector (removed by
    /// centring) plus alignment noise spread over many directions.
    /// </summary>
    public IReadOnlyList<double> GapSpectrum { get; private init; } = Array.Empty<double>();

    /// <summary>How many principal directions of the centred differences hold 90 % of their variance.</summary>
    public int GapDims90 { get; private init; }

    /// <summary>How many principal directions of the centred differences hold 99 % of their variance.</summary>
    public int GapDims99 { get; private init; }

    /// <summary>Measures the gap between paired image and text embeddings.</summary>
    /// <param name="images">(N, D) image embeddings, N ≥ 2; normalised here.</param>
    /// <param name="texts">(N, D) text embeddings; row i pairs with image row i.</param>
    /// <param name="backend">Where the normalisation and the N×N and scatter GEMMs run; <see cref="CpuBackend.Default"/>
    /// when null. The ranking, the means and the eigenvalues are host work on the results.</param>
    /// <exception cref="ArgumentException">Shapes differ, N &lt; 2, or a value is not finite (the row is named).</exception>
    public static ModalityGapReport Compute(EmbeddingMatrix images, EmbeddingMatrix texts, IComputeBackend? backend = null)
    {
        EmbeddingOps.Validate(images, 0, nameof(images));
        EmbeddingOps.Validate(texts, images.Dimension, nameof(texts));
        if (images.Rows != texts.Rows)
        {
            throw new ArgumentException($"Expected paired rows: images has {images.Rows} rows but texts has {texts.Rows}.", nameof(texts));
        }

        if (images.Rows < 2)
        {
            throw new ArgumentException($"At least 2 pairs are needed (got {images.Rows}).", nameof(images));
        }

        var n = images.Rows;
        var d = images.Dimension;
        using var scope = new TensorScope(backend ?? CpuBackend.Default);
        var vTensor = scope.UploadNormalized(images);
        var tTensor = scope.UploadNormalized(texts);

        // Cosines (N, N) = V·Tᵀ: entry (i, j) compares image i with text j.
        var cosTensor = scope.Allocate(n, n);
        scope.Backend.MatMul(cosTensor, vTensor, false, tTensor, true);
        var cos = scope.DownloadArray(cosTensor);
        var v = scope.Download(vTensor);
        var t = scope.Download(tTensor);

        double paired = 0, all = 0;
        int i2t1 = 0, i2t5 = 0, t2i1 = 0, t2i5 = 0;
        for (var i = 0; i < n; i++)
        {
            var own = cos[i * n + i];
            paired += own;
            int aboveInRow = 0, aboveInColumn = 0;
            for (var j = 0; j < n; j++)
            {
                all += cos[i * n + j];
                if (cos[i * n + j] > own)
                {
                    aboveInRow++;
                }

                if (cos[j * n + i] > own)
                {
                    aboveInColumn++;
                }
            }

            i2t1 += aboveInRow < 1 ? 1 : 0;
            i2t5 += aboveInRow < 5 ? 1 : 0;
            t2i1 += aboveInColumn < 1 ? 1 : 0;
            t2i5 += aboveInColumn < 5 ? 1 : 0;
        }

        var meanImage = EmbeddingOps.NormalizedMean(v);
        var meanText = EmbeddingOps.NormalizedMean(t);
        double centroid = 0;
        for (var j = 0; j < d; j++)
        {
            var diff = (double)meanImage[j] - meanText[j];
            centroid += diff * diff;
        }

        var spectrum = DifferenceSpectrum(scope, v, t);
        return new ModalityGapReport
        {
            N = n,
            Dimension = d,
            MeanPairedCosine = paired / n,
            MeanUnpairedCosine = (all - paired) / ((double)n * n - n),
            CentroidDistance = Math.Sqrt(centroid),
            ImageToTextRecallAt1 = (double)i2t1 / n,
            ImageToTextRecallAt5 = (double)i2t5 / n,
            TextToImageRecallAt1 = (double)t2i1 / n,
            TextToImageRecallAt5 = (double)t2i5 / n,
            GapSpectrum = spectrum,
            GapDims90 = DirectionsFor(spectrum, 0.90),
            GapDims99 = DirectionsFor(spectrum, 0.99),
        };
    }

    /// <summary>
    /// Measures the gap after a fitted bridge: images through <see cref="IModalityBridge.TransformForInference"/>,
    /// texts through <see cref="IModalityBridge.TransformForTraining"/>.
    /// </summary>
    /// <param name="images">(N, D) image embeddings.</param>
    /// <param name="texts">(N, D) paired text embeddings.</param>
    /// <param name="bridge">A fitted bridge.</param>
    /// <param name="rng">Randomness for the bridge's training-time noise.</param>
    /// <param name="backend">Where the report's bulk work runs; <see cref="CpuBackend.Default"/> when null.</param>
    public static ModalityGapReport Compute(EmbeddingMatrix images, EmbeddingMatrix texts, IModalityBridge bridge, Random rng, IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        ArgumentNullException.ThrowIfNull(rng);
        return Compute(bridge.TransformForInference(images), bridge.TransformForTraining(texts, rng), backend);
    }

    /// <summary>Writes the report as one JSON object with the CLI's stable keys (see <see cref="ToJson"/>).</summary>
    /// <param name="writer">The destination.</param>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteNumber("n", N);
        writer.WriteNumber("dim", Dimension);
        writer.WriteNumber("mean_paired_cosine", MeanPairedCosine);
        writer.WriteNumber("mean_unpaired_cosine", MeanUnpairedCosine);
        writer.WriteNumber("centroid_distance", CentroidDistance);
        writer.WriteNumber("i2t_recall_at_1", ImageToTextRecallAt1);
        writer.WriteNumber("t2i_recall_at_1", TextToImageRecallAt1);
        writer.WriteNumber("i2t_recall_at_5", ImageToTextRecallAt5);
        writer.WriteNumber("t2i_recall_at_5", TextToImageRecallAt5);
        writer.WriteNumber("gap_dims_90", GapDims90);
        writer.WriteNumber("gap_dims_99", GapDims99);
        writer.WriteEndObject();
    }

    /// <summary>
    /// The report as <c>{"n","dim","mean_paired_cosine","mean_unpaired_cosine","centroid_distance","i2t_recall_at_1",
    /// "t2i_recall_at_1","i2t_recall_at_5","t2i_recall_at_5","gap_dims_90","gap_dims_99"}</c> — a public interface:
    /// the key names do not change.
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            WriteJson(writer);
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Eigenvalues of the centred differences' scatter, as fractions of their sum, descending.</summary>
    private static double[] DifferenceSpectrum(TensorScope scope, EmbeddingMatrix v, EmbeddingMatrix t)
    {
        var n = v.Rows;
        var d = v.Dimension;
        var delta = new float[n * d]; // (N, D) Δ_i − mean(Δ)
        var mean = new double[d];
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                var x = v.Span[i * d + j] - t.Span[i * d + j];
                delta[i * d + j] = x;
                mean[j] += x;
            }
        }

        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < d; j++)
            {
                delta[i * d + j] -= (float)(mean[j] / n);
            }
        }

        // CᵀC (D, D) and C·Cᵀ (N, N) share their non-zero eigenvalues: use the smaller.
        var order = Math.Min(n, d);
        var deltaTensor = scope.Upload(delta, n, d);
        var scatterTensor = scope.Allocate(order, order);
        scope.Backend.MatMul(scatterTensor, deltaTensor, n > d, deltaTensor, n <= d);
        var scatter = scope.DownloadArray(scatterTensor);

        var matrix = new double[order * order];
        for (var i = 0; i < matrix.Length; i++)
        {
            matrix[i] = scatter[i];
        }

        var eigenvalues = SymmetricEigenvalues.Compute(matrix, order);
        var total = 0.0;
        for (var i = 0; i < eigenvalues.Length; i++)
        {
            eigenvalues[i] = Math.Max(eigenvalues[i], 0.0); // round-off can leave tiny negatives
            total += eigenvalues[i];
        }

        if (total > 0)
        {
            for (var i = 0; i < eigenvalues.Length; i++)
            {
                eigenvalues[i] /= total;
            }
        }

        return eigenvalues;
    }

    private static int DirectionsFor(double[] fractions, double share)
    {
        var cumulative = 0.0;
        for (var i = 0; i < fractions.Length; i++)
        {
            cumulative += fractions[i];
            if (cumulative >= share - 1e-12)
            {
                return i + 1;
            }
        }

        return fractions.Length;
    }
}
