using System;
using System.Linq;
using CrossModal.Models.Adversarial;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Nn;
using Xunit;
using Xunit.Abstractions;
using static CrossModal.Tensors.Tests.NormAssertions;

namespace CrossModal.Models.Tests.Adversarial;

/// <summary>The CgT-GAN discriminator and its BCE-with-logits loss against PyTorch (make_adversarial_fixtures.py).</summary>
public class DiscriminatorTests(ITestOutputHelper output)
{
    // Relative (norm-wise) error bounds: fp32 forward vs PyTorch's, and gradients through two attention layers.
    private const double LogitTolerance = 1e-5;
    private const double ParityGradientTolerance = 1e-4;

    private static readonly CpuBackend Backend = CpuBackend.Default;

    internal static Discriminator Load(AdversarialFixture f)
    {
        var d = new Discriminator(Backend, new DiscriminatorOptions { VocabularySize = 13, Context = 8, Width = 16, Layers = 2, Heads = 2, Dropout = 0f });
        ModuleSafeTensors.Load(d, f.Parameters(), f.Name);
        return d;
    }

    [Fact]
    public void Logits_loss_and_every_gradient_match_pytorch_with_padding()
    {
        var f = AdversarialFixture.Load("discriminator");
        var d = Load(f);
        var mask = Array.ConvertAll(f["mask"], v => checked((byte)v));
        var logits = d.Forward(f.Ints("tokens"), mask, 4, 6).ToArray();
        Close(f["logits"], logits, LogitTolerance, "logits");
        var labels = f["labels"];
        var loss = BinaryCrossEntropy.Forward(logits, labels);
        Close(f["loss"], [loss], LogitTolerance, "loss");

        var dLogits = new float[4];
        BinaryCrossEntropy.Backward(dLogits, logits, labels);
        var dTensor = Backend.Allocate(4, 1);
        dTensor.CopyFrom(dLogits);
        d.ZeroGrad();
        d.Backward(dTensor);
        var named = d.NamedParameters();
        var worst = 0.0;
        Assert.Equal(f.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), named.Count);
        foreach (var (name, p) in named)
        {
            Close(f["grad." + name], p.Gradient.ToArray(), ParityGradientTolerance, "grad." + name);
            worst = Math.Max(worst, RelativeError(f["grad." + name], p.Gradient.ToArray()));
        }

        output.WriteLine($"logits {RelativeError(f["logits"], logits):E2}, loss {RelativeError(f["loss"], [loss]):E2}, worst gradient {worst:E2}");
    }

    [Fact]
    public void Padding_does_not_change_the_score_of_a_sequence()
    {
        var f = AdversarialFixture.Load("discriminator");
        var d = Load(f);
        int[] shortSequence = [1, 5, 7];
        var alone = d.Forward(shortSequence, [], 1, 3).ToArray()[0];
        var padded = d.Forward([1, 5, 7, 12, 12, 3], [1, 1, 1, 0, 0, 0], 1, 6).ToArray()[0];
        Assert.Equal(alone, padded, 5);
    }

    [Fact]
    public void Options_are_validated_by_name()
    {
        var bad = new DiscriminatorOptions { VocabularySize = 10, Width = 10, Heads = 4 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new Discriminator(Backend, bad));
        Assert.Equal("Heads", e.ParamName);
        Assert.Equal("Dropout", Assert.Throws<ArgumentOutOfRangeException>(() => new DiscriminatorOptions { VocabularySize = 5, Dropout = 1f }.Validate()).ParamName);
        Assert.Equal("VocabularySize", Assert.Throws<ArgumentOutOfRangeException>(() => new DiscriminatorOptions().Validate()).ParamName);
    }

    [Fact]
    public void Token_outside_the_vocabulary_is_an_argument_error()
    {
        var d = new Discriminator(Backend, new DiscriminatorOptions { VocabularySize = 5, Context = 4, Width = 8, Layers = 1, Heads = 2 });
        Assert.Throws<ArgumentOutOfRangeException>(() => d.Forward([1, 5], [], 1, 2));
        Assert.Throws<ArgumentException>(() => d.Forward([1, 2, 3, 4, 1], [], 1, 5));
    }

    [Fact]
    public void Bce_with_logits_is_stable_for_large_logits_and_matches_its_definition()
    {
        var loss = BinaryCrossEntropy.Forward([1000f, -1000f, 0f], [1f, 0f, 1f]);
        Assert.Equal(MathF.Log(2f) / 3f, loss, 6);
        var d = new float[2];
        BinaryCrossEntropy.Backward(d, [0f, 2f], [1f, 0f]);
        Assert.Equal(-0.25f, d[0], 6);
        Assert.Equal((float)(1 / (1 + Math.Exp(-2)) / 2), d[1], 6);
    }
}
