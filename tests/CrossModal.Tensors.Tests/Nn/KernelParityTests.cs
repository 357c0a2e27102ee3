using System;
using CrossModal.Tensors.Cpu;
using Xunit;
using static CrossModal.Tensors.Tests.NormAssertions;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>Each kernel, through the CPU backend, against PyTorch 1.13 on the fixtures of make_nn_fixtures.py.</summary>
public class KernelParityTests
{
    private static readonly CpuBackend Backend = CpuBackend.Default;

    [Theory]
    [InlineData("linear")]
    [InlineData("linear_nobias")]
    public void Linear_matches_pytorch(string name)
    {
        var f = Fixture.Load(name);
        var x = Load(f, "x");
        var w = Load(f, "weight");
        var b = f.Has("bias") ? Load(f, "bias") : null;
        var @out = Backend.Allocate(f.Shape("out"));
        Backend.LinearForward(@out, x, w, b);
        Close(f["out"], @out.ToArray(), ForwardTolerance, "out");

        var dx = Backend.Allocate(x.Shape.ToArray());
        var dw = Backend.Allocate(w.Shape.ToArray());
        var db = b is null ? null : Backend.Allocate(b.Shape.ToArray());
        Backend.LinearBackward(dx, dw, db, Load(f, "dout"), x, w);
        Close(f["dx"], dx.ToArray(), GradientTolerance, "dx");
        Close(f["dweight"], dw.ToArray(), GradientTolerance, "dweight");
        if (db is not null)
        {
            Close(f["dbias"], db.ToArray(), GradientTolerance, "dbias");
        }
    }

    [Theory]
    [InlineData("layernorm")]
    [InlineData("layernorm_eps")]
    public void LayerNorm_matches_pytorch_for_each_epsilon(string name)
    {
        var f = Fixture.Load(name);
        var x = Load(f, "x");
        var (n, c) = (f.Shape("x")[0], f.Shape("x")[1]);
        var w = Load(f, "weight");
        var b = Load(f, "bias");
        var @out = Backend.Allocate(n, c);
        var mean = Backend.Allocate(n);
        var rstd = Backend.Allocate(n);
        Backend.LayerNormForward(@out, mean, rstd, x, w, b, f.Scalar("eps"));
        Close(f["out"], @out.ToArray(), ForwardTolerance, "out");

        var dx = Backend.Allocate(n, c);
        var dw = Backend.Allocate(c);
        var db = Backend.Allocate(c);
        Backend.LayerNormBackward(dx, dw, db, Load(f, "dout"), x, w, mean, rstd);
        Close(f["dx"], dx.ToArray(), GradientTolerance, "dx");
        Close(f["dweight"], dw.ToArray(), GradientTolerance, "dweight");
        Close(f["dbias"], db.ToArray(), GradientTolerance, "dbias");
    }

    [Fact]
    public void Token_and_position_embedding_matches_pytorch()
    {
        var f = Fixture.Load("embedding");
        var (b, t) = (f.Shape("ids")[0], f.Shape("ids")[1]);
        var ids = f.Ints("ids");
        var wte = Load(f, "wte");
        var wpe = Load(f, "wpe");
        var c = wte.Dim(1);
        var @out = Backend.Allocate(b * t, c);
        Backend.EmbeddingForward(@out, ids, wte);
        Backend.AddPositionEmbedding(@out, wpe, b, t);
        Close(f["out"], @out.ToArray(), ForwardTolerance, "out");

        var dwte = Backend.Allocate(wte.Shape.ToArray());
        var dwpe = Backend.Allocate(wpe.Shape.ToArray());
        var dout = Load(f, "dout").Reshape(b * t, c);
        Backend.EmbeddingBackward(dwte, dout, ids);
        Backend.AddPositionEmbeddingBackward(dwpe, dout, b, t);
        Close(f["dwte"], dwte.ToArray(), GradientTolerance, "dwte");
        Close(f["dwpe"], dwpe.ToArray(), GradientTolerance, "dwpe");
    }

    [Theory]
    [InlineData("gelu", Activation.Gelu)]
    [InlineData("quickgelu", Activation.QuickGelu)]
    [InlineData("tanh", Activation.Tanh)]
    public void Activation_matches_pytorch(string name, Activation kind)
    {
        var f = Fixture.Load(name);
        var x = Load(f, "x");
        var @out = Backend.Allocate(x.Shape.ToArray());
        Backend.ActivationForward(kind, @out, x);
        Close(f["out"], @out.ToArray(), ForwardTolerance, "out");

        var dx = Backend.Allocate(x.Shape.ToArray());
        Backend.ActivationBackward(kind, dx, Load(f, "dout"), x, @out);
        Close(f["dx"], dx.ToArray(), GradientTolerance, "dx");
    }

    [Fact]
    public void Softmax_matches_pytorch()
    {
        var f = Fixture.Load("softmax");
        var x = Load(f, "x");
        var @out = Backend.Allocate(x.Shape.ToArray());
        Backend.SoftmaxForward(@out, x);
        Close(f["out"], @out.ToArray(), ForwardTolerance, "out");

        var dx = Backend.Allocate(x.Shape.ToArray());
        Backend.SoftmaxBackward(dx, Load(f, "dout"), @out);
        Close(f["dx"], dx.ToArray(), GradientTolerance, "dx");
    }

    [Theory]
    [InlineData("attention_causal", true)]
    [InlineData("attention_causal_padded", true)]
    [InlineData("attention_bidirectional", false)]
    [InlineData("attention_bidirectional_padded", false)]
    public void Attention_matches_pytorch_for_each_mask(string name, bool causal)
    {
        const int Heads = 2;
        var f = Fixture.Load(name);
        var shape = f.Shape("qkv");
        var (b, t, c) = (shape[0], shape[1], shape[2] / 3);
        var qkv = Load(f, "qkv").Reshape(b * t, 3 * c);
        var mask = f.Has("key_mask") ? f.Bytes("key_mask") : [];
        var @out = Backend.Allocate(b * t, c);
        var att = Backend.Allocate(b, Heads, t, t);
        Backend.AttentionForward(@out, att, qkv, mask, causal, b, t, Heads);
        Close(f["out"], @out.ToArray(), ForwardTolerance, "out");

        var dqkv = Backend.Allocate(b * t, 3 * c);
        Backend.AttentionBackward(dqkv, Load(f, "dout").Reshape(b * t, c), qkv, att, b, t, Heads);
        Close(f["dqkv"], dqkv.ToArray(), GradientTolerance, "dqkv");
    }

    [Theory]
    [InlineData("cross_entropy")]
    [InlineData("cross_entropy_smoothed")]
    public void Cross_entropy_matches_pytorch_with_ignore_index_and_label_smoothing(string name)
    {
        var f = Fixture.Load(name);
        var logits = Load(f, "logits");
        var n = logits.Dim(0);
        var targets = f.Ints("targets");
        var smoothing = f.Scalar("label_smoothing");
        var losses = Backend.Allocate(n);
        var lse = Backend.Allocate(n);
        var loss = Backend.CrossEntropyForward(losses, lse, logits, targets, -100, smoothing);
        Close(f["loss"], [loss], ForwardTolerance, "loss");
        Assert.Equal(0f, losses.ToArray()[2]);

        var dlogits = Backend.Allocate(logits.Shape.ToArray());
        Backend.CrossEntropyBackward(dlogits, logits, lse, targets, -100, smoothing, 1f);
        Close(f["dlogits"], dlogits.ToArray(), GradientTolerance, "dlogits");

        // In place, as the language model uses it.
        Backend.CrossEntropyBackward(logits, logits, lse, targets, -100, smoothing, 1f);
        Close(f["dlogits"], logits.ToArray(), GradientTolerance, "dlogits in place");
    }

    [Fact]
    public void L2_normalisation_matches_pytorch()
    {
        var f = Fixture.Load("l2norm");
        var x = Load(f, "x");
        var @out = Backend.Allocate(x.Shape.ToArray());
        var norms = Backend.Allocate(x.Dim(0));
        Backend.L2NormalizeForward(@out, norms, x, 1e-12f);
        Close(f["out"], @out.ToArray(), ForwardTolerance, "out");

        var dx = Backend.Allocate(x.Shape.ToArray());
        Backend.L2NormalizeBackward(dx, Load(f, "dout"), @out, norms, 1e-12f);
        Close(f["dx"], dx.ToArray(), GradientTolerance, "dx");
    }

    [Theory]
    [InlineData("contrastive")]
    [InlineData("contrastive_clamped")]
    public void Contrastive_loss_matches_pytorch_including_the_logit_scale_clamp(string name)
    {
        var f = Fixture.Load(name);
        var image = Load(f, "image");
        var text = Load(f, "text");
        var logT = Load(f, "log_temperature");
        var n = image.Dim(0);
        var logits = Backend.Allocate(n, n);
        var rows = Backend.Allocate(n);
        var cols = Backend.Allocate(n);
        var loss = Backend.ContrastiveLossForward(logits, rows, cols, image, text, logT);
        Close(f["loss"], [loss], ForwardTolerance, "loss");
        Close(f["logits"], logits.ToArray(), ForwardTolerance, "logits");

        var dimage = Backend.Allocate(image.Shape.ToArray());
        var dtext = Backend.Allocate(text.Shape.ToArray());
        var dlogT = Backend.Allocate(1);
        Backend.ContrastiveLossBackward(dimage, dtext, dlogT, Backend.Allocate(n, n), logits, rows, cols, image, text, logT, 1f);
        Close(f["dimage"], dimage.ToArray(), GradientTolerance, "dimage");
        Close(f["dtext"], dtext.ToArray(), GradientTolerance, "dtext");
        Close(f["dlog_temperature"], dlogT.ToArray(), GradientTolerance, "dlog_temperature");
    }

    [Fact]
    public void AdamW_update_matches_pytorch()
    {
        var f = Fixture.Load("adamw");
        var p = Load(f, "param");
        var n = (int)p.Length;
        var g = Backend.Allocate(n);
        var m = Backend.Allocate(n);
        var v = Backend.Allocate(n);
        var grads = f["grads"];
        var after = f["after"];
        for (var step = 1; step <= 3; step++)
        {
            g.CopyFrom(grads.AsSpan((step - 1) * n, n));
            Backend.AdamWStep(p, g, m, v, 0.05f, 0.8f, 0.99f, 1e-6f, 0.1f, step);
            Close(after.AsSpan((step - 1) * n, n), p.ToArray(), ForwardTolerance, $"step {step}");
        }
    }

    [Fact]
    public void Sgd_momentum_update_matches_pytorch()
    {
        var f = Fixture.Load("sgd");
        var p = Load(f, "param");
        var n = (int)p.Length;
        var g = Backend.Allocate(n);
        var velocity = Backend.Allocate(n);
        var grads = f["grads"];
        var after = f["after"];
        for (var step = 0; step < 3; step++)
        {
            g.CopyFrom(grads.AsSpan(step * n, n));
            Backend.SgdStep(p, g, velocity, 0.1f, 0.9f, 0.01f, step == 0);
            Close(after.AsSpan(step * n, n), p.ToArray(), ForwardTolerance, $"step {step + 1}");
        }
    }

    internal static Tensor Load(Fixture f, string name)
    {
        var t = Backend.Allocate(f.Shape(name));
        t.CopyFrom(f[name]);
        return t;
    }
}
