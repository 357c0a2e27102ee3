using System;
using CrossModal.Abstractions;
using Xunit;

namespace CrossModal.Bridging.Tests;

/// <summary>Fitted state survives export and import, in memory and through a file.</summary>
public class StateTests
{
    private static BridgeFitData AllData()
    {
        var (images, texts) = TestData.Paired(50, 12, seed: 40);
        return new BridgeFitData
        {
            UnpairedTexts = texts, UnpairedImages = images, PairedTexts = texts, PairedImages = images,
            SupportTexts = texts, PseudoImages = images, PseudoImageTexts = texts,
        };
    }

    [Theory]
    [InlineData(BridgePreset.C3)]
    [InlineData(BridgePreset.CloseLinear)]
    [InlineData(BridgePreset.CloseCovariance)]
    [InlineData(BridgePreset.DeCap)]
    [InlineData(BridgePreset.SynTic)]
    [InlineData(BridgePreset.C1)]
    public void Pipeline_rebuilt_from_state_gives_identical_outputs(BridgePreset preset)
    {
        var data = AllData();
        var original = BridgePresets.Create(preset);
        original.Fit(data);
        var restored = BridgePipeline.FromState(original.ExportState());
        var fresh = BridgePresets.Create(preset);
        fresh.ImportState(original.ExportState());

        var (images, texts) = TestData.Paired(9, 12, seed: 41);
        foreach (var copy in new[] { restored, fresh })
        {
            Assert.Equal(original.Name, copy.Name);
            Assert.True(copy.IsFitted);
            Assert.Equal(original.TransformForInference(images).Array, copy.TransformForInference(images).Array);
            Assert.Equal(original.TransformForTraining(texts, new Random(3)).Array, copy.TransformForTraining(texts, new Random(3)).Array);
            Assert.Equal(original.TransformForTraining(data.PseudoImageTexts!, new Random(3)).Array, copy.TransformForTraining(data.PseudoImageTexts!, new Random(3)).Array);
        }
    }

    [Fact]
    public void Importing_another_strategys_state_is_rejected()
    {
        var collapse = BridgePresets.Create(BridgePreset.C2Collapse);
        collapse.Fit(AllData());
        var e = Assert.Throws<ArgumentException>(() => BridgePresets.Create(BridgePreset.DeCap).ImportState(collapse.ExportState()));
        Assert.Contains("collapse", e.Message, StringComparison.Ordinal);
        Assert.Contains("support_set_projection", e.Message, StringComparison.Ordinal);
        var f = Assert.Throws<ArgumentException>(() => BridgePresets.Create(BridgePreset.C3).ImportState(collapse.ExportState()));
        Assert.Contains("1 stages", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_state_is_rejected()
    {
        var collapse = BridgePresets.Create(BridgePreset.C2Collapse);
        collapse.Fit(AllData());
        var state = collapse.ExportState();
        state.Tensors.Remove("stage0.image_mean");
        var e = Assert.Throws<ArgumentException>(() => BridgePipeline.FromState(state));
        Assert.Contains("image_mean", e.Message, StringComparison.Ordinal);
    }
}

/// <summary>Bridge state through a safetensors file.</summary>
public class StateFileTests : IDisposable
{
    private readonly string _directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "crossmodal-bridge-" + Guid.NewGuid().ToString("N"));

    public StateFileTests() => System.IO.Directory.CreateDirectory(_directory);

    public void Dispose() => System.IO.Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Saved_pipeline_loads_with_identical_outputs()
    {
        var (images, texts) = TestData.Paired(30, 10, seed: 60);
        var c3 = BridgePresets.Create(BridgePreset.CloseLinear);
        c3.Fit(new BridgeFitData { PairedTexts = texts, PairedImages = images });
        var path = System.IO.Path.Combine(_directory, "c3.bridge.safetensors");
        BridgeStateFile.Save(path, c3);
        var loaded = BridgeStateFile.LoadPipeline(path);
        Assert.Equal(c3.Name, loaded.Name);
        Assert.Equal(c3.TransformForTraining(texts, new Random(8)).Array, loaded.TransformForTraining(texts, new Random(8)).Array);
        Assert.Equal(System.IO.Path.Combine(_directory, "c3.bridge.safetensors"), System.IO.Directory.GetFiles(_directory)[0]);
    }

    [Theory]
    [InlineData("crossmodal.bridge.name", "no-such-strategy")]
    [InlineData("crossmodal.bridge.stages", "two")]
    [InlineData("crossmodal.bridge.options", "{not json")]
    public void A_bridge_state_with_bad_contents_is_bad_file_contents_naming_the_file(string key, string value)
    {
        // Written by a fitted C3 pipeline, then one metadata entry spoiled: reading it back is a file error
        // (InvalidDataException naming the file), not an argument error from inside the strategies.
        var (images, texts) = TestData.Paired(30, 10, seed: 61);
        var c3 = BridgePresets.Create(BridgePreset.C3);
        c3.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images });
        var state = c3.ExportState();
        var spoiled = key == "crossmodal.bridge.name" || key == "crossmodal.bridge.stages" ? key : "stage0." + key;
        Assert.True(state.Metadata.ContainsKey(spoiled) || key == "crossmodal.bridge.options", $"no metadata '{spoiled}'");
        state.Metadata[spoiled] = value;
        var path = System.IO.Path.Combine(_directory, "spoiled.bridge.safetensors");
        BridgeStateFile.Save(path, state);

        var e = Assert.Throws<System.IO.InvalidDataException>(() => BridgeStateFile.LoadPipeline(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        if (key != "crossmodal.bridge.options")
        {
            // Importing into an existing pipeline reads the structure, not the options (the pipeline has its own).
            var f = Assert.Throws<System.IO.InvalidDataException>(() => BridgeStateFile.Import(path, BridgePresets.Create(BridgePreset.C3)));
            Assert.Contains(path, f.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_file_without_a_bridge_is_rejected_naming_it()
    {
        var path = System.IO.Path.Combine(_directory, "other.safetensors");
        CrossModal.Tensors.IO.SafeTensorsFile.Write(path, new System.Collections.Generic.Dictionary<string, CrossModal.Tensors.HostArray>
        {
            ["w"] = new([2], new[] { 1f, 2f }),
        });
        var e = Assert.Throws<System.IO.InvalidDataException>(() => BridgeStateFile.Load(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }
}
