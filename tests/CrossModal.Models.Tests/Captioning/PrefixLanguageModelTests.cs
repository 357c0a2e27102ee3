using System;
using System.Linq;
using CrossModal.Models.Captioning;
using CrossModal.Tensors.Cpu;
using Xunit;

namespace CrossModal.Models.Tests.Captioning;

/// <summary>Gradients of the whole prefix LM (decoder into each mapper) against central finite differences.</summary>
public sealed class PrefixLanguageModelTests
{
    [Theory]
    [InlineData("mlp")]
    [InlineData("transformer")]
    [InlineData("linear")]
    public void GradientsMatchFiniteDifferences(string mapper)
    {
        var model = CaptioningTestModels.Create(mapper, vocabulary: 6, seed: 13, scale: 0.3f);
        model.Eval();
        const int batch = 2;
        const int tc = 3;
        var k = model.PrefixLength;
        var input = CaptioningTestModels.Upload(CaptioningTestModels.RandomEmbeddings(batch, 6, 3), batch, 6);
        int[] tokens = [1, 4, 2, 5, 0, 3];
        var targets = Enumerable.Repeat(-100, batch * (k + tc)).ToArray();
        for (var b = 0; b < batch; b++)
        {
            targets[(b * (k + tc)) + k - 1] = tokens[b * tc];
            targets[(b * (k + tc)) + k] = tokens[(b * tc) + 1];
            targets[(b * (k + tc)) + k + 1] = tokens[(b * tc) + 2];
            targets[(b * (k + tc)) + k + 2] = 3;
        }

        float Loss() => model.ForwardLoss(input, tokens, targets, batch, tc, -100, 0.1f);
        model.ZeroGrad();
        Loss();
        model.Backward();
        var checkedCount = 0;
        foreach (var (name, p) in model.NamedParameters())
        {
            if (!name.StartsWith("mapper.", StringComparison.Ordinal) && name != "decoder.transformer.wpe.weight" && name != "decoder.transformer.h.0.attn.c_attn.weight")
            {
                continue;
            }

            var gradient = p.Gradient.ToArray();
            var values = p.Value.ToArray();
            // The three entries with the largest analytic gradient: a sign or indexing error cannot hide there.
            foreach (var i in Enumerable.Range(0, gradient.Length).OrderByDescending(i => MathF.Abs(gradient[i])).Take(3))
            {
                const float h = 1e-2f;
                var saved = values[i];
                values[i] = saved + h;
                p.Value.CopyFrom(values);
                var plus = Loss();
                values[i] = saved - h;
                p.Value.CopyFrom(values);
                var minus = Loss();
                values[i] = saved;
                p.Value.CopyFrom(values);
                var numeric = (plus - minus) / (2 * h);
                // float32 central differences: O(h²) truncation plus ~1e-7/h rounding.
                Assert.True(MathF.Abs(numeric - gradient[i]) <= 2e-3f + (0.05f * MathF.Abs(gradient[i])),
                    $"{name}[{i}]: analytic {gradient[i]}, numeric {numeric}");
                checkedCount++;
            }
        }

        Assert.True(checkedCount >= 6);
    }

    [Fact]
    public void FrozenDecoderTrainsOnlyTheMapper()
    {
        var model = CaptioningTestModels.Create("transformer");
        Assert.Equal(model.Parameters().Count, model.TrainableParameters().Count);
        model.FreezeDecoder = true;
        Assert.Equal(model.Mapper.Parameters().Count, model.TrainableParameters().Count);
        Assert.True(model.TrainableParameters().Count < model.Parameters().Count);
    }

    [Fact]
    public void WidthMismatchIsRejected()
    {
        var decoder = new Gpt2Decoder(CpuBackend.Default, new Gpt2DecoderOptions { VocabularySize = 5, Context = 8, Width = 16, Layers = 1, Heads = 2 });
        var error = Assert.Throws<ArgumentException>(() => new PrefixLanguageModel(new MlpMapper(CpuBackend.Default, 4, 2, 8), decoder));
        Assert.Equal("mapper", error.ParamName);
    }

    [Fact]
    public void A_model_built_around_a_decoder_leaves_the_options_alone_and_reports_its_real_shape()
    {
        var decoder = new Gpt2Decoder(CpuBackend.Default, new Gpt2DecoderOptions { VocabularySize = 5, Context = 8, Width = 16, Layers = 1, Heads = 2 });
        var options = new PrefixLanguageModelOptions { Mapper = PrefixMapperKind.Linear, EmbeddingDimension = 4, PrefixLength = 3 };
        var model = new PrefixLanguageModel(options, decoder);
        Assert.Null(options.Decoder);
        Assert.Equal(3, options.PrefixLength);
        var reported = model.Options;
        Assert.Equal(PrefixMapperKind.Linear, reported.Mapper);
        Assert.Equal(1, reported.PrefixLength); // the linear mapper makes one prefix vector whatever was asked
        Assert.True(reported.Decoder!.SameShape(decoder.Options));
        Assert.NotSame(decoder.Options, reported.Decoder);

        // The options rebuild the same model.
        var rebuilt = new PrefixLanguageModel(CpuBackend.Default, reported);
        Assert.Equal(model.NamedParameters().Select(p => (p.Key, p.Value.Value.Shape.ToArray().Length)), rebuilt.NamedParameters().Select(p => (p.Key, p.Value.Value.Shape.ToArray().Length)));

        var other = new PrefixLanguageModelOptions { EmbeddingDimension = 4, Decoder = new Gpt2DecoderOptions { VocabularySize = 9, Context = 8, Width = 16, Layers = 1, Heads = 2 } };
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => new PrefixLanguageModel(other, decoder)).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => new PrefixLanguageModel(CpuBackend.Default, new PrefixLanguageModelOptions { EmbeddingDimension = 4 })).ParamName);
    }

    [Fact]
    public void Mapper_kinds_have_stable_names_and_unknown_names_are_a_clear_error()
    {
        Assert.Equal(["mlp", "transformer", "linear"], Enum.GetValues<PrefixMapperKind>().Select(k => k.ToName()));
        Assert.Equal(PrefixMapperKind.Transformer, PrefixMapperKinds.Parse("Transformer"));
        var e = Assert.Throws<ArgumentException>(() => PrefixMapperKinds.Parse("lstm"));
        Assert.Contains("Unknown mapper 'lstm'; expected mlp, transformer or linear", e.Message, StringComparison.Ordinal);
    }
}
