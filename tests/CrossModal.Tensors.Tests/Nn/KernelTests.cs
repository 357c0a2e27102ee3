using System;
using System.Linq;
using CrossModal.Tensors.Cpu.Kernels;
using CrossModal.Tensors.Tests.Reference;
using Xunit;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>Fast span kernels against their slow scalar twins over many shapes, and their argument errors.</summary>
public class KernelTests
{
    // fp32 kernels vs double-precision twins over rows of up to a few hundred elements.
    private const float Atol = 1e-5f;
    private const float Rtol = 1e-4f;

    public static TheoryData<int, int> RowShapes => new() { { 1, 1 }, { 3, 2 }, { 2, 7 }, { 5, 16 }, { 4, 33 }, { 3, 257 } };

    [Theory]
    [MemberData(nameof(RowShapes))]
    public void LayerNorm_matches_scalar_twin(int n, int c)
    {
        var rng = new Random(n * 1000 + c);
        var x = Random(rng, n * c, 3f, 1f);
        var w = Random(rng, c, 1f, 1f);
        var b = Random(rng, c, 1f);
        var dout = Random(rng, n * c, 1f);
        var output = new float[n * c];
        var mean = new float[n];
        var rstd = new float[n];
        LayerNorm.Forward(output, mean, rstd, x, w, b, n, c, 1e-5f);
        var expected = new float[n * c];
        NnReferenceKernels.LayerNormForward(expected, x, w, b, n, c, 1e-5f);
        Assertions.Close(expected, output, Atol, Rtol, "out");

        var (dx, dw, db) = (new float[n * c], new float[c], new float[c]);
        var (ex, ew, eb) = (new float[n * c], new float[c], new float[c]);
        LayerNorm.Backward(dx, dw, db, dout, x, w, mean, rstd, n, c);
        NnReferenceKernels.LayerNormBackward(ex, ew, eb, dout, x, w, n, c, 1e-5f);
        Assertions.Close(ex, dx, 1e-4f, 1e-3f, "dx");
        Assertions.Close(ew, dw, Atol, Rtol, "dweight");
        Assertions.Close(eb, db, Atol, Rtol, "dbias");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(67)]
    [InlineData(1031)]
    [InlineData(3 * 4096 + 37)] // several of GELU's cache blocks and a partial one
    [InlineData(70_001)] // split over the worker pool too
    public void Activations_match_scalar_twins_and_their_derivatives(int n)
    {
        var rng = new Random(n);
        var x = Random(rng, n, 4f);
        var dout = Random(rng, n, 1f);
        var output = new float[n];
        var dx = new float[n];
        Check(Gelu.Forward, Gelu.Backward, NnReferenceKernels.Gelu, "gelu");
        Check(QuickGelu.Forward, QuickGelu.Backward, NnReferenceKernels.QuickGelu, "quickgelu");
        Check(Tanh.Forward, (d, g, inp) => Tanh.Backward(d, g, output), Math.Tanh, "tanh");

        void Check(SpanAction forward, SpanBackward backward, Func<double, double> f, string what)
        {
            forward(output, x);
            backward(dx, dout, x);
            var expected = new float[n];
            var expectedDx = new float[n];
            for (var i = 0; i < n; i++)
            {
                expected[i] = (float)f(x[i]);
                expectedDx[i] = (float)(dout[i] * NnReferenceKernels.Derivative(f, x[i]));
            }

            Assertions.Close(expected, output, Atol, Rtol, what);

            // The central difference is accurate to ~1e-9 in double; the tolerance covers fp32 tanh/exp.
            Assertions.Close(expectedDx, dx, 1e-5f, 1e-4f, what + " backward");
        }
    }

    [Theory]
    [InlineData(1, 3, 4, 1, true, false)]
    [InlineData(2, 5, 8, 2, true, true)]
    [InlineData(2, 6, 12, 3, false, true)]
    [InlineData(3, 17, 32, 4, false, false)]
    [InlineData(1, 33, 64, 8, true, false)]
    public void Attention_matches_scalar_twin(int b, int t, int c, int nh, bool causal, bool padded)
    {
        var rng = new Random(b * 100 + t);
        var qkv = Random(rng, b * t * 3 * c, 1f);
        var mask = padded ? new byte[b * t] : [];
        for (var i = 0; i < mask.Length; i++)
        {
            mask[i] = (byte)(i % t == 0 || rng.NextDouble() < 0.7 ? 1 : 0);
        }

        var output = new float[b * t * c];
        var att = new float[b * nh * t * t];
        Attention.Forward(output, att, qkv, mask, causal, b, t, c, nh);
        var expected = new float[b * t * c];
        NnReferenceKernels.AttentionForward(expected, qkv, mask, causal, b, t, c, nh);
        Assertions.Close(expected, output, Atol, Rtol, "out");

        // Backward against a central difference of Σ dout ⊙ attention(qkv) on a few coordinates.
        var dout = Random(rng, b * t * c, 1f);
        var dqkv = new float[qkv.Length];
        Attention.Backward(dqkv, dout, qkv, att, b, t, c, nh);
        for (var probe = 0; probe < 12; probe++)
        {
            var k = rng.Next(qkv.Length);
            var numeric = CentralDifference(qkv, k, 1e-2f, () =>
            {
                NnReferenceKernels.AttentionForward(expected, qkv, mask, causal, b, t, c, nh);
                double s = 0;
                for (var i = 0; i < expected.Length; i++)
                {
                    s += (double)dout[i] * expected[i];
                }

                return s;
            });
            Assert.True(Math.Abs(numeric - dqkv[k]) <= 2e-3 + 2e-3 * Math.Abs(numeric), $"dqkv[{k}] = {dqkv[k]}, numeric {numeric}");
        }
    }

    [Theory]
    [InlineData(1, 1, 0f)]
    [InlineData(4, 10, 0f)]
    [InlineData(6, 97, 0.1f)]
    [InlineData(3, 9000, 0.2f)]
    public void Cross_entropy_matches_scalar_twin_and_its_gradient(int n, int v, float smoothing)
    {
        var rng = new Random(n + v);
        var logits = Random(rng, n * v, 5f);
        var targets = new int[n];
        for (var i = 0; i < n; i++)
        {
            targets[i] = i == 1 ? -100 : rng.Next(v);
        }

        var losses = new float[n];
        var lse = new float[n];
        var loss = CrossEntropy.Forward(losses, lse, logits, targets, n, v, -100, smoothing);
        var expected = NnReferenceKernels.CrossEntropy(logits, targets, n, v, -100, smoothing);
        Assert.True(Math.Abs(loss - expected) <= 1e-5 + 1e-5 * Math.Abs(expected), $"loss {loss} vs {expected}");

        var dlogits = new float[n * v];
        CrossEntropy.Backward(dlogits, logits, lse, targets, n, v, -100, smoothing, 1f);
        for (var probe = 0; probe < 8; probe++)
        {
            var k = rng.Next(n * v);
            var numeric = CentralDifference(logits, k, 1e-2f, () => NnReferenceKernels.CrossEntropy(logits, targets, n, v, -100, smoothing));
            Assert.True(Math.Abs(numeric - dlogits[k]) <= 1e-4 + 1e-3 * Math.Abs(numeric), $"dlogits[{k}] = {dlogits[k]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Inputs_large_enough_to_split_across_threads_match_scalar_twins()
    {
        var rng = new Random(11);

        // Activations: 3·2¹⁵ + 5 elements, so parts end off a 16-element boundary.
        var n = (3 << 15) + 5;
        var x = Random(rng, n, 4f);
        var dout = Random(rng, n, 1f);
        var (y, dx) = (new float[n], new float[n]);
        Gelu.Forward(y, x);
        Gelu.Backward(dx, dout, x);
        var (ey, edx) = (new float[n], new float[n]);
        for (var i = 0; i < n; i++)
        {
            ey[i] = (float)NnReferenceKernels.Gelu(x[i]);
            edx[i] = (float)(dout[i] * NnReferenceKernels.Derivative(NnReferenceKernels.Gelu, x[i]));
        }

        Assertions.Close(ey, y, Atol, Rtol, "gelu");
        Assertions.Close(edx, dx, 1e-5f, 1e-4f, "gelu backward");

        // Cross-entropy: 64 rows of 5,000 classes.
        var (rows, v) = (64, 5000);
        var logits = Random(rng, rows * v, 5f);
        var targets = new int[rows];
        for (var i = 0; i < rows; i++)
        {
            targets[i] = i % 9 == 4 ? -100 : rng.Next(v);
        }

        var lse = new float[rows];
        var loss = CrossEntropy.Forward(new float[rows], lse, logits, targets, rows, v, -100, 0.1f);
        var expected = NnReferenceKernels.CrossEntropy(logits, targets, rows, v, -100, 0.1);
        Assert.True(Math.Abs(loss - expected) <= 1e-5 * Math.Abs(expected), $"loss {loss} vs {expected}");
        var dlogits = new float[rows * v];
        CrossEntropy.Backward(dlogits, logits, lse, targets, rows, v, -100, 0.1f, 1f);
        var count = targets.Count(t => t != -100);
        for (var probe = 0; probe < 32; probe++)
        {
            var r = rng.Next(rows);
            var j = rng.Next(v);
            double expectedGrad = 0;
            if (targets[r] != -100)
            {
                expectedGrad = (Math.Exp(logits[r * v + j] - lse[r]) - (0.1 / v) - (j == targets[r] ? 0.9 : 0)) / count;
            }

            Assert.True(Math.Abs(dlogits[r * v + j] - expectedGrad) <= 1e-7 + 1e-4 * Math.Abs(expectedGrad), $"dlogits[{r}, {j}]");
        }

        // AdamW over 70,001 parameters.
        var p = Random(rng, 70_001, 1f);
        var g = Random(rng, p.Length, 1f);
        var (m, mv) = (new float[p.Length], new float[p.Length]);
        var (ep, em, ev) = ((float[])p.Clone(), new float[p.Length], new float[p.Length]);
        Optimizers.AdamW(p, g, m, mv, 0.01f, 0.9f, 0.95f, 1e-8f, 0.1f, 1);
        NnReferenceKernels.AdamW(ep, g, em, ev, 0.01, 0.9, 0.95, 1e-8, 0.1, 1);
        Assertions.Close(ep, p, 1e-6f, 1e-5f, "adamw");
    }

    [Fact]
    public void Cross_entropy_with_every_target_ignored_is_zero_with_zero_gradient()
    {
        var logits = new float[] { 1, 2, 3, 4, 5, 6 };
        var loss = CrossEntropy.Forward(new float[2], new float[2], logits, [-1, -1], 2, 3, -1, 0f);
        Assert.Equal(0f, loss);
        var d = new float[6];
        d.AsSpan().Fill(9f);
        CrossEntropy.Backward(d, logits, new float[2], [-1, -1], 2, 3, -1, 0f, 1f);
        Assert.All(d, x => Assert.Equal(0f, x));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(23)]
    public void AdamW_matches_scalar_twin_over_steps(int n)
    {
        var rng = new Random(n);
        var p = Random(rng, n * 9, 1f);
        var (m, v) = (new float[p.Length], new float[p.Length]);
        var (ep, em, ev) = ((float[])p.Clone(), new float[p.Length], new float[p.Length]);
        for (var step = 1; step <= 5; step++)
        {
            var g = Random(rng, p.Length, 1f);
            Optimizers.AdamW(p, g, m, v, 0.01f, 0.9f, 0.95f, 1e-8f, 0.1f, step);
            NnReferenceKernels.AdamW(ep, g, em, ev, 0.01, 0.9, 0.95, 1e-8, 0.1, step);
        }

        Assertions.Close(ep, p, 1e-6f, 1e-5f, "param");
        Assertions.Close(em, m, 1e-6f, 1e-5f, "m");
        Assertions.Close(ev, v, 1e-6f, 1e-5f, "v");
    }

    [Fact]
    public void Dropout_keeps_about_one_minus_p_scales_survivors_and_repeats_per_seed()
    {
        const int N = 20000;
        var x = new float[N];
        x.AsSpan().Fill(2f);
        var (out1, mask1, out2, mask2) = (new float[N], new float[N], new float[N], new float[N]);
        Dropout.Forward(out1, mask1, x, 0.25f, 77);
        Dropout.Forward(out2, mask2, x, 0.25f, 77);
        Assert.Equal(out1, out2);
        var kept = 0;
        foreach (var y in out1)
        {
            Assert.True(y == 0f || Math.Abs(y - (2f / 0.75f)) < 1e-6f, $"unexpected output {y}");
            kept += y == 0f ? 0 : 1;
        }

        Assert.InRange(kept / (double)N, 0.74, 0.76);
        Dropout.Forward(out2, mask2, x, 0.25f, 78);
        Assert.NotEqual(out1, out2);

        var dx = new float[N];
        Dropout.Backward(dx, x, mask1);
        Assert.Equal(out1, dx);
    }

    [Fact]
    public void Kernels_name_the_argument_that_is_wrong()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Embedding.Forward(new float[4], [0, 5], new float[10], 2, 2, 5));
        Assert.Equal("ids", e.ParamName);
        Assert.Contains("ids[1] = 5 is outside [0, 5)", e.Message, StringComparison.Ordinal);

        var l = Assert.Throws<ArgumentException>(() => LayerNorm.Forward(new float[5], new float[1], new float[1], new float[6], new float[6], new float[6], 1, 6, 1e-5f));
        Assert.Equal("output", l.ParamName);

        var a = Assert.Throws<ArgumentException>(() => Attention.Forward(new float[6], new float[4], new float[18], [], true, 1, 2, 3, 2));
        Assert.Equal("heads", a.ParamName);

        var c = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Forward(new float[1], new float[1], new float[3], [3], 1, 3, -100, 0f));
        Assert.Equal("targets", c.ParamName);
    }

    internal static float[] Random(Random rng, int count, float scale, float offset = 0f)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = offset + (float)((rng.NextDouble() * 2 - 1) * scale);
        }

        return values;
    }

    private static double CentralDifference(float[] x, int k, float h, Func<double> f)
    {
        var saved = x[k];
        x[k] = saved + h;
        var plus = f();
        x[k] = saved - h;
        var minus = f();
        x[k] = saved;
        return (plus - minus) / ((double)(saved + h) - (saved - h));
    }

    private delegate void SpanAction(Span<float> output, ReadOnlySpan<float> input);

    private delegate void SpanBackward(Span<float> dinput, ReadOnlySpan<float> doutput, ReadOnlySpan<float> input);
}
