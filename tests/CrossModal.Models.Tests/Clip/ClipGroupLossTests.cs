using System;
using System.Linq;
using CrossModal.Models.Clip;
using CrossModal.Tensors.Cpu;
using Xunit;

namespace CrossModal.Models.Tests.Clip;

/// <summary>
/// The group term of <see cref="ClipModel.ForwardLoss(ReadOnlySpan{float}, ReadOnlySpan{int}, int, int, float)"/>:
/// <c>CLIP(batch) + w · Σ_g (G / B) · CLIP(group g)</c>. Every tower computes each row on its own, so a group's term
/// must equal the plain loss of a batch holding only that group; the identities below check the loss and every
/// gradient against that, on top of the plain loss's own PyTorch parity (<see cref="ClipParityTests"/>).
/// </summary>
public sealed class ClipGroupLossTests
{
    private const int Batch = 8;
    private const int Group = 4;
    private const int Context = 6;

    private static ClipModel NewModel()
    {
        var model = new ClipModel(CpuBackend.Default, new ClipConfig
        {
            ProjectionDim = 5,
            Text = new ClipTextConfig { VocabularySize = 32, Width = 16, MlpHidden = 32, Heads = 2, Layers = 1, Context = Context },
            Vision = new ClipVisionConfig { Tower = ClipVisionTower.Convolutional, ConvLayers = "4 M 6 M", ImageSize = 8, ConvGlobalMaxPool = true },
        });
        model.ResetParameters(11);
        // A logit scale away from CLIP's initial 1/0.07, so the scale's gradient is checked off its starting point.
        model.LogitScale.Value.CopyFrom([MathF.Log(20f)]);
        return model;
    }

    private static (float[] Pixels, int[] Tokens) Batch8()
    {
        var random = new Random(5);
        var pixels = new float[Batch * 3 * 8 * 8];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)(random.NextDouble() * 2 - 1);
        }

        // Each row ends in the end-of-text id 31, the largest, at its own length.
        var tokens = new int[Batch * Context];
        for (var b = 0; b < Batch; b++)
        {
            var length = 2 + b % 4;
            for (var t = 0; t < length; t++)
            {
                tokens[b * Context + t] = random.Next(0, 31);
            }

            tokens[b * Context + length] = 31;
        }

        return (pixels, tokens);
    }

    private static float[][] Gradients(ClipModel model) => [.. model.Parameters().Select(p => p.Gradient.ToArray())];

    [Fact]
    public void The_loss_is_the_batch_loss_plus_the_weighted_loss_of_each_group_alone()
    {
        var model = NewModel();
        var (pixels, tokens) = Batch8();
        var plain = model.ForwardLoss(pixels, tokens, Batch);
        var per = pixels.Length / Batch;
        var groups = 0.0;
        for (var g = 0; g < Batch / Group; g++)
        {
            groups += model.ForwardLoss(pixels.AsSpan(g * Group * per, Group * per), tokens.AsSpan(g * Group * Context, Group * Context), Group);
        }

        var grouped = model.ForwardLoss(pixels, tokens, Batch, Group, 1.5f);
        Assert.Equal(plain + 1.5 * Group / Batch * groups, grouped, 5);
        Assert.True(groups > 0.1, $"the group losses sum to {groups}");

        // No weight, or groups of one, is CLIP's loss exactly.
        Assert.Equal(plain, model.ForwardLoss(pixels, tokens, Batch, Group, 0f));
        Assert.Equal(plain, model.ForwardLoss(pixels, tokens, Batch, 1, 3f));
    }

    [Fact]
    public void Every_gradient_is_the_batch_gradient_plus_the_weighted_gradient_of_each_group_alone()
    {
        var model = NewModel();
        var (pixels, tokens) = Batch8();
        var per = pixels.Length / Batch;

        // w · G / B = 1, so the expected gradient is the batch's plus each group's, accumulated by Backward.
        model.ZeroGrad();
        model.ForwardLoss(pixels, tokens, Batch);
        model.Backward();
        for (var g = 0; g < Batch / Group; g++)
        {
            model.ForwardLoss(pixels.AsSpan(g * Group * per, Group * per), tokens.AsSpan(g * Group * Context, Group * Context), Group);
            model.Backward();
        }

        var expected = Gradients(model);

        model.ZeroGrad();
        model.ForwardLoss(pixels, tokens, Batch, Group, (float)Batch / Group);
        model.Backward();
        var actual = Gradients(model);

        var names = model.NamedParameters().Select(p => p.Key).ToArray();
        var nonZero = 0;
        for (var p = 0; p < expected.Length; p++)
        {
            var scale = Math.Max(expected[p].Max(MathF.Abs), 1e-6f);
            for (var i = 0; i < expected[p].Length; i++)
            {
                Assert.True(MathF.Abs(expected[p][i] - actual[p][i]) <= 1e-4f * scale, $"{names[p]}[{i}]: {actual[p][i]} vs {expected[p][i]}");
            }

            nonZero += expected[p].Any(v => v != 0f) ? 1 : 0;
        }

        Assert.True(nonZero >= expected.Length - 1, $"{nonZero} of {expected.Length} gradients are non-zero");
        Assert.Contains("logit_scale", names);
    }

    [Fact]
    public void The_group_term_adds_no_allocation_to_a_training_step()
    {
        var model = NewModel();
        var (pixels, tokens) = Batch8();
        long Measure(int group, float weight)
        {
            for (var i = 0; i < 3; i++)
            {
                model.ZeroGrad();
                model.ForwardLoss(pixels, tokens, Batch, group, weight);
                model.Backward();
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 10; i++)
            {
                model.ZeroGrad();
                model.ForwardLoss(pixels, tokens, Batch, group, weight);
                model.Backward();
            }

            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        var plain = Measure(1, 0f);
        var grouped = Measure(Group, 2f);
        Assert.True(grouped <= plain, $"grouped steps allocated {grouped} bytes on this thread, plain steps {plain}");
    }

    [Fact]
    public void Bad_groups_and_weights_are_refused_naming_the_argument()
    {
        var model = NewModel();
        var (pixels, tokens) = Batch8();
        Assert.Equal("groupSize", Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardLoss(pixels, tokens, Batch, 3, 1f)).ParamName);
        Assert.Equal("groupSize", Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardLoss(pixels, tokens, Batch, 0, 1f)).ParamName);
        Assert.Equal("groupLossWeight", Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardLoss(pixels, tokens, Batch, Group, -1f)).ParamName);
        Assert.Equal("groupLossWeight", Assert.Throws<ArgumentOutOfRangeException>(() => model.ForwardLoss(pixels, tokens, Batch, Group, float.NaN)).ParamName);
    }
}
