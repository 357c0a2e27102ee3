using System;
using System.IO;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Testing;

namespace CrossModal.Models.Tests.Captioning;

/// <summary>Small models with large random weights (so logits are far from uniform and argmaxes are unambiguous).</summary>
internal static class CaptioningTestModels
{
    public static PrefixLanguageModel Create(string mapper, int vocabulary = 5, int embeddingDimension = 6, int prefixLength = 2, int seed = 1, float scale = 0.5f)
    {
        var options = new PrefixLanguageModelOptions
        {
            Mapper = PrefixMapperKinds.Parse(mapper),
            EmbeddingDimension = embeddingDimension,
            PrefixLength = prefixLength,
            MapperClipLength = 3,
            MapperLayers = 1,
            MapperHeads = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = vocabulary, Context = 10, Width = 16, Layers = 2, Heads = 2 },
        };
        var model = new PrefixLanguageModel(CpuBackend.Default, options);
        Randomize(model, seed, scale);
        return model;
    }

    public static void Randomize(Tensors.Nn.Module module, int seed, float scale)
    {
        var rng = new Random(seed);
        foreach (var (_, p) in module.NamedParameters())
        {
            var values = new float[p.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = (float)((rng.NextDouble() * 2 - 1) * scale * 1.7);
            }

            p.Value.CopyFrom(values);
        }
    }

    public static Tensor Upload(float[] values, int rows, int columns)
    {
        var t = CpuBackend.Default.Allocate(rows, columns);
        t.CopyFrom(values);
        return t;
    }

    public static float[] RandomEmbeddings(int rows, int dimension, int seed)
    {
        var rng = new Random(seed);
        var values = new float[rows * dimension];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        return values;
    }

    public static string RepositoryRoot() => RepositoryPaths.Root;

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float atol, float rtol, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var tolerance = atol + (rtol * MathF.Abs(expected[i]));
            if (!(MathF.Abs(expected[i] - actual[i]) <= tolerance))
            {
                Xunit.Assert.Fail($"{what}[{i}]: expected {expected[i]}, got {actual[i]} (tolerance {tolerance}).");
            }
        }
    }
}
