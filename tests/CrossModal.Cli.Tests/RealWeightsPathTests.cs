using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Models.Captioning;
using CrossModal.Tensors.IO;
using CrossModal.Testing;
using CrossModal.Training.Captioning;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary>
/// The real-weights path end to end on tiny random Hugging Face checkpoints in the released formats (the CLIP of
/// make_clip_fixtures.py; the GPT-2 of make_real_weights_fixtures.py, with GPT-2's real 50,257-token vocabulary) and a
/// COCO / Karpathy caption file over committed test images: encode → train-captioner --decoder-checkpoint →
/// caption --clip --images --refs.
/// </summary>
[Collection("Console")]
public sealed class RealWeightsPathTests : IDisposable
{
    private static readonly string Fixtures = Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures");
    private static readonly string Clip = Path.Combine(Fixtures, "clip", "tiny");
    private static readonly string Gpt2 = Path.Combine(Fixtures, "real_weights", "gpt2_vocab");
    private static readonly string Karpathy = Path.Combine(Fixtures, "real_weights", "dataset_coco.json");
    private static readonly string Coco = Path.Combine(Fixtures, "real_weights", "captions_coco.json");
    private static readonly string Images = Path.Combine(RepositoryPaths.Root, "tests", "reference", "images");
    private readonly string _folder = Directory.CreateTempSubdirectory("crossmodal-realweights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void Encode_train_from_a_gpt2_checkpoint_then_caption_image_files_with_scores()
    {
        var (texts, images) = EncodeTrainSplit();
        var model = Path.Combine(_folder, "model.safetensors");
        var (code, stdout, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts,
            "--image-embeddings", images, "--decoder-checkpoint", Gpt2, "--epochs", "2", "--batch", "3", "--warmup", "1", "--lr", "1e-3",
            "--validation-fraction", "0", "--out", model, "--json");
        Assert.True(code == 0, stderr);
        using (var summary = JsonDocument.Parse(stdout))
        {
            Assert.Equal(Path.GetFullPath(Gpt2), summary.RootElement.GetProperty("decoder_source").GetString());
            Assert.Equal(4, summary.RootElement.GetProperty("steps").GetInt64()); // 6 train + restval sentences, batch 3, 2 epochs
            Assert.Equal(6, summary.RootElement.GetProperty("captions").GetInt32());
        }

        var checkpoint = CaptionerCheckpoint.Load(model);
        Assert.Equal(Path.GetFullPath(Gpt2), checkpoint.Model.Decoder.Source);
        Assert.Equal(50257, checkpoint.Model.Decoder.Options.VocabularySize);
        Assert.Equal(48, checkpoint.Model.Decoder.Options.Context); // the checkpoint's shape, not the caption length
        Assert.Equal("gpt2", CrossModal.Text.TokenizerRegistry.Export(checkpoint.Tokenizer)["kind"]);

        // The Karpathy test split under the image root, scored against its references.
        (code, stdout, stderr) = Run("caption", "--model", model, "--clip", Clip, "--images-dir", Images, "--refs", Karpathy, "--split", "test",
            "--batch", "1", "--max-tokens", "6", "--json");
        Assert.True(code == 0, stderr);
        Assert.Contains("captioned 2 images", stderr, StringComparison.Ordinal);
        using (var result = JsonDocument.Parse(stdout))
        {
            var root = result.RootElement;
            Assert.Equal(2, root.GetProperty("images").GetInt32());
            var files = root.GetProperty("captions").EnumerateArray().Select(r => Path.GetFileName(r.GetProperty("file").GetString()!)).ToArray();
            Assert.Equal(["pillow_p_83x61.png", "t0_d16_adam7_37x23.png"], files);
            Assert.All(root.GetProperty("captions").EnumerateArray(), r => Assert.False(string.IsNullOrWhiteSpace(r.GetProperty("caption").GetString())));
            var scores = root.GetProperty("scores");
            foreach (var name in new[] { "BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D" })
            {
                var value = scores.GetProperty(name).GetDouble();
                Assert.True(value >= 0 && double.IsFinite(value), $"{name} = {value}");
            }

            var clipScore = scores.GetProperty("CLIP-S").GetDouble();
            Assert.InRange(clipScore, 0.0, 2.5);
        }

        // The same images named one by one, scored against COCO-format captions (matched through its images table);
        // batching does not change the captions.
        string[] named = [Path.Combine(Images, "png", "pillow_p_83x61.png"), Path.Combine(Images, "png", "t0_d16_adam7_37x23.png")];
        var (code2, stdout2, stderr2) = Run(["caption", "--model", model, "--clip", Clip, "--images", .. named, "--refs", Coco, "--batch", "2", "--max-tokens", "6", "--json"]);
        Assert.True(code2 == 0, stderr2);
        using var first = JsonDocument.Parse(stdout);
        using var second = JsonDocument.Parse(stdout2);
        Assert.Equal(
            first.RootElement.GetProperty("captions").EnumerateArray().Select(r => r.GetProperty("caption").GetString()),
            second.RootElement.GetProperty("captions").EnumerateArray().Select(r => r.GetProperty("caption").GetString()));
        Assert.Equal(first.RootElement.GetProperty("scores").GetProperty("CIDEr-D").GetDouble(), second.RootElement.GetProperty("scores").GetProperty("CIDEr-D").GetDouble(), 9);
        Assert.Equal(first.RootElement.GetProperty("scores").GetProperty("CLIP-S").GetDouble(), second.RootElement.GetProperty("scores").GetProperty("CLIP-S").GetDouble(), 4);

        // Without --refs: one "file<TAB>caption" line per image.
        (code, stdout, stderr) = Run(["caption", "--model", model, "--clip", Clip, "--images", .. named, "--max-tokens", "6"]);
        Assert.True(code == 0, stderr);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(2, lines.Length);
        Assert.StartsWith(named[0] + "\t", lines[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Decoder_weights_after_a_step_at_a_vanishing_learning_rate_are_the_checkpoints_in_gpt2_layout()
    {
        var (texts, _) = EncodeTrainSplit();
        var model = Path.Combine(_folder, "lr0.safetensors");
        var (code, _, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts, "--bridge", "capdec",
            "--decoder-checkpoint", Gpt2, "--epochs", "1", "--batch", "6", "--warmup", "0", "--lr", "1e-12", "--validation-fraction", "0", "--out", model);
        Assert.True(code == 0, stderr);
        var decoder = CaptionerCheckpoint.Load(model).Model.Decoder;
        var parameters = decoder.NamedParameters().ToDictionary(p => p.Key, p => p.Value.Value.ToArray());
        using var reader = SafeTensorsReader.Open(Path.Combine(Gpt2, "model.safetensors"));
        var checkedConv1D = 0;
        foreach (var name in reader.Names)
        {
            var stored = new float[reader.GetElementCount(name)];
            reader.Read(name, stored);
            var actual = parameters[name];
            var shape = reader.GetShape(name);
            if (name.EndsWith("c_attn.weight", StringComparison.Ordinal) || name.EndsWith("c_proj.weight", StringComparison.Ordinal) ||
                name.EndsWith("c_fc.weight", StringComparison.Ordinal))
            {
                // Conv1D stores (in, out); the decoder holds the Linear (out, in): actual[o, i] = stored[i, o].
                var (rows, columns) = (shape[0], shape[1]);
                for (var i = 0; i < rows; i++)
                {
                    for (var o = 0; o < columns; o++)
                    {
                        Assert.Equal(stored[(i * columns) + o], actual[(o * rows) + i], 5);
                    }
                }

                checkedConv1D++;
            }
            else
            {
                Assert.Equal(stored.Length, actual.Length);
                for (var i = 0; i < stored.Length; i++)
                {
                    Assert.Equal(stored[i], actual[i], 5);
                }
            }
        }

        Assert.Equal(8, checkedConv1D); // four Conv1D weights in each of the two blocks
    }

    [Fact]
    public void Freeze_decoder_trains_only_the_mapper()
    {
        var (texts, _) = EncodeTrainSplit();
        var model = Path.Combine(_folder, "frozen.safetensors");
        var (code, _, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts, "--bridge", "capdec",
            "--decoder-checkpoint", Gpt2, "--freeze-decoder", "--mapper", "transformer", "--prefix-length", "2", "--epochs", "2", "--batch", "3",
            "--warmup", "0", "--lr", "1e-2", "--validation-fraction", "0", "--out", model);
        Assert.True(code == 0, stderr);
        var trained = CaptionerCheckpoint.Load(model).Model;
        Assert.True(trained.FreezeDecoder);
        var original = Gpt2Decoder.Load(Gpt2);
        var before = original.NamedParameters().ToDictionary(p => p.Key, p => p.Value.Value.ToArray());
        foreach (var (name, parameter) in trained.Decoder.NamedParameters())
        {
            Assert.Equal(before[name], parameter.Value.ToArray());
        }

        // The mapper did move from its initialisation (same seed, same shapes).
        var fresh = new PrefixLanguageModel(
            new PrefixLanguageModelOptions { Mapper = PrefixMapperKind.Transformer, EmbeddingDimension = 48, PrefixLength = 2 }, original);
        fresh.Mapper.ResetParameters(0);
        var moved = trained.Mapper.NamedParameters().Zip(fresh.Mapper.NamedParameters())
            .Count(p => !p.First.Value.Value.ToArray().SequenceEqual(p.Second.Value.Value.ToArray()));
        Assert.True(moved > 0);
    }

    [Fact]
    public void A_clip_folder_given_as_the_decoder_is_a_one_line_error_naming_its_config()
    {
        var (texts, _) = EncodeTrainSplit();
        var (code, stdout, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts, "--bridge", "capdec",
            "--decoder-checkpoint", Clip, "--out", Path.Combine(_folder, "x.safetensors"));
        AssertOneLineError(code, stdout, stderr, Path.Combine(Clip, "config.json"), "gpt2");
    }

    [Fact]
    public void A_vocabulary_mismatch_is_a_one_line_error_naming_the_config()
    {
        var (texts, _) = EncodeTrainSplit();
        var small = Path.Combine(Fixtures, "gpt2_tiny");
        var (code, stdout, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts, "--bridge", "capdec",
            "--decoder-checkpoint", small, "--out", Path.Combine(_folder, "x.safetensors"));
        AssertOneLineError(code, stdout, stderr, Path.Combine(small, "config.json"), "vocab_size 101");

        (code, stdout, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts, "--bridge", "capdec",
            "--decoder-checkpoint", Gpt2, "--tokenizer", "word", "--out", Path.Combine(_folder, "x.safetensors"));
        AssertOneLineError(code, stdout, stderr, "--tokenizer", "gpt2");

        (code, stdout, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts, "--bridge", "capdec",
            "--decoder-checkpoint", Gpt2, "--width", "32", "--out", Path.Combine(_folder, "x.safetensors"));
        AssertOneLineError(code, stdout, stderr, "--width", "--decoder-checkpoint");
    }

    [Fact]
    public void A_missing_image_or_unmatched_reference_is_a_one_line_error_naming_the_file()
    {
        var (texts, images) = EncodeTrainSplit();
        var model = Path.Combine(_folder, "model.safetensors");
        var (code, _, stderr) = Run("train-captioner", "--captions", Karpathy, "--split", "train", "--text-embeddings", texts, "--image-embeddings", images,
            "--decoder-checkpoint", Gpt2, "--epochs", "1", "--batch", "6", "--validation-fraction", "0", "--out", model);
        Assert.True(code == 0, stderr);
        var missing = Path.Combine(_folder, "missing.png");
        var (c, stdout, err) = Run("caption", "--model", model, "--clip", Clip, "--images", missing);
        AssertOneLineError(c, stdout, err, missing, "image file");

        var unlisted = Path.Combine(Images, "png", "t0_d8_37x23.png");
        (c, stdout, err) = Run("caption", "--model", model, "--clip", Clip, "--images", unlisted, "--refs", Coco);
        AssertOneLineError(c, stdout, err, Coco, "t0_d8_37x23.png");

        (c, stdout, err) = Run("caption", "--model", model, "--clip", Clip, "--images-dir", Images, "--refs", Coco, "--split", "test");
        AssertOneLineError(c, stdout, err, "--split", "Karpathy");
    }

    [Fact]
    public void Bench_times_the_engine_the_checkpoint_and_the_trainer_on_the_checkpoints_shapes()
    {
        var (code, stdout, stderr) = Run("bench", "train-prefix-lm", "--decoder-checkpoint", Gpt2, "--steps", "1", "--warmup", "0", "--batch", "2", "--json");
        Assert.True(code == 0, stderr);
        using var result = JsonDocument.Parse(stdout);
        Assert.Equal(50257, result.RootElement.GetProperty("model").GetProperty("vocab").GetInt32());
        foreach (var run in new[] { "engine", "checkpoint", "trainer" })
        {
            var entry = result.RootElement.GetProperty(run);
            Assert.True(entry.GetProperty("tokens_per_second").GetDouble() > 0, run);
            Assert.True(entry.GetProperty("cpu_seconds_per_step").GetDouble() >= 0, run);
        }
    }

    private static void AssertOneLineError(int code, string stdout, string stderr, string mustName, string mustSay)
    {
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.Equal(string.Empty, stdout);
        Assert.Single(stderr.TrimEnd().Split('\n'));
        Assert.Contains(mustName, stderr, StringComparison.Ordinal);
        Assert.Contains(mustSay, stderr, StringComparison.Ordinal);
    }

    /// <summary>The train split's sentence embeddings and image embeddings (train + restval), as the recipe makes them.</summary>
    private (string Texts, string Images) EncodeTrainSplit()
    {
        var texts = Path.Combine(_folder, "train_texts.npy");
        var images = Path.Combine(_folder, "train_images.npy");
        var (code, _, stderr) = Run("encode", "--model", Clip, "--split-file", Karpathy, "--split", "train", "--out", texts);
        Assert.True(code == 0, stderr);
        (code, _, stderr) = Run("encode", "--model", Clip, "--split-file", Karpathy, "--split", "train", "--images", Images, "--out", images);
        Assert.True(code == 0, stderr);
        Assert.Equal([6, 48], NpyFile.Read(texts).Shape);
        Assert.Equal([3, 48], NpyFile.Read(images).Shape);
        return (texts, images);
    }

    private static (int Code, string Stdout, string Stderr) Run(params string[] args)
    {
        var result = ConsoleCapture.Run(args);
        return (result.ExitCode, result.Out, result.Error);
    }
}
