using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;
using Xunit;
using static CrossModal.Tensors.Tests.NormAssertions;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>
/// Whole models against PyTorch, as llm.c's test_gpt2.c: the same weights and inputs give the same logits, loss and
/// every parameter gradient, and 10 AdamW steps give the same losses. (The GPT-2 model's are in CrossModal.Models.Tests.)
/// </summary>
public class ModelParityTests
{
    // The losses of 10 optimiser steps drift apart slowly through fp32 rounding; 1e-4 relative allows that drift and still catches any real difference.
    private const double StepLossTolerance = 1e-4;

    private static readonly CpuBackend Backend = CpuBackend.Default;

    [Fact]
    public void Clip_pair_forward_loss_and_every_gradient_match_pytorch()
    {
        var f = Fixture.Load("clip");
        var (model, images) = LoadClip(f);
        var loss = model.ForwardLoss(f.Ints("tokens"), f.Bytes("key_mask"), f.Ints("eot"), images, 6, 8);
        Close(f["loss"], [loss], ForwardTolerance, "loss");
        Close(f["image_features"], model.ImageFeatures.ToArray(), ForwardTolerance, "image_features");
        Close(f["text_features"], model.TextFeatures.ToArray(), ForwardTolerance, "text_features");
        Close(f["logits"], model.Logits.ToArray(), ForwardTolerance, "logits");

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
    public void Clip_pair_ten_adamw_steps_match_pytorch_losses()
    {
        var f = Fixture.Load("clip");
        var (model, images) = LoadClip(f);
        var optimizer = new AdamW(model.Parameters(), new AdamWOptions { LearningRate = 1e-2f, WeightDecay = 0.1f });
        var expected = f["adamw_losses"];
        var (tokens, mask, eot) = (f.Ints("tokens"), f.Bytes("key_mask"), f.Ints("eot"));
        for (var step = 0; step < expected.Length; step++)
        {
            model.ZeroGrad();
            var loss = model.ForwardLoss(tokens, mask, eot, images, 6, 8);
            model.Backward();
            optimizer.Step();
            AssertLoss(expected[step], loss, step);
        }
    }

    internal static (ClipStylePair Model, Tensor Images) LoadClip(Fixture f)
    {
        var model = new ClipStylePair(Backend, vocabulary: 50, context: 8, width: 32, heads: 4, layers: 2, embed: 16, imageInput: 48, imageHidden: 64);
        LoadParameters(model, f);
        return (model, KernelParityTests.Load(f, "images"));
    }

    private static void LoadParameters(Module model, Fixture f)
    {
        var names = new HashSet<string>(f.Names.Where(n => n.StartsWith("param.", StringComparison.Ordinal)).Select(n => n[6..]));
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.True(names.Remove(name), $"the fixture has no parameter '{name}'");
            Assert.Equal(f.Shape("param." + name), p.Value.Shape.ToArray());
            p.Value.CopyFrom(f["param." + name]);
        }

        Assert.Empty(names);
    }

    private static void AssertLoss(float expected, float actual, int step)
    {
        var error = Math.Abs(actual - expected) / Math.Max(1.0, Math.Abs(expected));
        Assert.True(error <= StepLossTolerance, $"step {step}: loss {actual} vs PyTorch {expected} (relative error {error:E2})");
    }
}
