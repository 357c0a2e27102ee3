using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.IO;
using CrossModal.Tensors.Nn;
using CrossModal.Tensors.Optim;
using Xunit;
using static CrossModal.Models.Tests.Clip.ClipFixtures;

namespace CrossModal.Models.Tests.Clip;

/// <summary>Loader errors, save/load round trips and training from scratch.</summary>
public sealed class ClipCheckpointTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "crossmodal-clip-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    /// <summary>A tiny config that trains in milliseconds (text vocabulary of its own, 64 ids).</summary>
    internal static ClipConfig TinyConfig() => new()
    {
        ProjectionDim = 16,
        Text = new ClipTextConfig { VocabularySize = 64, Width = 32, MlpHidden = 64, Heads = 4, Layers = 1, Context = 8 },
        Vision = new ClipVisionConfig { Width = 32, MlpHidden = 64, Heads = 4, Layers = 1, ImageSize = 16, PatchSize = 8 },
    };

    [Fact]
    public void Unknown_missing_and_misshaped_tensors_are_listed_in_one_error()
    {
        using var source = SafeTensorsReader.Open(Path.Combine(ModelDirectory, ClipCheckpoint.WeightsFileName));
        var tensors = new Dictionary<string, HostArray>();
        foreach (var name in source.Names)
        {
            if (name is "vision_model.post_layernorm.bias" || name.EndsWith("position_ids", StringComparison.Ordinal))
            {
                continue; // missing (the I64 position_ids buffers are optional)
            }

            var value = source.Read(name);
            tensors[name] = name == "text_projection.weight" ? new HostArray([32, 48], value.Data) : value;
        }

        tensors["text_model.encoder.layers.7.mlp.fc1.weight"] = new HostArray([2], [1f, 2f]);
        Directory.CreateDirectory(_folder);
        File.Copy(Path.Combine(ModelDirectory, ClipCheckpoint.ConfigFileName), Path.Combine(_folder, ClipCheckpoint.ConfigFileName));
        SafeTensorsFile.Write(Path.Combine(_folder, ClipCheckpoint.WeightsFileName), tensors);

        var e = Assert.Throws<InvalidDataException>(() => ClipModel.Load(_folder));
        Assert.Contains("3 problem(s)", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected tensor 'text_model.encoder.layers.7.mlp.fc1.weight'", e.Message, StringComparison.Ordinal);
        Assert.Contains("missing tensor 'vision_model.post_layernorm.bias'", e.Message, StringComparison.Ordinal);
        Assert.Contains("'text_projection.weight' has shape [32, 48] but the config needs [48, 32]", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_folder_and_files_are_named()
    {
        var missing = Path.Combine(_folder, "nope");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => ClipModel.Load(missing)).Message, StringComparison.Ordinal);
        Directory.CreateDirectory(_folder);
        Assert.Contains("config.json", Assert.Throws<FileNotFoundException>(() => ClipModel.Load(_folder)).Message, StringComparison.Ordinal);
        File.Copy(Path.Combine(ModelDirectory, ClipCheckpoint.ConfigFileName), Path.Combine(_folder, ClipCheckpoint.ConfigFileName));
        Assert.Contains("model.safetensors", Assert.Throws<FileNotFoundException>(() => ClipModel.Load(_folder)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unsupported_activation_and_bad_shapes_in_config_are_rejected()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, """{"text_config": {"hidden_act": "relu"}}""");
        // Bad values in a file are bad file contents: InvalidDataException naming the file, not ArgumentException.
        var relu = Assert.Throws<InvalidDataException>(() => ClipConfig.Load(path)).Message;
        Assert.Contains("hidden_act 'relu'", relu, StringComparison.Ordinal);
        Assert.StartsWith(path, relu, StringComparison.Ordinal);
        File.WriteAllText(path, """{"vision_config": {"image_size": 100, "patch_size": 32}}""");
        Assert.Contains("image_size 100", Assert.Throws<InvalidDataException>(() => ClipConfig.Load(path)).Message, StringComparison.Ordinal);
        File.WriteAllText(path, """{"projection_dim": "wide"}""");
        Assert.Contains("projection_dim", Assert.Throws<InvalidDataException>(() => ClipConfig.Load(path)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Legacy_config_dict_overrides_config_as_hugging_face_does()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "config.json");
        File.WriteAllText(path, """{"text_config": {"hidden_size": 256, "num_attention_heads": 4}, "text_config_dict": {"hidden_size": 128}, "vision_config": null}""");
        var config = ClipConfig.Load(path);
        Assert.Equal((128, 4, 768), (config.Text.Width, config.Text.Heads, config.Vision.Width));
    }

    [Fact]
    public void Saved_model_loads_back_with_identical_embeddings()
    {
        var model = LoadTiny();
        var pixels = Get("pixel_values");
        var before = model.EncodePixels(pixels, 4);
        model.Save(_folder);
        var again = ClipModel.Load(_folder);
        Assert.Equal(before.Array, again.EncodePixels(pixels, 4).Array);
        Assert.Equal(model.EncodeTexts(Captions).Array, again.EncodeTexts(Captions).Array);
    }

    [Fact]
    public void Training_steps_on_a_tiny_random_clip_decrease_the_contrastive_loss()
    {
        var model = new ClipModel(CpuBackend.Default, TinyConfig());
        model.ResetParameters(seed: 7);
        var parameters = model.Parameters();
        Assert.Equal(ClipCheckpoint.Bindings(model).Count - (4 * 2), parameters.Count); // per block, HF's q/k/v (6 tensors) are one packed c_attn (2)
        const int batch = 8;
        var rng = new Random(11);
        var pixels = new float[batch * model.Vision.PixelsPerImage];
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)(rng.NextDouble() * 2 - 1);
        }

        var tokens = new int[batch * 8];
        for (var b = 0; b < batch; b++)
        {
            var length = 2 + b % 5;
            for (var t = 0; t < length; t++)
            {
                tokens[b * 8 + t] = rng.Next(1, 62);
            }

            tokens[b * 8 + length] = 63; // end-of-text: the largest id
        }

        var optimizer = new AdamW(parameters, new AdamWOptions { LearningRate = 5e-3f, WeightDecay = 0.1f });
        var losses = new List<float>();
        for (var step = 0; step < 30; step++)
        {
            model.ZeroGrad();
            losses.Add(model.ForwardLoss(pixels, tokens, batch));
            model.Backward();
            optimizer.Step();
        }

        var trace = string.Join(", ", losses);
        Assert.All(losses, l => Assert.True(float.IsFinite(l), trace));
        Assert.True(losses[0] is > 1.0f and < 3.5f, trace); // near ln 8 ≈ 2.08 for an untrained model
        Assert.True(losses[^1] < 0.5f * losses[0], trace);
    }

    [Fact]
    public void Resetting_through_the_module_api_sets_clips_logit_scale_alone_or_as_a_child()
    {
        var expected = TinyConfig().LogitScaleInit;
        Assert.NotEqual(0f, expected);
        Module alone = new ClipModel(CpuBackend.Default, TinyConfig());
        alone.ResetParameters(seed: 2);
        Assert.Equal(expected, ((ClipModel)alone).LogitScale.Value.ToArray()[0]);

        var parent = new Holder(new ClipModel(CpuBackend.Default, TinyConfig()));
        parent.ResetParameters(seed: 2);
        Assert.Equal(expected, parent.Clip.LogitScale.Value.ToArray()[0]);
        Assert.Equal(
            ((ClipModel)alone).GetParameter("visual_projection.weight").Value.ToArray(),
            parent.Clip.GetParameter("visual_projection.weight").Value.ToArray());
    }

    [Fact]
    public void Same_seed_gives_the_same_model()
    {
        var a = new ClipModel(CpuBackend.Default, TinyConfig());
        var b = new ClipModel(CpuBackend.Default, TinyConfig());
        a.ResetParameters(3);
        b.ResetParameters(3);
        int[] tokens = [5, 6, 63, 0, 0, 0, 0, 0];
        Assert.Equal(a.EncodeTokens(tokens, 1).Array, b.EncodeTokens(tokens, 1).Array);
    }

    [Fact]
    public void Bad_inputs_name_the_argument()
    {
        var model = new ClipModel(CpuBackend.Default, TinyConfig());
        model.ResetParameters(1);
        Assert.Contains("outside the vocabulary", Assert.Throws<ArgumentException>(() => model.EncodeTokens([1, 64, 0, 0, 0, 0, 0, 0], 1)).Message, StringComparison.Ordinal);
        Assert.Contains("context of 8", Assert.Throws<ArgumentException>(() => model.EncodeTokens(new int[9], 1)).Message, StringComparison.Ordinal);
        Assert.Equal("pixels", Assert.Throws<ArgumentException>(() => model.EncodePixels(new float[10], 1)).ParamName);
        Assert.Throws<InvalidOperationException>(model.Backward);
    }

    [Fact]
    public void Patch_extraction_lays_patches_out_as_the_convolution_weight()
    {
        // 1 image, S = 4, p = 2: pixel value = 100·channel + 10·y + x.
        var pixels = new float[3 * 4 * 4];
        for (var ch = 0; ch < 3; ch++)
        {
            for (var y = 0; y < 4; y++)
            {
                for (var x = 0; x < 4; x++)
                {
                    pixels[(ch * 4 + y) * 4 + x] = 100 * ch + 10 * y + x;
                }
            }
        }

        var patches = new float[4 * 12];
        ClipVisionEncoder.ExtractPatches(pixels, patches, 1, 4, 2);

        // Patch (gy 0, gx 1) is row 1: channel-major, then rows, then columns.
        Assert.Equal([2f, 3, 12, 13, 102, 103, 112, 113, 202, 203, 212, 213], patches.AsSpan(12, 12).ToArray());
        Assert.Equal([20f, 21, 30, 31, 120, 121, 130, 131, 220, 221, 230, 231], patches.AsSpan(24, 12).ToArray());
    }
}

/// <summary>A module holding a CLIP model as its only child, as a bigger model would.</summary>
internal sealed class Holder : Module
{
    public Holder(ClipModel clip)
        : base(clip.Backend)
    {
        Clip = AddModule("clip", clip);
    }

    public ClipModel Clip { get; }
}
