using System;
using System.Linq;
using CrossModal.Abstractions;
using Xunit;

namespace CrossModal.Bridging.Tests;

/// <summary>SynTIC's InfoNCE alignment: the analytic gradient, the descent, and the bridge's training lookup.</summary>
public class SyntheticPairAlignmentTests
{
    /// <summary>The symmetric InfoNCE loss written out in double.</summary>
    private static double ReferenceLoss(double[] v, double[] t, int b, int d, double tau)
    {
        var s = new double[b, b];
        for (var i = 0; i < b; i++)
        {
            for (var j = 0; j < b; j++)
            {
                for (var c = 0; c < d; c++)
                {
                    s[i, j] += v[i * d + c] * t[j * d + c] / tau;
                }
            }
        }

        double loss = 0;
        for (var i = 0; i < b; i++)
        {
            double row = 0, col = 0;
            for (var j = 0; j < b; j++)
            {
                row += Math.Exp(s[i, j]);
                col += Math.Exp(s[j, i]);
            }

            loss += 0.5 * (Math.Log(row) - s[i, i]) + 0.5 * (Math.Log(col) - s[i, i]);
        }

        return loss;
    }

    [Fact]
    public void Analytic_gradient_matches_finite_differences()
    {
        const int b = 6, d = 5;
        const float tau = 0.5f;
        var v = TestData.Random(b, d, seed: 20).Array;
        var t = TestData.Random(b, d, seed: 21).Array;
        var gradient = new float[b * d];
        var loss = SyntheticPairAlignment.LossAndGradient(v, t, b, d, tau, gradient);

        var vd = v.Select(x => (double)x).ToArray();
        var td = t.Select(x => (double)x).ToArray();
        Assert.True(Math.Abs(loss - ReferenceLoss(vd, td, b, d, tau)) < 1e-4, $"loss {loss}");
        const double h = 1e-5;
        for (var k = 0; k < b * d; k++)
        {
            var plus = (double[])vd.Clone();
            var minus = (double[])vd.Clone();
            plus[k] += h;
            minus[k] -= h;
            var numeric = (ReferenceLoss(plus, td, b, d, tau) - ReferenceLoss(minus, td, b, d, tau)) / (2 * h);
            Assert.True(Math.Abs(gradient[k] - numeric) < 1e-4 + 1e-3 * Math.Abs(numeric), $"∂L/∂v[{k}] = {gradient[k]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Alignment_lowers_the_loss_and_moves_features_toward_their_texts()
    {
        var (images, texts) = TestData.Paired(64, 16, seed: 22);
        var v = Normalized(images);
        var t = Normalized(texts);
        var aligned = new float[v.Length];
        var options = new SyntheticPairAlignmentOptions { Steps = 20, StepSize = 0.02, Temperature = 0.1, BatchSize = 32 };
        var losses = SyntheticPairAlignment.Align(aligned, v, t, 64, 16, options);
        Assert.Equal(21, losses.Length);
        Assert.True(losses[^1] < 0.8 * losses[0], $"loss went from {losses[0]} to {losses[^1]}");
        Assert.True(MeanPairedCosine(aligned, t, 64, 16) > MeanPairedCosine(v, t, 64, 16) + 0.05);

        // Steps = 0 leaves the features untouched.
        var untouched = new float[v.Length];
        SyntheticPairAlignment.Align(untouched, v, t, 64, 16, new SyntheticPairAlignmentOptions { Steps = 0 });
        Assert.Equal(v, untouched);
    }

    [Fact]
    public void Bridge_trains_on_projected_aligned_pseudo_features()
    {
        var (pseudo, texts) = TestData.Paired(40, 16, seed: 23);
        var options = new SyntheticPairAlignmentOptions { Steps = 5 };
        var bridge = new BridgePipelineBuilder().AddSyntheticPairAlignment(options).Build();
        bridge.Fit(new BridgeFitData { PseudoImages = pseudo, PseudoImageTexts = texts });

        // Reference: align with the public kernel, then project onto the (normalised) pseudo texts.
        var t = Normalized(texts);
        var aligned = new float[t.Length];
        SyntheticPairAlignment.Align(aligned, Normalized(pseudo), t, 40, 16, options);
        var projected = new float[t.Length];
        SupportSetProjection.Project(projected, aligned, 40, t, 40, 16, 0.01f, 0);

        var train = bridge.TransformForTraining(texts.SliceRows(7, 3), new Random(0));
        // Same algorithm; the reference normalised its inputs in double, so allow float round-off.
        Reference.AssertClose(projected.AsSpan(7 * 16, 3 * 16).ToArray().Select(x => (double)x).ToArray(), train.Array, 1e-4, 0, "training features");

        // A text outside the pseudo pairs is projected like an image.
        var stranger = TestData.Random(1, 16, seed: 24);
        Assert.Equal(bridge.TransformForInference(stranger).Array, bridge.TransformForTraining(stranger, new Random(0)).Array);
    }

    private static float[] Normalized(EmbeddingMatrix m) =>
        Enumerable.Range(0, m.Rows).SelectMany(i => Reference.Normalize(m.Row(i)).Select(x => (float)x)).ToArray();

    private static double MeanPairedCosine(float[] a, float[] b, int n, int d)
    {
        double sum = 0;
        for (var i = 0; i < n; i++)
        {
            var na = Reference.Normalize(a.AsSpan(i * d, d));
            sum += Reference.Dot(na, Reference.Normalize(b.AsSpan(i * d, d)).Select(x => (float)x).ToArray());
        }

        return sum / n;
    }
}
