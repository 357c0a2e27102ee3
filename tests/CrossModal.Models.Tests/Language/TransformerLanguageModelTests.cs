using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Models.Language;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;
using CrossModal.Tensors.Tests.Nn;
using Xunit;
using static CrossModal.Tensors.Tests.NormAssertions;

namespace CrossModal.Models.Tests.Language;

/// <summary>
/// The GPT-2 body against PyTorch, as llm.c's test_gpt2.c: the same weights and inputs give the same logits, loss and
/// every parameter gradient, and 10 AdamW steps give the same losses; and its cached steps against full forwards.
/// </summary>
public class TransformerLanguageModelTests
{
    // The losses of 10 optimiser steps drift apart slowly through fp32 rounding; 1e-4 relative allows that drift and still catches any real difference.
    private const double StepLossTolerance = 1e-4;

    private static readonly CpuBackend Backend = CpuBackend.Default;

    [Fact]
    public void Gpt_forward_loss_and_every_gradient_match_pytorch()
    {
        var f = Fixture.Load("gpt");
        var model = LoadGpt(f);
        var tokens = f.Ints("tokens");
        var targets = f.Ints("targets");
        var loss = model.ForwardLoss(tokens, targets, 4, 16);
        Close(f["logits"], model.Forward(tokens, 4, 16).ToArray(), ForwardTolerance, "logits");
        loss = model.ForwardLoss(tokens, targets, 4, 16);
        Close(f["loss"], [loss], ForwardTolerance, "loss");

        model.ZeroGrad();
        model.Backward();
        var named = model.NamedParameters();
        Assert.Equal(f.Names.Where(n => n.StartsWith("grad.", StringComparison.Ordinal)).Count(), named.Count);
        foreach (var (name, p) in named)
        {
            Close(f["grad." + name], p.Gradient.ToArray(), GradientTolerance, "grad." + name);
        }
    }

    [Fact]
    public void Gpt_ten_adamw_steps_match_pytorch_losses()
    {
        var f = Fixture.Load("gpt");
        var model = LoadGpt(f);
        var tokens = f.Ints("tokens");
        var targets = f.Ints("targets");
        var optimizer = new AdamW(model.Parameters(), new AdamWOptions { LearningRate = 1e-2f, WeightDecay = 0.1f });
        var expected = f["adamw_losses"];
        for (var step = 0; step < expected.Length; step++)
        {
            model.ZeroGrad();
            var loss = model.ForwardLoss(tokens, targets, 4, 16);
            model.Backward();
            optimizer.Step();
            var error = Math.Abs(loss - expected[step]) / Math.Max(1.0, Math.Abs(expected[step]));
            Assert.True(error <= StepLossTolerance, $"step {step}: loss {loss} vs PyTorch {expected[step]} (relative error {error:E2})");
        }

        Assert.True(expected[^1] < expected[0] - 0.5f, "the reference run should learn");
    }

    [Fact]
    public void Input_embeddings_entry_gives_the_token_entrys_logits_loss_and_gradients()
    {
        var f = Fixture.Load("gpt");
        var byTokens = LoadGpt(f);
        var byEmbeddings = LoadGpt(f);
        var tokens = f.Ints("tokens");
        var targets = f.Ints("targets");
        var lossTokens = byTokens.ForwardLoss(tokens, targets, 4, 16);
        byTokens.ZeroGrad();
        byTokens.Backward();

        var embeddings = byEmbeddings.TokenEmbedding.Forward(tokens);
        var before = embeddings.ToArray();
        var lossEmbeddings = byEmbeddings.ForwardEmbeddingsLoss(embeddings, targets, 4, 16, ignoreIndex: -100, labelSmoothing: 0f);
        Assert.Equal(before, embeddings.ToArray()); // the caller's input is not modified
        byEmbeddings.ZeroGrad();
        byEmbeddings.Backward();
        Assert.Equal(lossTokens, lossEmbeddings);

        // The token path adds the embedding gradient through the lookup; the embedding path returns it instead.
        byEmbeddings.TokenEmbedding.Backward(byEmbeddings.InputGradient!);
        foreach (var (name, p) in byTokens.NamedParameters())
        {
            Assert.Equal(p.Gradient.ToArray(), byEmbeddings.GetParameter(name).Gradient.ToArray());
        }
    }

    [Fact]
    public void Cached_steps_equal_the_full_forward_at_every_position()
    {
        var f = Fixture.Load("gpt");
        var model = LoadGpt(f);
        model.Eval();
        var tokens = f.Ints("tokens");
        var full = model.Forward(tokens, 4, 16).ToArray();
        var cache = model.CreateCache(4, 16);
        var column = new int[4];
        for (var t = 0; t < 16; t++)
        {
            for (var b = 0; b < 4; b++)
            {
                column[b] = tokens[(b * 16) + t];
            }

            var logits = model.Step(cache, column).ToArray();
            for (var b = 0; b < 4; b++)
            {
                var expected = full.AsSpan(((b * 16) + t) * 97, 97).ToArray();
                Tensors.Tests.Assertions.Close(expected, logits.AsSpan(b * 97, 97), 1e-4f, 1e-4f, $"position {t}, sequence {b}");
            }
        }

        Assert.Equal(16, cache.Position);
        Assert.Throws<InvalidOperationException>(() => model.Step(cache, column));
    }

    [Fact]
    public void A_decoding_step_allocates_nothing_in_steady_state()
    {
        var model = new TransformerLanguageModel(Backend, new TransformerLanguageModelOptions { VocabularySize = 97, Context = 64, Width = 32, Layers = 2, Heads = 4 });
        model.ResetParameters(seed: 4);
        model.Eval();
        var cache = model.CreateCache(3, 64);
        int[] next = [1, 2, 3];
        int[] order = [2, 0, 1];
        model.Step(cache, next);
        model.Step(cache, next);
        cache.Reorder(order);
        var least = long.MaxValue;
        for (var trial = 0; trial < 3; trial++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 5; i++)
            {
                model.Step(cache, next);
                cache.Reorder(order);
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
    }

    [Fact]
    public void Gpt_parameters_have_dotted_pytorch_style_names_and_the_head_is_tied()
    {
        var model = new TransformerLanguageModel(CpuBackend.Default, new TransformerLanguageModelOptions
        {
            VocabularySize = 11, Context = 4, Width = 8, Layers = 2, Heads = 2,
        });
        var names = model.NamedParameters().Select(p => p.Key).ToArray();
        Assert.Equal("wte.weight", names[0]);
        Assert.Equal("wpe.weight", names[1]);
        Assert.Contains("h.0.attn.c_attn.weight", names);
        Assert.Contains("h.1.mlp.c_proj.bias", names);
        Assert.Equal("ln_f.bias", names[^1]);
        Assert.Equal(2 + (2 * 12) + 2, names.Length);

        // L·12C² + 13C per layer, plus embeddings and ln_f: the GPT-2 count with a tied head.
        Assert.Equal((11 * 8) + (4 * 8) + (2 * ((12 * 8 * 8) + (13 * 8))) + (2 * 8), model.ParameterCount());
    }

    [Fact]
    public void Parameters_round_trip_through_safetensors_by_name_and_shapes_are_checked()
    {
        var backend = CpuBackend.Default;
        var options = new TransformerLanguageModelOptions { VocabularySize = 13, Context = 4, Width = 8, Layers = 1, Heads = 2 };
        var a = new TransformerLanguageModel(backend, options);
        a.ResetParameters(seed: 9);
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"crossmodal-nn-{Environment.ProcessId}.safetensors");
        try
        {
            ModuleSafeTensors.Save(path, a);
            var b = new TransformerLanguageModel(backend, options);
            ModuleSafeTensors.Load(path, b);
            foreach (var (name, p) in a.NamedParameters())
            {
                Assert.Equal(p.Value.ToArray(), b.GetParameter(name).Value.ToArray());
            }

            var wider = new TransformerLanguageModel(backend, new TransformerLanguageModelOptions { VocabularySize = 13, Context = 4, Width = 10, Layers = 1, Heads = 2 });
            var e = Assert.Throws<System.IO.InvalidDataException>(() => ModuleSafeTensors.Load(path, wider));
            Assert.Contains("'wte.weight' has shape [13, 8] but the module expects [13, 10]", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }

    private static TransformerLanguageModel LoadGpt(Fixture f)
    {
        var model = new TransformerLanguageModel(Backend, new TransformerLanguageModelOptions
        {
            VocabularySize = 97,
            Context = 16,
            Width = 32,
            Layers = 2,
            Heads = 4,
        });
        var names = new HashSet<string>(f.Names.Where(n => n.StartsWith("param.", StringComparison.Ordinal)).Select(n => n[6..]));
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.True(names.Remove(name), $"the fixture has no parameter '{name}'");
            Assert.Equal(f.Shape("param." + name), p.Value.Shape.ToArray());
            p.Value.CopyFrom(f["param." + name]);
        }

        Assert.Empty(names);
        return model;
    }
}

/// <summary>A GPT-2 training step in steady state allocates nothing on the calling thread, so training never pauses for the GC.</summary>
public class TransformerLanguageModelAllocationTests
{
    [Fact]
    public void Gpt_training_step_with_dropout_clipping_and_schedule_allocates_nothing_in_steady_state()
    {
        var backend = CpuBackend.Default;
        var model = new TransformerLanguageModel(backend, new TransformerLanguageModelOptions
        {
            VocabularySize = 97, Context = 16, Width = 32, Layers = 2, Heads = 4, Dropout = 0.1f,
        });
        model.ResetParameters(seed: 5);
        var parameters = model.Parameters();
        var optimizer = new AdamW(parameters, new AdamWOptions { LearningRate = 1e-3f });
        var schedule = new CosineWarmupSchedule(1e-3f, warmupSteps: 2, totalSteps: 100);
        var rng = new Random(3);
        var tokens = new int[4 * 16];
        var targets = new int[4 * 16];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = rng.Next(97);
            targets[i] = rng.Next(97);
        }

        void Step()
        {
            model.ZeroGrad();
            model.ForwardLoss(tokens, targets, 4, 16);
            model.Backward();
            GradientClipping.ClipGlobalNorm(parameters, 1f);
            optimizer.LearningRate = schedule.At(optimizer.StepCount);
            optimizer.Step();
        }

        for (var i = 0; i < 3; i++)
        {
            Step();
        }

        // The least of three trials: a JIT tier-up or a runtime timer may allocate once on this thread.
        var least = long.MaxValue;
        for (var trial = 0; trial < 3; trial++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10; i++)
            {
                Step();
            }

            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, least);
    }
}
