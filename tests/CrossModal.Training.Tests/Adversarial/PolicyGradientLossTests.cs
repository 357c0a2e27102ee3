using System;
using System.Linq;
using CrossModal.Models.Captioning;
using CrossModal.Models.Tests.Adversarial;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.Nn;
using CrossModal.Training.Adversarial;
using Xunit;
using Xunit.Abstractions;
using static CrossModal.Tensors.Tests.NormAssertions;

namespace CrossModal.Training.Tests.Adversarial;

/// <summary>The self-critical policy-gradient loss on a prefix captioner against PyTorch (make_adversarial_fixtures.py).</summary>
public class PolicyGradientLossTests(ITestOutputHelper output)
{
    // Relative (norm-wise) bounds: log-probabilities and loss in fp32, gradients through two causal attention layers.
    private const double LogProbabilityTolerance = 1e-5;
    private const double ParityGradientTolerance = 1e-4;

    private static readonly CpuBackend Backend = CpuBackend.Default;

    internal static PrefixLanguageModel TinyModel()
    {
        var decoder = new Gpt2Decoder(Backend, new Gpt2DecoderOptions { VocabularySize = 11, Context = 12, Width = 16, Layers = 2, Heads = 2 });
        return new PrefixLanguageModel(new LinearMapper(Backend, 6, 16), decoder);
    }

    [Fact]
    public void Log_probabilities_loss_and_every_gradient_match_pytorch()
    {
        var f = AdversarialFixture.Load("policy_gradient");
        var model = TinyModel();
        ModuleSafeTensors.Load(model, f.Parameters(), f.Name);
        var images = f["embeddings"];
        var perSample = f.Ints("image_of_sample").SelectMany(i => images.Skip(i * 6).Take(6)).ToArray();
        var embeddings = Backend.Allocate(6, 6);
        embeddings.CopyFrom(perSample);
        var rewards = f["rewards"];
        var baselines = f["baselines"];
        var advantages = rewards.Zip(baselines, (r, b) => r - b).ToArray();

        var loss = new PolicyGradientLoss(model);
        model.ZeroGrad();
        var value = loss.Forward(embeddings, f.Ints("tokens"), f.Ints("lengths"), advantages, 5);
        Close(f["mean_logp"], loss.MeanLogProbabilities, LogProbabilityTolerance, "mean_logp");
        Close(f["loss"], [value], LogProbabilityTolerance, "loss");
        loss.Backward();

        var named = model.NamedParameters();
        Assert.Equal(f.Tensors.Keys.Count(k => k.StartsWith("grad.", StringComparison.Ordinal)), named.Count);
        var worst = 0.0;
        foreach (var (name, p) in named)
        {
            Close(f["grad." + name], p.Gradient.ToArray(), ParityGradientTolerance, "grad." + name);
            worst = Math.Max(worst, RelativeError(f["grad." + name], p.Gradient.ToArray()));
        }

        output.WriteLine($"mean_logp {RelativeError(f["mean_logp"], loss.MeanLogProbabilities):E2}, loss {RelativeError(f["loss"], [value]):E2}, worst gradient {worst:E2}");
    }

    [Fact]
    public void Zero_advantage_gives_zero_gradient_and_bad_lengths_are_argument_errors()
    {
        var model = TinyModel();
        model.ResetParameters(5);
        var embeddings = Backend.Allocate(2, 6);
        embeddings.CopyFrom(Enumerable.Range(0, 12).Select(i => (float)Math.Sin(i)).ToArray());
        var loss = new PolicyGradientLoss(model);
        model.ZeroGrad();
        Assert.Equal(0f, loss.Forward(embeddings, [1, 2, 10, 3, 10, 0], [3, 2], [0f, 0f], 3));
        loss.Backward();
        Assert.All(model.Parameters(), p => Assert.All(p.Gradient.ToArray(), g => Assert.Equal(0f, g)));
        Assert.Throws<ArgumentOutOfRangeException>(() => loss.Forward(embeddings, [1, 2, 10, 3, 10, 0], [4, 2], [1f, 1f], 3));
        Assert.Throws<InvalidOperationException>(() => new PolicyGradientLoss(model).Backward());
    }
}
