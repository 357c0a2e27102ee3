using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.IO;
using Xunit;

namespace CrossModal.Models.Tests.Captioning;

/// <summary>The Hugging Face GPT-2 loader against the plain-PyTorch GPT-2 of tests/reference/make_gpt2_fixtures.py.</summary>
public sealed class Gpt2CheckpointTests
{
    // Logits are O(10) here; float32 accumulation order differs from PyTorch's, so 1e-4 absolute plus 1e-5 relative.
    private const float Atol = 1e-4f;
    private const float Rtol = 1e-5f;

    private static string FixtureDirectory => Path.Combine(CaptioningTestModels.RepositoryRoot(), "tests", "reference", "fixtures", "gpt2_tiny");

    private static SafeTensorsContent Expected => SafeTensorsFile.Read(Path.Combine(FixtureDirectory, "expected.safetensors"));

    private static int[] Ids(HostArray array) => Array.ConvertAll(array.Data, x => (int)x);

    [Fact]
    public void ConfigIsRead()
    {
        var options = Gpt2Checkpoint.ReadConfig(Path.Combine(FixtureDirectory, "config.json"));
        Assert.Equal((101, 24, 32, 2, 4), (options.VocabularySize, options.Context, options.Width, options.Layers, options.Heads));
        Assert.Equal(1e-5f, options.LayerNormEpsilon);
    }

    [Fact]
    public void LogitsMatchPyTorch()
    {
        var decoder = Gpt2Decoder.Load(FixtureDirectory, CpuBackend.Default);
        decoder.Eval();
        var expected = Expected;
        var ids = Ids(expected.Tensors["input_ids"]);
        var logits = decoder.Forward(null, 0, ids, 3, 11);
        CaptioningTestModels.AssertClose(expected.Tensors["logits"].Data, logits.ToArray(), Atol, Rtol, "logits");
    }

    [Fact]
    public void PrefixLogitsMatchPyTorchInputsEmbeds()
    {
        var decoder = Gpt2Decoder.Load(Path.Combine(FixtureDirectory, "model.safetensors"), CpuBackend.Default);
        var expected = Expected;
        var prefix = expected.Tensors["inputs_embeds_prefix"];
        var prefixTensor = CaptioningTestModels.Upload(prefix.Data, 2 * 4, 32);
        var logits = decoder.Forward(prefixTensor, 4, Ids(expected.Tensors["prefix_input_ids"]), 2, 7);
        CaptioningTestModels.AssertClose(expected.Tensors["prefix_logits"].Data, logits.ToArray(), Atol, Rtol, "prefix logits");
    }

    [Fact]
    public void SavedFolderHasHuggingFacesLayoutAndLoadsBackToTheSameLogits()
    {
        var decoder = Gpt2Decoder.Load(FixtureDirectory);
        var folder = Path.Combine(Path.GetTempPath(), "gpt2-saved-" + Guid.NewGuid().ToString("N"));
        try
        {
            decoder.Save(folder);
            using (var saved = SafeTensorsReader.Open(Path.Combine(folder, "model.safetensors")))
            using (var original = SafeTensorsReader.Open(Path.Combine(FixtureDirectory, "model.safetensors")))
            {
                foreach (var name in saved.Names)
                {
                    Assert.Equal(original.GetShape(name), saved.GetShape(name));
                    var (a, b) = (new float[original.GetElementCount(name)], new float[saved.GetElementCount(name)]);
                    original.Read(name, a);
                    saved.Read(name, b);
                    Assert.Equal(a, b);
                }
            }

            Assert.Equal(decoder.Options.Width, Gpt2Checkpoint.ReadConfig(Path.Combine(folder, "config.json")).Width);
            var again = Gpt2Decoder.Load(folder);
            var ids = Ids(Expected.Tensors["input_ids"]);
            Assert.Equal(decoder.Forward(null, 0, ids, 3, 11).ToArray(), again.Forward(null, 0, ids, 3, 11).ToArray());
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    [Fact]
    public void MissingTensorIsNamed()
    {
        var content = SafeTensorsFile.Read(Path.Combine(FixtureDirectory, "model.safetensors"));
        var tensors = new Dictionary<string, HostArray>(content.Tensors);
        tensors.Remove("transformer.h.1.mlp.c_fc.bias");
        var path = Path.Combine(Path.GetTempPath(), "gpt2-missing-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            SafeTensorsFile.Write(path, tensors);
            var decoder = new Gpt2Decoder(CpuBackend.Default, Gpt2Checkpoint.ReadConfig(Path.Combine(FixtureDirectory, "config.json")));
            var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadWeights(path, decoder));
            Assert.Contains("transformer.h.1.mlp.c_fc.bias", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void UntiedHeadIsRejected()
    {
        var content = SafeTensorsFile.Read(Path.Combine(FixtureDirectory, "model.safetensors"));
        var tensors = new Dictionary<string, HostArray>(content.Tensors);
        var head = (float[])tensors["lm_head.weight"].Data.Clone();
        head[0] += 1f;
        tensors["lm_head.weight"] = new HostArray(tensors["lm_head.weight"].Shape, head);
        var path = Path.Combine(Path.GetTempPath(), "gpt2-untied-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            SafeTensorsFile.Write(path, tensors);
            var decoder = new Gpt2Decoder(CpuBackend.Default, Gpt2Checkpoint.ReadConfig(Path.Combine(FixtureDirectory, "config.json")));
            var error = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.LoadWeights(path, decoder));
            Assert.Contains("lm_head.weight", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ParameterNamesAreHuggingFaces()
    {
        var decoder = new Gpt2Decoder(CpuBackend.Default, new Gpt2DecoderOptions { VocabularySize = 7, Context = 4, Width = 8, Layers = 1, Heads = 2 });
        var names = new List<string>();
        foreach (var (name, _) in decoder.NamedParameters())
        {
            names.Add(name);
        }

        Assert.Contains("transformer.wte.weight", names);
        Assert.Contains("transformer.wpe.weight", names);
        Assert.Contains("transformer.h.0.attn.c_attn.weight", names);
        Assert.Contains("transformer.h.0.mlp.c_proj.bias", names);
        Assert.Contains("transformer.ln_f.weight", names);
        Assert.Equal(names.Count, new HashSet<string>(names).Count);
    }
    [Fact]
    public void LoadRecordsTheSourceAndReadsTheRealVocabularyFixtureStoredAsF16()
    {
        var folder = Path.Combine(CaptioningTestModels.RepositoryRoot(), "tests", "reference", "fixtures", "real_weights", "gpt2_vocab");
        var decoder = Gpt2Decoder.Load(folder, CpuBackend.Default);
        Assert.Equal(Path.GetFullPath(folder), decoder.Source);
        Assert.Equal((50257, 48, 16, 2, 2), (decoder.Options.VocabularySize, decoder.Options.Context, decoder.Options.Width, decoder.Options.Layers, decoder.Options.Heads));
        Assert.Null(new Gpt2Decoder(CpuBackend.Default, decoder.Options).Source);
    }

    [Fact]
    public void AClipConfigIsRefusedByItsModelType()
    {
        var config = Path.Combine(CaptioningTestModels.RepositoryRoot(), "tests", "reference", "fixtures", "clip", "tiny", "config.json");
        var e = Assert.Throws<InvalidDataException>(() => Gpt2Checkpoint.ReadConfig(config));
        Assert.StartsWith(config, e.Message, StringComparison.Ordinal);
        Assert.Contains("model_type 'clip'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingWeightsNameTheExpectedFile()
    {
        var folder = Directory.CreateTempSubdirectory("crossmodal-gpt2-").FullName;
        try
        {
            File.Copy(Path.Combine(FixtureDirectory, "config.json"), Path.Combine(folder, "config.json"));
            var e = Assert.Throws<FileNotFoundException>(() => Gpt2Decoder.Load(folder, CpuBackend.Default));
            Assert.Contains(Path.Combine(folder, "model.safetensors"), e.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
