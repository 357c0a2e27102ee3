using System;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;
using Xunit;

namespace CrossModal.Bridging.Tests;

/// <summary>Each strategy's transforms against the plain reference computation of its formula.</summary>
public class StrategyTests
{
    private const int D = 24;
    private const double Atol = 2e-6; // float32 results of unit vectors vs double references

    private static (EmbeddingMatrix Images, EmbeddingMatrix Texts) Fit => TestData.Paired(60, D, seed: 1);

    private static (EmbeddingMatrix Images, EmbeddingMatrix Texts) Eval => TestData.Paired(17, D, seed: 2);

    [Fact]
    public void Collapse_matches_reference()
    {
        var (fitImages, fitTexts) = Fit;
        var bridge = new BridgePipelineBuilder().AddCollapse().Build();
        bridge.Fit(new BridgeFitData { UnpairedTexts = fitTexts, UnpairedImages = fitImages });
        var (images, texts) = Eval;

        var muT = Reference.NormalizedMean(fitTexts);
        var muV = Reference.NormalizedMean(fitImages);
        var train = bridge.TransformForTraining(texts, new Random(0));
        var infer = bridge.TransformForInference(images);
        for (var i = 0; i < texts.Rows; i++)
        {
            var t = Reference.Normalize(texts.Row(i));
            var v = Reference.Normalize(images.Row(i));
            Reference.AssertRowClose(Reference.Normalize(t.Zip(muT, (a, b) => a - b).ToArray()), train.Row(i), Atol, $"training row {i}");
            Reference.AssertRowClose(Reference.Normalize(v.Zip(muV, (a, b) => a - b).ToArray()), infer.Row(i), Atol, $"inference row {i}");
        }
    }

    [Fact]
    public void Collapse_removes_the_centroid_gap()
    {
        var (images, texts) = Fit;
        var before = ModalityGapReport.Compute(images, texts);
        var bridge = BridgePresets.Create(BridgePreset.C2Collapse);
        bridge.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images });
        var after = ModalityGapReport.Compute(images, texts, bridge, new Random(0));
        Assert.True(before.CentroidDistance > 0.5, $"the synthetic data should have a gap ({before.CentroidDistance})");
        Assert.True(after.CentroidDistance < 0.1 * before.CentroidDistance, $"collapse left {after.CentroidDistance}");
        Assert.True(after.MeanPairedCosine > before.MeanPairedCosine + 0.1);
    }

    [Fact]
    public void Collapse_falls_back_to_paired_data()
    {
        var (images, texts) = Fit;
        var a = new BridgePipelineBuilder().AddCollapse().Build();
        var b = new BridgePipelineBuilder().AddCollapse().Build();
        a.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images });
        b.Fit(new BridgeFitData { PairedTexts = texts, PairedImages = images });
        Assert.Equal(a.TransformForInference(Eval.Images).Array, b.TransformForInference(Eval.Images).Array);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GaussianNoise_matches_reference(bool renormalize)
    {
        var sigma = 0.3;
        var bridge = new BridgePipelineBuilder().AddGaussianNoise(new GaussianNoiseOptions { Sigma = sigma, Renormalize = renormalize }).Build();
        var texts = Eval.Texts;
        var train = bridge.TransformForTraining(texts, new Random(42));

        // The same draws, in the same order (row-major, all at once).
        var noise = new float[texts.Rows * D];
        Gaussian.Fill(new Random(42), noise);
        for (var i = 0; i < texts.Rows; i++)
        {
            var t = Reference.Normalize(texts.Row(i));
            var x = t.Select((value, j) => value + sigma * noise[i * D + j]).ToArray();
            Reference.AssertRowClose(renormalize ? Reference.Normalize(x) : x, train.Row(i), 1e-5, $"row {i}");
        }

        // Inference only normalises.
        var infer = bridge.TransformForInference(Eval.Images);
        Reference.AssertRowClose(Reference.Normalize(Eval.Images.Row(3)), infer.Row(3), Atol, "inference");
    }

    [Fact]
    public void GaussianNoise_has_the_requested_standard_deviation()
    {
        var sigma = GaussianNoiseOptions.CapDecSigma;
        var bridge = BridgePresets.Create(BridgePreset.CapDec); // not renormalised
        var texts = TestData.Random(2000, 64, seed: 3);
        var noisy = bridge.TransformForTraining(texts, new Random(7));
        double sum = 0, sumSq = 0;
        for (var i = 0; i < texts.Rows; i++)
        {
            var t = Reference.Normalize(texts.Row(i));
            for (var j = 0; j < 64; j++)
            {
                var e = noisy.Row(i)[j] - t[j];
                sum += e;
                sumSq += e * e;
            }
        }

        var count = 2000.0 * 64;
        var std = Math.Sqrt(sumSq / count - Math.Pow(sum / count, 2));
        Assert.InRange(sum / count, -0.003, 0.003);
        Assert.InRange(std, sigma * 0.99, sigma * 1.01);
    }

    [Fact]
    public void MeanShift_matches_reference()
    {
        var (fitImages, fitTexts) = Fit;
        var scale = 0.7;
        var bridge = new BridgePipelineBuilder().AddMeanShift(new MeanShiftOptions { Scale = scale }).Build();
        bridge.Fit(new BridgeFitData { UnpairedTexts = fitTexts, UnpairedImages = fitImages });
        var muT = Reference.NormalizedMean(fitTexts);
        var muV = Reference.NormalizedMean(fitImages);
        var texts = Eval.Texts;
        var train = bridge.TransformForTraining(texts, new Random(0));
        for (var i = 0; i < texts.Rows; i++)
        {
            var t = Reference.Normalize(texts.Row(i));
            var x = t.Select((value, j) => value + scale * (muV[j] - muT[j])).ToArray();
            Reference.AssertRowClose(Reference.Normalize(x), train.Row(i), Atol, $"row {i}");
        }
    }

    [Theory]
    [InlineData(60, 0.1, true)]  // more pairs than dimensions
    [InlineData(10, 0.5, true)]  // fewer pairs than dimensions: only the ridge makes it solvable
    [InlineData(60, 0.0, false)] // plain least squares, no bias
    public void LinearAdapter_matches_reference_ridge_solution(int pairs, double lambda, bool bias)
    {
        var (images, texts) = TestData.Paired(pairs, D, seed: 5);
        var bridge = new BridgePipelineBuilder().AddLinearAdapter(new LinearAdapterOptions { Lambda = lambda, FitBias = bias }).Build();
        bridge.Fit(new BridgeFitData { PairedTexts = texts, PairedImages = images });

        // Reference: normal equations (XᵀX + λ·I', XᵀY) built with plain loops, solved by Gaussian elimination.
        var p = bias ? D + 1 : D;
        var x = new double[pairs, p];
        var y = new double[pairs, D];
        for (var i = 0; i < pairs; i++)
        {
            var t = Reference.Normalize(texts.Row(i));
            var v = Reference.Normalize(images.Row(i));
            for (var j = 0; j < D; j++)
            {
                x[i, j] = t[j];
                y[i, j] = v[j];
            }

            if (bias)
            {
                x[i, D] = 1;
            }
        }

        var a = new double[p, p];
        var b = new double[p, D];
        for (var r = 0; r < p; r++)
        {
            for (var c = 0; c < p; c++)
            {
                for (var i = 0; i < pairs; i++)
                {
                    a[r, c] += x[i, r] * x[i, c];
                }
            }

            for (var c = 0; c < D; c++)
            {
                for (var i = 0; i < pairs; i++)
                {
                    b[r, c] += x[i, r] * y[i, c];
                }
            }

            if (r < D)
            {
                a[r, r] += lambda;
            }
        }

        var theta = Reference.Solve(a, b);
        var eval = Eval.Texts;
        var train = bridge.TransformForTraining(eval, new Random(0));
        for (var i = 0; i < eval.Rows; i++)
        {
            var t = Reference.Normalize(eval.Row(i));
            var z = new double[D];
            for (var c = 0; c < D; c++)
            {
                z[c] = bias ? theta[D, c] : 0;
                for (var r = 0; r < D; r++)
                {
                    z[c] += t[r] * theta[r, c];
                }
            }

            Reference.AssertRowClose(Reference.Normalize(z), train.Row(i), 2e-4, $"row {i}"); // float32 GEMM of the normal equations
        }
    }

    [Theory]
    [InlineData(80, 1.0, 0.0, true)]
    [InlineData(10, 3.0, 0.05, true)] // rank-deficient covariance: needs the jitter
    [InlineData(40, 0.5, 0.1, false)]
    public void CovarianceNoise_matches_reference(int pairs, double scale, double w, bool addMean)
    {
        var (images, texts) = TestData.Paired(pairs, D, seed: 9);
        var options = new CovarianceNoiseOptions { Scale = scale, IsotropicSigma = w, AddMean = addMean };
        var bridge = new CovarianceNoiseBridge(options);
        bridge.Fit(new BridgeFitData { PairedTexts = texts, PairedImages = images });

        // Reference Σ_Δ with plain loops; the bridge's exported factor must reproduce Σ_Δ + εI.
        var delta = new double[pairs][];
        var mean = new double[D];
        for (var i = 0; i < pairs; i++)
        {
            var v = Reference.Normalize(images.Row(i));
            var t = Reference.Normalize(texts.Row(i));
            delta[i] = v.Zip(t, (a, b) => a - b).ToArray();
            for (var j = 0; j < D; j++)
            {
                mean[j] += delta[i][j] / pairs;
            }
        }

        var state = bridge.ExportState();
        var factor = state.Tensors["covariance_factor"].Values;
        for (var r = 0; r < D; r++)
        {
            for (var c = 0; c <= r; c++)
            {
                double sigma = 0, llt = 0;
                for (var i = 0; i < pairs; i++)
                {
                    sigma += (delta[i][r] - mean[r]) * (delta[i][c] - mean[c]) / (pairs - 1);
                }

                for (var k = 0; k < D; k++)
                {
                    llt += (double)factor[r * D + k] * factor[c * D + k];
                }

                var expected = sigma + (r == c ? bridge.AppliedJitter : 0);
                Assert.True(Math.Abs(llt - expected) < 1e-5, $"(L·Lᵀ)[{r},{c}] = {llt}, Σ_Δ + εI = {expected}");
                if (c < r)
                {
                    Assert.Equal(0f, factor[c * D + r]);
                }
            }
        }

        Assert.Equal(pairs <= D, bridge.AppliedJitter > 0);

        // The transform with the same draws: all g first, then all ε.
        var eval = Eval.Texts;
        var train = bridge.TransformForTraining(eval, new Random(11));
        var rng = new Random(11);
        var g = new float[eval.Rows * D];
        Gaussian.Fill(rng, g);
        var eps = new float[eval.Rows * D];
        if (w > 0)
        {
            Gaussian.Fill(rng, eps);
        }

        for (var i = 0; i < eval.Rows; i++)
        {
            var t = Reference.Normalize(eval.Row(i));
            var x = new double[D];
            for (var j = 0; j < D; j++)
            {
                double z = 0;
                for (var k = 0; k < D; k++)
                {
                    z += (double)factor[j * D + k] * g[i * D + k];
                }

                x[j] = t[j] + (addMean ? mean[j] : 0) + scale * z + w * eps[i * D + j];
            }

            Reference.AssertRowClose(Reference.Normalize(x), train.Row(i), 2e-5, $"row {i}");
        }
    }

    [Fact]
    public void Noise_strategies_are_deterministic_given_the_seed()
    {
        var (images, texts) = Fit;
        foreach (var preset in new[] { BridgePreset.C3, BridgePreset.CloseCovariance, BridgePreset.CloseLinear })
        {
            var bridge = BridgePresets.Create(preset);
            bridge.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images, PairedTexts = texts, PairedImages = images });
            var a = bridge.TransformForTraining(Eval.Texts, new Random(123));
            var b = bridge.TransformForTraining(Eval.Texts, new Random(123));
            var c = bridge.TransformForTraining(Eval.Texts, new Random(124));
            Assert.Equal(a.Array, b.Array);
            Assert.NotEqual(a.Array, c.Array);
        }
    }

    [Fact]
    public void Pipeline_applies_stages_in_order()
    {
        var (images, texts) = Fit;
        var data = new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images };
        var c3 = BridgePresets.Create(BridgePreset.C3);
        c3.Fit(data);
        var collapse = new BridgePipelineBuilder().AddCollapse().Build();
        collapse.Fit(data);
        var noise = new BridgePipelineBuilder().AddGaussianNoise().Build();

        var expected = noise.TransformForTraining(collapse.TransformForTraining(Eval.Texts, new Random(5)), new Random(5));
        Assert.Equal(expected.Array, c3.TransformForTraining(Eval.Texts, new Random(5)).Array);
        // The noise stage re-normalises at inference, which may change the last bit of unit vectors.
        var collapsed = collapse.TransformForInference(Eval.Images).Array.Select(x => (double)x).ToArray();
        Reference.AssertClose(collapsed, c3.TransformForInference(Eval.Images).Array, 1e-7, 0, "inference");
        Assert.Equal("collapse+gaussian_noise", c3.Name);
    }

    [Fact]
    public void Empty_pipeline_only_normalises()
    {
        var c1 = BridgePresets.Create(BridgePreset.C1);
        Assert.True(c1.IsFitted);
        var x = c1.TransformForInference(Eval.Images);
        Reference.AssertRowClose(Reference.Normalize(Eval.Images.Row(5)), x.Row(5), Atol, "row 5");
        Assert.Equal("identity", c1.Name);
    }

    [Theory]
    [InlineData("c3", BridgePreset.C3)]
    [InlineData("C2-Collapse", BridgePreset.C2Collapse)]
    [InlineData("close_linear", BridgePreset.CloseLinear)]
    [InlineData("syntic", BridgePreset.SynTic)]
    public void Preset_names_parse(string name, BridgePreset expected) => Assert.Equal(expected, BridgePresets.Parse(name));

    [Fact]
    public void Unknown_preset_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => BridgePresets.Parse("c4"));
        Assert.Contains("c4", e.Message, StringComparison.Ordinal);
        Assert.Contains("closecovariance", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_preset_fits_and_transforms()
    {
        var (images, texts) = Fit;
        var data = new BridgeFitData
        {
            UnpairedTexts = texts, UnpairedImages = images, PairedTexts = texts, PairedImages = images,
            SupportTexts = texts, PseudoImages = images, PseudoImageTexts = texts,
        };
        foreach (var preset in Enum.GetValues<BridgePreset>())
        {
            var bridge = BridgePresets.Create(preset);
            bridge.Fit(data);
            var x = bridge.TransformForTraining(Eval.Texts, new Random(1));
            var y = bridge.TransformForInference(Eval.Images);
            Assert.Equal((Eval.Texts.Rows, D), (x.Rows, x.Dimension));
            Assert.Equal((Eval.Images.Rows, D), (y.Rows, y.Dimension));
            for (var i = 0; i < y.Rows; i++)
            {
                var norm = Math.Sqrt(y.Row(i).ToArray().Sum(v => (double)v * v));
                Assert.True(Math.Abs(norm - 1) < 1e-5, $"{preset}: inference row {i} has norm {norm}");
            }
        }
    }
}
