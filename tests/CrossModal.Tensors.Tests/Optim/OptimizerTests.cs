using System;
using System.Linq;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;
using Xunit;

namespace CrossModal.Tensors.Tests.Optim;

public class OptimizerTests
{
    [Fact]
    public void Schedules_follow_their_formulas()
    {
        var constant = new ConstantSchedule(0.5f);
        Assert.Equal(0.5f, constant.At(0));
        Assert.Equal(0.5f, constant.At(10_000));

        var linear = new LinearWarmupDecaySchedule(1f, warmupSteps: 4, totalSteps: 14, finalRate: 0.1f);
        Assert.Equal(0.25f, linear.At(0), 6);
        Assert.Equal(1f, linear.At(3), 6);
        Assert.Equal(1f, linear.At(4), 6);
        Assert.Equal(0.55f, linear.At(9), 6);
        Assert.Equal(0.1f, linear.At(14), 6);
        Assert.Equal(0.1f, linear.At(100), 6);

        var cosine = new CosineWarmupSchedule(2f, warmupSteps: 2, totalSteps: 12, minRate: 0.2f);
        Assert.Equal(1f, cosine.At(0), 6);
        Assert.Equal(2f, cosine.At(2), 6);
        Assert.Equal(1.1f, cosine.At(7), 5);
        Assert.Equal(0.2f, cosine.At(12), 6);
        Assert.Equal(0.2f, cosine.At(50), 6);

        Assert.Throws<ArgumentOutOfRangeException>(() => new CosineWarmupSchedule(1f, 10, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConstantSchedule(float.NaN));
    }

    [Fact]
    public void Global_norm_clipping_scales_all_gradients_together_only_above_the_limit()
    {
        var layer = new Linear(CpuBackend.Default, 2, 1);
        layer.Weight.Gradient.CopyFrom([3f, 0f]);
        layer.Bias!.Gradient.CopyFrom([4f]);
        var norm = GradientClipping.ClipGlobalNorm(layer.Parameters(), 10f);
        Assert.Equal(5f, norm, 5);
        Assert.Equal(new[] { 3f, 0f }, layer.Weight.Gradient.ToArray());

        norm = GradientClipping.ClipGlobalNorm(layer.Parameters(), 1f);
        Assert.Equal(5f, norm, 5);
        Assert.Equal(0.6f, layer.Weight.Gradient.ToArray()[0], 5);
        Assert.Equal(0.8f, layer.Bias.Gradient.ToArray()[0], 5);
    }

    [Fact]
    public void AdamW_skips_weight_decay_for_excluded_parameters()
    {
        var layer = new Linear(CpuBackend.Default, 1, 1);
        layer.Weight.Value.CopyFrom([1f]);
        layer.Bias!.Value.CopyFrom([1f]);
        Assert.True(layer.Weight.WeightDecay);
        Assert.False(layer.Bias.WeightDecay);

        // Zero gradients: only decay moves a parameter (Adam's step is 0/(0 + ε) = 0).
        var adamw = new AdamW(layer.Parameters(), new AdamWOptions { LearningRate = 0.1f, WeightDecay = 0.5f });
        adamw.Step();
        Assert.Equal(0.95f, layer.Weight.Value.ToArray()[0], 6);
        Assert.Equal(1f, layer.Bias.Value.ToArray()[0]);
    }

    [Fact]
    public void Dropout_is_the_identity_in_eval_mode()
    {
        var backend = CpuBackend.Default;
        var dropout = new Dropout(backend, 0.5f, seed: 1);
        var x = backend.Allocate(100);
        x.CopyFrom(Enumerable.Range(0, 100).Select(i => (float)i).ToArray());
        Assert.NotEqual(x.ToArray(), dropout.Forward(x).ToArray());
        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
    }

    [Fact]
    public void Backward_before_forward_is_an_error_that_names_the_module()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new LayerNorm(CpuBackend.Default, 4).Backward(CpuBackend.Default.Allocate(1, 4)));
        Assert.Contains("LayerNorm.Backward was called before Forward", e.Message, StringComparison.Ordinal);
    }
}
