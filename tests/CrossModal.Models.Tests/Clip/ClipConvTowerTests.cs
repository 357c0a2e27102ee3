using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Models.Clip;
using CrossModal.Tensors.Cpu;
using CrossModal.Tensors.IO;
using CrossModal.Testing;
using Xunit;

namespace CrossModal.Models.Tests.Clip;

/// <summary>The convolutional CLIP image tower: PyTorch parity, its config.json keys and its checkpoint round trip.</summary>
public sealed class ClipConvTowerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "crossmodal-convclip-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    private static ClipConfig TinyConvConfig(bool globalMaxPool = false) => new()
    {
        ProjectionDim = 5,
        Text = new ClipTextConfig { VocabularySize = 64, Width = 16, MlpHidden = 32, Heads = 2, Layers = 1, Context = 8 },
        Vision = new ClipVisionConfig { Tower = ClipVisionTower.Convolutional, ConvLayers = "4 M 6 M", ImageSize = 8, ConvGlobalMaxPool = globalMaxPool },
    };

    [Theory]
    [InlineData("conv_tower", false, 7)]
    [InlineData("conv_tower_max", true, 10)]
    public void Tower_features_and_every_gradient_match_pytorch(string fixture, bool globalMaxPool, int parameters)
    {
        var f = SafeTensorsFile.Read(Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "nn", fixture + ".safetensors")).Tensors;
        var model = new ClipModel(CpuBackend.Default, TinyConvConfig(globalMaxPool));
        var tower = Assert.IsType<ClipConvVisionEncoder>(model.Vision);
        var named = new Dictionary<string, CrossModal.Tensors.Nn.Parameter>();
        foreach (var pair in tower.NamedParameters())
        {
            named[pair.Key] = pair.Value;
            pair.Value.Value.CopyFrom(f[pair.Key].Data);
        }

        Assert.Equal(parameters, named.Count);
        for (var pass = 0; pass < 2; pass++)
        {
            // Twice: the second pass runs on the tower's reused buffers and must give the same numbers.
            var features = tower.Forward(f["pixels"].Data, 3);
            Close(f["out"].Data, features.ToArray(), 1e-5, "out");
            var dout = CpuBackend.Default.Allocate(3, 5);
            dout.CopyFrom(f["dout"].Data);
            tower.ZeroGrad();
            tower.Backward(dout);
            foreach (var (name, p) in named)
            {
                Close(f["d." + name].Data, p.Gradient.ToArray(), 1e-4, "d." + name);
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Saved_conv_clip_is_a_checkpoint_folder_that_loads_back_identically(bool globalMaxPool)
    {
        var model = new ClipModel(CpuBackend.Default, TinyConvConfig(globalMaxPool));
        model.ResetParameters(3);
        var pixels = new float[2 * model.Vision.PixelsPerImage];
        var rng = new Random(1);
        for (var i = 0; i < pixels.Length; i++)
        {
            pixels[i] = (float)rng.NextDouble();
        }

        var before = model.EncodePixels(pixels, 2);
        model.Save(_folder);
        var json = File.ReadAllText(Path.Combine(_folder, ClipCheckpoint.ConfigFileName));
        Assert.Contains("\"tower\": \"conv\"", json, StringComparison.Ordinal);
        Assert.Contains("\"conv_layers\": \"4 M 6 M\"", json, StringComparison.Ordinal);
        var names = SafeTensorsFile.Read(Path.Combine(_folder, ClipCheckpoint.WeightsFileName)).Tensors.Keys;
        Assert.Contains("vision_model.layers.1.weight", names);
        Assert.Contains("visual_projection.weight", names);
        Assert.Equal(globalMaxPool, json.Contains("\"conv_global_max_pool\": true", StringComparison.Ordinal));
        Assert.Equal(globalMaxPool, System.Linq.Enumerable.Contains(names, "vision_model.pool_projection.weight"));

        var again = ClipModel.Load(_folder);
        Assert.Equal(globalMaxPool, Assert.IsType<ClipConvVisionEncoder>(again.Vision).GlobalPool is not null);
        Assert.Equal(before.Array, again.EncodePixels(pixels, 2).Array);
    }

    [Fact]
    public void A_vit_config_json_gains_no_tower_keys()
    {
        var path = Path.Combine(_folder, "config.json");
        new ClipConfig().Save(path);
        var json = File.ReadAllText(path);
        Assert.DoesNotContain("tower", json, StringComparison.Ordinal);
        Assert.Equal(ClipVisionTower.Transformer, ClipConfig.Load(path).Vision.Tower);
    }

    [Theory]
    [InlineData("M 4", "start with a convolution")]
    [InlineData("4 x", "'x'")]
    [InlineData("4 M M M M", "below one pixel")]
    public void Bad_conv_layers_are_rejected_with_the_reason(string layers, string reason)
    {
        var config = TinyConvConfig();
        config.Vision.ConvLayers = layers;
        var e = Assert.Throws<ArgumentException>(config.Validate);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    private static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff += Math.Pow(actual[i] - expected[i], 2);
            norm += (double)expected[i] * expected[i];
        }

        Assert.True(Math.Sqrt(diff / norm) <= tolerance, $"{what}: relative error {Math.Sqrt(diff / norm)}");
    }
}
