using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.IO;
using CrossModal.Text;
using CrossModal.Training.Captioning;
using Xunit;

namespace CrossModal.Training.Tests.Captioning;

public sealed class CaptionerCheckpointTests : IDisposable
{
    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("crossmodal-checkpoint-");

    public void Dispose() => _directory.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_directory.FullName, name);

    [Fact]
    public void A_gpt2_tokenizer_loaded_from_files_comes_back_with_its_own_vocabulary_not_the_embedded_one()
    {
        // GPT-2's own files with the ids of "a" and "the" swapped: same size, different vocabulary.
        var gpt2 = Path.Combine(CaptionTrainingTestData.RepositoryRoot(), "data", "tokenizers", "gpt2");
        var encoder = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(Path.Combine(gpt2, "encoder.json")))!;
        (encoder["a"], encoder["the"]) = (encoder["the"], encoder["a"]);
        File.WriteAllText(PathOf("encoder.json"), JsonSerializer.Serialize(encoder));
        var custom = Gpt2Tokenizer.FromFiles(PathOf("encoder.json"), Path.Combine(gpt2, "vocab.bpe"));
        const string text = "the cat sat on a mat";
        Assert.NotEqual(Gpt2Tokenizer.Shared.Encode(text), custom.Encode(text));

        var model = TinyModel(custom.VocabularySize);
        new CaptionerCheckpoint(model, custom).Save(PathOf("model.safetensors"));
        var loaded = CaptionerCheckpoint.Load(PathOf("model.safetensors"));
        Assert.Equal(custom.Encode(text), loaded.Tokenizer.Encode(text));
        Assert.Equal(text, loaded.Tokenizer.Decode(custom.Encode(text)));
    }

    [Fact]
    public void The_embedded_tokenizers_are_stored_by_name_alone()
    {
        new CaptionerCheckpoint(TinyModel(Gpt2Tokenizer.Shared.VocabularySize), Gpt2Tokenizer.Shared).Save(PathOf("gpt2.safetensors"));
        using (var reader = SafeTensorsReader.Open(PathOf("gpt2.safetensors")))
        {
            Assert.Equal("gpt2", reader.Metadata["tokenizer.kind"]);
            Assert.DoesNotContain(reader.Metadata.Keys, k => k.StartsWith("tokenizer.", StringComparison.Ordinal) && k != "tokenizer.kind");
        }

        Assert.Same(Gpt2Tokenizer.Shared, CaptionerCheckpoint.Load(PathOf("gpt2.safetensors")).Tokenizer);
    }

    [Fact]
    public void A_checkpoint_rebuilds_the_model_from_the_options_the_model_carries()
    {
        var model = TinyModel(20, PrefixMapperKind.Transformer);
        var tokenizer = WordTokenizer.Build(["a red square", "a blue circle"]);
        new CaptionerCheckpoint(model, tokenizer)
        {
            TrainingOptions = new CaptionTrainerOptions { Epochs = 3, Supervision = CaptionSupervision.Paired },
        }.Save(PathOf("m.safetensors"));
        var loaded = CaptionerCheckpoint.Load(PathOf("m.safetensors"), CpuBackend.Default);
        Assert.Equal(JsonSerializer.Serialize(model.Options), JsonSerializer.Serialize(loaded.Model.Options));
        Assert.Equal(PrefixMapperKind.Transformer, loaded.Model.Mapper.Kind);
        Assert.Equal(CaptionSupervision.Paired, loaded.TrainingOptions!.Supervision);
        Assert.Equal(3, loaded.TrainingOptions.Epochs);
        Assert.False(loaded.HasOptimizerState);
        foreach (var (name, p) in model.NamedParameters())
        {
            Assert.Equal(p.Value.ToArray(), loaded.Model.GetParameter(name).Value.ToArray());
        }
    }

    [Fact]
    public void A_version_1_checkpoint_still_loads_and_an_unknown_version_is_refused_by_number()
    {
        var tokenizer = WordTokenizer.Build(["a red square"]);
        var model = TinyModel(tokenizer.VocabularySize);
        new CaptionerCheckpoint(model, tokenizer).Save(PathOf("v2.safetensors"));
        var content = SafeTensorsFile.Read(PathOf("v2.safetensors"));

        // As the previous version wrote it: version "1", the mapper by name, the supervision as "Paired".
        var v1 = new Dictionary<string, string>(content.Metadata)
        {
            ["crossmodal.version"] = "1",
            ["training.options"] = """{"Epochs":2,"BatchSize":40,"Paired":true}""",
        };
        Assert.Contains("\"Mapper\":\"mlp\"", v1["model.spec"], StringComparison.Ordinal);
        SafeTensorsFile.Write(PathOf("v1.safetensors"), content.Tensors, v1);
        var loaded = CaptionerCheckpoint.Load(PathOf("v1.safetensors"));
        Assert.Equal(CaptionSupervision.Paired, loaded.TrainingOptions!.Supervision);
        Assert.Equal(model.GetParameter("decoder.transformer.wte.weight").Value.ToArray(), loaded.Model.GetParameter("decoder.transformer.wte.weight").Value.ToArray());

        SafeTensorsFile.Write(PathOf("v9.safetensors"), content.Tensors, new Dictionary<string, string>(content.Metadata) { ["crossmodal.version"] = "9" });
        var e = Assert.Throws<InvalidDataException>(() => CaptionerCheckpoint.Load(PathOf("v9.safetensors")));
        Assert.Contains("format version '9'", e.Message, StringComparison.Ordinal);
        Assert.StartsWith(PathOf("v9.safetensors"), e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_metadata_is_invalid_data_naming_the_file()
    {
        var tokenizer = WordTokenizer.Build(["a red square"]);
        new CaptionerCheckpoint(TinyModel(tokenizer.VocabularySize), tokenizer).Save(PathOf("ok.safetensors"));
        var content = SafeTensorsFile.Read(PathOf("ok.safetensors"));

        void Bad(string key, string? value, string expected)
        {
            var metadata = new Dictionary<string, string>(content.Metadata);
            if (value is null)
            {
                metadata.Remove(key);
            }
            else
            {
                metadata[key] = value;
            }

            SafeTensorsFile.Write(PathOf("bad.safetensors"), content.Tensors, metadata);
            var e = Assert.Throws<InvalidDataException>(() => CaptionerCheckpoint.Load(PathOf("bad.safetensors")));
            Assert.StartsWith(PathOf("bad.safetensors"), e.Message, StringComparison.Ordinal);
            Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        }

        Bad("model.spec", """{"Mapper":"lstm"}""", "mapper name");
        Bad("model.spec", """{"Mapper":"mlp","EmbeddingDimension":6}""", "no decoder shape");
        Bad("model.spec", "{", "");
        Bad("tokenizer.kind", "sentencepiece", "unknown tokenizer kind");
        Bad("training.state", null, "'training.state' is missing");
        Bad("crossmodal.format", "something-else", "not a CrossModal captioner checkpoint");
        Bad("optimizer.step", "-3", "");
    }

    [Fact]
    public void Mutated_checkpoints_load_or_fail_with_invalid_data_only()
    {
        var tokenizer = WordTokenizer.Build(["a red square", "a blue circle"]);
        var bridge = BridgePresets.Create(BridgePreset.C3);
        var embeddings = CaptionTrainingTestData.RandomUnitEmbeddings(8, 6, 1);
        bridge.Fit(new Abstractions.BridgeFitData { UnpairedTexts = embeddings, UnpairedImages = CaptionTrainingTestData.RandomUnitEmbeddings(8, 6, 2) });
        new CaptionerCheckpoint(TinyModel(tokenizer.VocabularySize), tokenizer) { Bridge = bridge }.Save(PathOf("seed.safetensors"));
        var original = File.ReadAllBytes(PathOf("seed.safetensors"));
        var headerLength = (int)BitConverter.ToInt64(original, 0);
        var rng = new Random(2024);
        for (var mutant = 0; mutant < 300; mutant++)
        {
            var bytes = (byte[])original.Clone();
            for (var edits = rng.Next(1, 4); edits > 0; edits--)
            {
                // Mostly inside the JSON header, where the metadata lives.
                var at = rng.Next(3) == 0 ? rng.Next(bytes.Length) : 8 + rng.Next(headerLength);
                bytes[at] = (byte)rng.Next(32, 127);
            }

            var path = PathOf("mutant.safetensors");
            File.WriteAllBytes(path, bytes);
            try
            {
                CaptionerCheckpoint.Load(path);
            }
            catch (InvalidDataException e)
            {
                Assert.Contains("mutant.safetensors", e.Message, StringComparison.Ordinal);
            }
        }
    }

    [Fact]
    public void A_tokenizer_no_file_could_rebuild_is_refused_when_the_checkpoint_is_made()
    {
        var e = Assert.Throws<ArgumentException>(() => new CaptionerCheckpoint(TinyModel(10), new CountingTokenizer()));
        Assert.Equal("tokenizer", e.ParamName);
    }

    private static PrefixLanguageModel TinyModel(int vocabulary, PrefixMapperKind mapper = PrefixMapperKind.Mlp)
    {
        var model = new PrefixLanguageModel(CpuBackend.Default, new PrefixLanguageModelOptions
        {
            Mapper = mapper,
            EmbeddingDimension = 6,
            PrefixLength = 2,
            MapperClipLength = 3,
            MapperLayers = 1,
            MapperHeads = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = vocabulary, Context = 8, Width = 8, Layers = 1, Heads = 2 },
        });
        model.ResetParameters(seed: 4);
        return model;
    }

    private sealed class CountingTokenizer : ITokenizer
    {
        public int VocabularySize => 10;

        public int? StartOfTextId => null;

        public int EndOfTextId => 9;

        public int PaddingId => 0;

        public int[] Encode(string text) => [.. text.Select(c => c % 9)];

        public string Decode(ReadOnlySpan<int> ids) => new('x', ids.Length);
    }
}
