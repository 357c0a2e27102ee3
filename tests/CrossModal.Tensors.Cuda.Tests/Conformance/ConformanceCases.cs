using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Tensors.Cuda.Tests.Conformance;

/// <summary>
/// The conformance suite of <see cref="IComputeBackend"/>: every operation against PyTorch 1.13 fixtures where they
/// exist and against double-precision references elsewhere, with tiny shapes (the CPU test device runs one OS thread per
/// simulated GPU thread). The same cases run on the CPU backend, on the CUDA backend on ILGPU's CPU accelerator and on
/// a real GPU.
/// </summary>
public static partial class ConformanceCases
{
    /// <summary>Every case, in a stable order: the operation cases, then end-to-end training.</summary>
    public static IReadOnlyList<ConformanceCase> All => [.. Operations, Training];

    /// <summary>The end-to-end case: a few captioner training steps give the CPU backend's losses.</summary>
    public static ConformanceCase Training { get; } = new("captioner_training_losses_equal_the_cpu_backend", CaptionerTraining);

    /// <summary>The cases of single operations.</summary>
    public static IReadOnlyList<ConformanceCase> Operations { get; } =
    [
        new("matmul_transposes_alpha_beta", MatMulTransposesAlphaBeta),
        new("matmul_batched", MatMulBatched),
        new("elementwise_and_reductions_on_views", ElementwiseAndReductionsOnViews),
        new("linear", b => Linear(b, "linear")),
        new("linear_nobias", b => Linear(b, "linear_nobias")),
        new("layernorm", b => LayerNorm(b, "layernorm")),
        new("layernorm_eps", b => LayerNorm(b, "layernorm_eps")),
        new("embedding_and_positions", Embedding),
        new("gelu", b => ActivationCase(b, "gelu", Activation.Gelu)),
        new("quickgelu", b => ActivationCase(b, "quickgelu", Activation.QuickGelu)),
        new("tanh", b => ActivationCase(b, "tanh", Activation.Tanh)),
        new("softmax", Softmax),
        new("online_softmax_step", OnlineSoftmax),
        new("attention_causal", b => Attention(b, "attention_causal", true)),
        new("attention_causal_padded", b => Attention(b, "attention_causal_padded", true)),
        new("attention_bidirectional", b => Attention(b, "attention_bidirectional", false)),
        new("attention_bidirectional_padded", b => Attention(b, "attention_bidirectional_padded", false)),
        new("cached_attention_equals_causal_attention", CachedAttention),
        new("dropout_mask_equals_the_cpu_kernel", Dropout),
        new("cross_entropy", b => CrossEntropy(b, "cross_entropy")),
        new("cross_entropy_smoothed", b => CrossEntropy(b, "cross_entropy_smoothed")),
        new("weighted_cross_entropy", WeightedCrossEntropy),
        new("l2_normalisation", L2Normalization),
        new("contrastive", b => Contrastive(b, "contrastive")),
        new("contrastive_clamped", b => Contrastive(b, "contrastive_clamped")),
        new("conv_k1_s1_p0", b => Convolution(b, "conv_k1_s1_p0")),
        new("conv_k3_s1_p0", b => Convolution(b, "conv_k3_s1_p0")),
        new("conv_k3_s1_p1", b => Convolution(b, "conv_k3_s1_p1")),
        new("conv_k3_s2_p1", b => Convolution(b, "conv_k3_s2_p1")),
        new("conv_k5_s2_p2_nobias", b => Convolution(b, "conv_k5_s2_p2_nobias")),
        new("maxpool_k2_s2", b => MaxPooling(b, "maxpool_k2_s2")),
        new("maxpool_k2_s2_odd", b => MaxPooling(b, "maxpool_k2_s2_odd")),
        new("maxpool_k3_s2", b => MaxPooling(b, "maxpool_k3_s2")),
        new("adamw", AdamW),
        new("sgd_momentum", Sgd),
        new("argument_errors", ArgumentErrors),
    ];

    /// <summary>The case named <paramref name="name"/>.</summary>
    public static ConformanceCase Named(string name) => All.Single(c => c.Name == name);

    private static float[] Random(int count, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        }

        return values;
    }

    private static void MatMulTransposesAlphaBeta(IComputeBackend backend)
    {
        // Sizes that are not multiples of the 16-wide tile, so edge tiles are exercised.
        const int M = 19, N = 21, K = 35;
        foreach (var (ta, tb) in new[] { (false, false), (true, false), (false, true), (true, true) })
        {
            foreach (var (alpha, beta) in new[] { (1f, 0f), (0.5f, 2f) })
            {
                var a = Random(M * K, 1);
                var b = Random(K * N, 2);
                var c = Random(M * N, 3);
                if (beta == 0f)
                {
                    // β = 0 must ignore C's contents, even NaN.
                    Array.Fill(c, float.NaN);
                }

                var expected = NaiveGemm(ta, tb, M, N, K, alpha, a, b, beta, c);
                var ct = Check.Upload(backend, c, M, N);
                backend.MatMul(ct, Check.Upload(backend, a, ta ? K : M, ta ? M : K), ta, Check.Upload(backend, b, tb ? N : K, tb ? K : N), tb, alpha, beta);
                Check.Close(expected, ct.ToArray(), Check.ForwardTolerance, $"A{(ta ? "ᵀ" : "")}·B{(tb ? "ᵀ" : "")} α={alpha} β={beta}");
            }
        }
    }

    private static void MatMulBatched(IComputeBackend backend)
    {
        const int Batch = 3, M = 9, N = 17, K = 20;
        var a = Random(Batch * M * K, 4);
        var b = Random(Batch * N * K, 5);
        var ct = backend.Allocate(Batch, M, N);
        backend.MatMul(ct, Check.Upload(backend, a, Batch, M, K), false, Check.Upload(backend, b, Batch, N, K), true);
        var expected = new float[Batch * M * N];
        for (var i = 0; i < Batch; i++)
        {
            NaiveGemm(false, true, M, N, K, 1f, a.AsSpan(i * M * K, M * K).ToArray(), b.AsSpan(i * N * K, N * K).ToArray(), 0f, new float[M * N]).CopyTo(expected, i * M * N);
        }

        Check.Close(expected, ct.ToArray(), Check.ForwardTolerance, "batched A·Bᵀ");
    }

    /// <summary>C = α·op(A)·op(B) + β·C in double, row-major.</summary>
    private static float[] NaiveGemm(bool ta, bool tb, int m, int n, int k, float alpha, float[] a, float[] b, float beta, float[] c)
    {
        var result = new float[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = 0;
                for (var p = 0; p < k; p++)
                {
                    var av = ta ? a[p * m + i] : a[i * k + p];
                    var bv = tb ? b[j * k + p] : b[p * n + j];
                    sum += (double)av * bv;
                }

                result[i * n + j] = (float)(alpha * sum + (beta == 0f ? 0 : beta * c[i * n + j]));
            }
        }

        return result;
    }

    private static void ElementwiseAndReductionsOnViews(IComputeBackend backend)
    {
        // Views at odd offsets into one storage, as models keep parameters.
        const int N = 300;
        var storage = backend.Allocate(3 * N + 7);
        var x = storage.View(3, N);
        var y = storage.View(3 + N, N);
        var z = storage.View(3 + 2 * N, N);
        var xs = Random(N, 6);
        var ys = Random(N, 7);
        x.CopyFrom(xs);
        y.CopyFrom(ys);
        backend.Add(destination: z, x: x, y: y);
        Check.Close(xs.Zip(ys, (p, q) => p + q).ToArray(), z.ToArray(), Check.ForwardTolerance, "add");
        backend.Axpy(z, 0.25f, x);
        Check.Close(xs.Zip(ys, (p, q) => p + q + 0.25f * p).ToArray(), z.ToArray(), Check.ForwardTolerance, "axpy");
        backend.Scale(z, -2f);
        Check.Close(xs.Zip(ys, (p, q) => -2f * (p + q + 0.25f * p)).ToArray(), z.ToArray(), Check.ForwardTolerance, "scale");
        backend.Copy(destination: z, source: x);
        Check.Close(xs, z.ToArray(), 0, "copy");
        Check.Close([(float)xs.Sum(v => (double)v)], [backend.Sum(x)], Check.ForwardTolerance, "sum");
        Check.Close([(float)xs.Sum(v => (double)v * v)], [(float)backend.SumOfSquares(x)], Check.ForwardTolerance, "sum of squares");
        backend.Fill(y, 1.5f);
        Check.Close(Enumerable.Repeat(1.5f, N).ToArray(), y.ToArray(), 0, "fill");

        // Neighbours of the views are untouched.
        var all = storage.ToArray();
        Check.Equal(0f, all[0] + all[1] + all[2] + all[^1], "elements outside the views");
        backend.Synchronize();
    }

    private static void Linear(IComputeBackend backend, string name)
    {
        var f = TorchFixture.Load(name);
        var x = f.Load(backend, "x");
        var w = f.Load(backend, "weight");
        var b = f.Has("bias") ? f.Load(backend, "bias") : null;
        var output = backend.Allocate(f.Shape("out"));
        backend.LinearForward(output, x, w, b);
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dx = backend.Allocate(x.Shape.ToArray());
        var dw = backend.Allocate(w.Shape.ToArray());
        var db = b is null ? null : backend.Allocate(b.Shape.ToArray());
        backend.LinearBackward(dx, dw, db, f.Load(backend, "dout"), x, w);
        Check.Close(f["dx"], dx.ToArray(), Check.GradientTolerance, "dx");
        Check.Close(f["dweight"], dw.ToArray(), Check.GradientTolerance, "dweight");
        if (db is not null)
        {
            Check.Close(f["dbias"], db.ToArray(), Check.GradientTolerance, "dbias");
        }
    }

    private static void LayerNorm(IComputeBackend backend, string name)
    {
        var f = TorchFixture.Load(name);
        var (n, c) = (f.Shape("x")[0], f.Shape("x")[1]);
        var x = f.Load(backend, "x");
        var w = f.Load(backend, "weight");
        var b = f.Load(backend, "bias");
        var output = backend.Allocate(n, c);
        var mean = backend.Allocate(n);
        var rstd = backend.Allocate(n);
        backend.LayerNormForward(output, mean, rstd, x, w, b, f.Scalar("eps"));
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dx = backend.Allocate(n, c);
        var dw = backend.Allocate(c);
        var db = backend.Allocate(c);
        backend.LayerNormBackward(dx, dw, db, f.Load(backend, "dout"), x, w, mean, rstd);
        Check.Close(f["dx"], dx.ToArray(), Check.GradientTolerance, "dx");
        Check.Close(f["dweight"], dw.ToArray(), Check.GradientTolerance, "dweight");
        Check.Close(f["dbias"], db.ToArray(), Check.GradientTolerance, "dbias");
    }

    private static void Embedding(IComputeBackend backend)
    {
        var f = TorchFixture.Load("embedding");
        var (b, t) = (f.Shape("ids")[0], f.Shape("ids")[1]);
        var ids = f.Ints("ids");
        var wte = f.Load(backend, "wte");
        var wpe = f.Load(backend, "wpe");
        var c = wte.Dim(1);
        var output = backend.Allocate(b * t, c);
        backend.EmbeddingForward(output, ids, wte);
        backend.AddPositionEmbedding(output, wpe, b, t);
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dwte = backend.Allocate(wte.Shape.ToArray());
        var dwpe = backend.Allocate(wpe.Shape.ToArray());
        var dout = f.Load(backend, "dout").Reshape(b * t, c);
        backend.EmbeddingBackward(dwte, dout, ids);
        backend.AddPositionEmbeddingBackward(dwpe, dout, b, t);
        Check.Close(f["dwte"], dwte.ToArray(), Check.GradientTolerance, "dwte");
        Check.Close(f["dwpe"], dwpe.ToArray(), Check.GradientTolerance, "dwpe");
    }

    private static void ActivationCase(IComputeBackend backend, string name, Activation kind)
    {
        var f = TorchFixture.Load(name);
        var x = f.Load(backend, "x");
        var output = backend.Allocate(x.Shape.ToArray());
        backend.ActivationForward(kind, output, x);
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dx = backend.Allocate(x.Shape.ToArray());
        backend.ActivationBackward(kind, dx, f.Load(backend, "dout"), x, output);
        Check.Close(f["dx"], dx.ToArray(), Check.GradientTolerance, "dx");
    }

    private static void Softmax(IComputeBackend backend)
    {
        var f = TorchFixture.Load("softmax");
        var x = f.Load(backend, "x");
        var output = backend.Allocate(x.Shape.ToArray());
        backend.SoftmaxForward(output, x);
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dx = backend.Allocate(x.Shape.ToArray());
        backend.SoftmaxBackward(dx, f.Load(backend, "dout"), output);
        Check.Close(f["dx"], dx.ToArray(), Check.GradientTolerance, "dx");
    }

    private static void Attention(IComputeBackend backend, string name, bool causal)
    {
        const int Heads = 2;
        var f = TorchFixture.Load(name);
        var shape = f.Shape("qkv");
        var (b, t, c) = (shape[0], shape[1], shape[2] / 3);
        var qkv = f.Load(backend, "qkv").Reshape(b * t, 3 * c);
        var mask = f.Has("key_mask") ? Array.ConvertAll(f["key_mask"], v => checked((byte)v)) : [];
        var output = backend.Allocate(b * t, c);
        var att = backend.Allocate(b, Heads, t, t);
        backend.AttentionForward(output, att, qkv, mask, causal, b, t, Heads);
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dqkv = backend.Allocate(b * t, 3 * c);
        backend.AttentionBackward(dqkv, f.Load(backend, "dout").Reshape(b * t, c), qkv, att, b, t, Heads);
        Check.Close(f["dqkv"], dqkv.ToArray(), Check.GradientTolerance, "dqkv");
    }

    private static void CachedAttention(IComputeBackend backend)
    {
        // Step-by-step cached decoding must reproduce full causal attention, position by position.
        const int B = 2, T = 5, C = 8, Heads = 2, MaxT = 7;
        var qkvValues = Random(B * T * 3 * C, 8);
        var full = backend.Allocate(B * T, C);
        backend.AttentionForward(full, backend.Allocate(B, Heads, T, T), Check.Upload(backend, qkvValues, B * T, 3 * C), [], true, B, T, Heads);
        var expected = full.ToArray();
        var keys = backend.Allocate(B, MaxT, C);
        var values = backend.Allocate(B, MaxT, C);
        var step = backend.Allocate(B, 3 * C);
        var output = backend.Allocate(B, C);
        var stepValues = new float[B * 3 * C];
        for (var position = 0; position < T; position++)
        {
            for (var bi = 0; bi < B; bi++)
            {
                qkvValues.AsSpan((bi * T + position) * 3 * C, 3 * C).CopyTo(stepValues.AsSpan(bi * 3 * C));
            }

            step.CopyFrom(stepValues);
            backend.CachedAttentionForward(output, keys, values, step, position, Heads);
            var actual = output.ToArray();
            for (var bi = 0; bi < B; bi++)
            {
                Check.Close(expected.AsSpan((bi * T + position) * C, C), actual.AsSpan(bi * C, C), Check.ForwardTolerance, $"sequence {bi} position {position}");
            }
        }
    }

    private static void Dropout(IComputeBackend backend)
    {
        const int N = 1000;
        const float P = 0.3f;
        const ulong Seed = 1234;
        var input = Random(N, 9);
        var expectedOutput = new float[N];
        var expectedMask = new float[N];
        Cpu.Kernels.Dropout.Forward(expectedOutput, expectedMask, input, P, Seed);
        var x = Check.Upload(backend, input, N);
        var output = backend.Allocate(N);
        var mask = backend.Allocate(N);
        backend.DropoutForward(output, mask, x, P, Seed);
        Check.Close(expectedMask, mask.ToArray(), 0, "mask");
        Check.Close(expectedOutput, output.ToArray(), Check.ForwardTolerance, "output");

        var dout = Random(N, 10);
        var dx = Check.Upload(backend, dout, N);
        backend.DropoutBackward(dx, dx, mask);
        Check.Close(dout.Zip(expectedMask, (g, m) => g * m).ToArray(), dx.ToArray(), Check.ForwardTolerance, "dinput in place");
    }

    private static void CrossEntropy(IComputeBackend backend, string name)
    {
        var f = TorchFixture.Load(name);
        var logits = f.Load(backend, "logits");
        var n = logits.Dim(0);
        var targets = f.Ints("targets");
        var smoothing = f.Scalar("label_smoothing");
        var losses = backend.Allocate(n);
        var lse = backend.Allocate(n);
        var loss = backend.CrossEntropyForward(losses, lse, logits, targets, -100, smoothing);
        Check.Close(f["loss"], [loss], Check.ForwardTolerance, "loss");
        Check.Equal(0f, losses.ToArray()[2], "loss of the ignored row");

        var dlogits = backend.Allocate(logits.Shape.ToArray());
        backend.CrossEntropyBackward(dlogits, logits, lse, targets, -100, smoothing, 1f);
        Check.Close(f["dlogits"], dlogits.ToArray(), Check.GradientTolerance, "dlogits");
        backend.CrossEntropyBackward(logits, logits, lse, targets, -100, smoothing, 1f);
        Check.Close(f["dlogits"], logits.ToArray(), Check.GradientTolerance, "dlogits in place");
    }

    private static void WeightedCrossEntropy(IComputeBackend backend)
    {
        // The policy-gradient loss's row-weighted cross-entropy, against a double-precision reference on the
        // cross-entropy fixture's logits (weights of both signs; row 2 is the ignored row).
        var f = TorchFixture.Load("cross_entropy");
        var logits = f.Load(backend, "logits");
        var n = logits.Dim(0);
        var v = logits.Dim(1);
        var targets = f.Ints("targets");
        var weights = Enumerable.Range(0, n).Select(i => 0.75f - (0.5f * i)).ToArray();
        var z = logits.ToArray();
        double expectedLoss = 0;
        var expectedGrad = new float[n * v];
        const float DLoss = 0.5f;
        for (var i = 0; i < n; i++)
        {
            if (targets[i] == -100)
            {
                continue;
            }

            var max = double.NegativeInfinity;
            for (var j = 0; j < v; j++)
            {
                max = Math.Max(max, z[(i * v) + j]);
            }

            double sum = 0;
            for (var j = 0; j < v; j++)
            {
                sum += Math.Exp(z[(i * v) + j] - max);
            }

            var lse = max + Math.Log(sum);
            expectedLoss += weights[i] * (lse - z[(i * v) + targets[i]]);
            for (var j = 0; j < v; j++)
            {
                var p = Math.Exp(z[(i * v) + j] - lse) - (j == targets[i] ? 1 : 0);
                expectedGrad[(i * v) + j] = (float)(p * DLoss * weights[i]);
            }
        }

        var losses = backend.Allocate(n);
        var logSumExp = backend.Allocate(n);
        var loss = backend.WeightedCrossEntropyForward(losses, logSumExp, logits, targets, weights, -100);
        Check.Close([(float)expectedLoss], [loss], Check.ForwardTolerance, "weighted loss");
        Check.Equal(0f, losses.ToArray()[2], "loss of the ignored row");

        var dlogits = backend.Allocate(logits.Shape.ToArray());
        backend.WeightedCrossEntropyBackward(dlogits, logits, logSumExp, targets, weights, -100, DLoss);
        Check.Close(expectedGrad, dlogits.ToArray(), Check.GradientTolerance, "dlogits");
    }

    private static void L2Normalization(IComputeBackend backend)
    {
        var f = TorchFixture.Load("l2norm");
        var x = f.Load(backend, "x");
        var output = backend.Allocate(x.Shape.ToArray());
        var norms = backend.Allocate(x.Dim(0));
        backend.L2NormalizeForward(output, norms, x, 1e-12f);
        Check.Close(f["out"], output.ToArray(), Check.ForwardTolerance, "out");

        var dx = backend.Allocate(x.Shape.ToArray());
        backend.L2NormalizeBackward(dx, f.Load(backend, "dout"), output, norms, 1e-12f);
        Check.Close(f["dx"], dx.ToArray(), Check.GradientTolerance, "dx");
    }

    private static void Contrastive(IComputeBackend backend, string name)
    {
        var f = TorchFixture.Load(name);
        var image = f.Load(backend, "image");
        var text = f.Load(backend, "text");
        var logT = f.Load(backend, "log_temperature");
        var n = image.Dim(0);
        var logits = backend.Allocate(n, n);
        var rows = backend.Allocate(n);
        var cols = backend.Allocate(n);
        var loss = backend.ContrastiveLossForward(logits, rows, cols, image, text, logT);
        Check.Close(f["loss"], [loss], Check.ForwardTolerance, "loss");
        Check.Close(f["logits"], logits.ToArray(), Check.ForwardTolerance, "logits");

        var dimage = backend.Allocate(image.Shape.ToArray());
        var dtext = backend.Allocate(text.Shape.ToArray());
        var dlogT = backend.Allocate(1);
        backend.ContrastiveLossBackward(dimage, dtext, dlogT, backend.Allocate(n, n), logits, rows, cols, image, text, logT, 1f);
        Check.Close(f["dimage"], dimage.ToArray(), Check.GradientTolerance, "dimage");
        Check.Close(f["dtext"], dtext.ToArray(), Check.GradientTolerance, "dtext");
        Check.Close(f["dlog_temperature"], dlogT.ToArray(), Check.GradientTolerance, "dlog_temperature");
    }

    private static void AdamW(IComputeBackend backend)
    {
        var f = TorchFixture.Load("adamw");
        var p = f.Load(backend, "param");
        var n = (int)p.Length;
        var g = backend.Allocate(n);
        var m = backend.Allocate(n);
        var v = backend.Allocate(n);
        var grads = f["grads"];
        var after = f["after"];
        for (var step = 1; step <= 3; step++)
        {
            g.CopyFrom(grads.AsSpan((step - 1) * n, n));
            backend.AdamWStep(p, g, m, v, 0.05f, 0.8f, 0.99f, 1e-6f, 0.1f, step);
            Check.Close(after.AsSpan((step - 1) * n, n), p.ToArray(), Check.ForwardTolerance, $"step {step}");
        }
    }

    private static void Sgd(IComputeBackend backend)
    {
        var f = TorchFixture.Load("sgd");
        var p = f.Load(backend, "param");
        var n = (int)p.Length;
        var g = backend.Allocate(n);
        var velocity = backend.Allocate(n);
        var grads = f["grads"];
        var after = f["after"];
        for (var step = 0; step < 3; step++)
        {
            g.CopyFrom(grads.AsSpan(step * n, n));
            backend.SgdStep(p, g, velocity, 0.1f, 0.9f, 0.01f, step == 0);
            Check.Close(after.AsSpan(step * n, n), p.ToArray(), Check.ForwardTolerance, $"step {step + 1}");
        }
    }

    private static void ArgumentErrors(IComputeBackend backend)
    {
        var a = backend.Allocate(2, 3);
        Check.Throws<ArgumentException>(() => backend.MatMul(backend.Allocate(2, 3), a, false, backend.Allocate(2, 3), false), "MatMul with shapes that do not multiply");
        Check.Throws<ArgumentException>(() => backend.Upload(a, new float[5]), "Upload of the wrong length");
        Check.Throws<ArgumentException>(() => backend.Download(new float[7], a), "Download into the wrong length");
        Check.Throws<ArgumentOutOfRangeException>(() => backend.EmbeddingForward(backend.Allocate(1, 3), [2], a), "an embedding id outside the table");
        Check.Throws<ArgumentOutOfRangeException>(() => backend.CrossEntropyForward(backend.Allocate(2), backend.Allocate(2), a, [0, 3], -100, 0f), "a target outside the classes");
        Check.Throws<ArgumentOutOfRangeException>(() => backend.DropoutForward(a, backend.Allocate(2, 3), a, 1f, 0), "a drop probability of 1");
        using var other = new Cpu.CpuBackend();
        if (backend is not Cpu.CpuBackend)
        {
            Check.Throws<ArgumentException>(() => backend.Fill(other.Allocate(3), 1f), "a tensor of another backend");
        }
    }
}
