using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Abstractions;
using Xunit;

namespace CrossModal.Bridging.Tests;

/// <summary>A builder is a recipe: every Build makes its own stages, so pipelines never share fitted state.</summary>
public class PipelineBuilderTests
{
    [Fact]
    public void Two_built_pipelines_share_no_stage_and_fitting_one_leaves_the_other_unfitted()
    {
        var builder = new BridgePipelineBuilder().AddCollapse().AddLinearAdapter().AddPreset(BridgePreset.DeCap);
        var first = builder.Build();
        var second = builder.Build();

        Assert.Equal(3, first.Stages.Count);
        Assert.Equal(first.Name, second.Name);
        Assert.Empty(first.Stages.Intersect(second.Stages, ReferenceEqualityComparer.Instance));

        var (images, texts) = TestData.Paired(30, 8, seed: 5);
        first.Fit(new BridgeFitData { PairedImages = images, PairedTexts = texts, SupportTexts = texts });
        Assert.True(first.IsFitted);
        Assert.False(second.IsFitted);
        Assert.Throws<InvalidOperationException>(() => second.TransformForInference(images));
    }

    [Fact]
    public void Pipelines_fitted_on_different_data_keep_their_own_state()
    {
        var builder = new BridgePipelineBuilder().AddMeanShift();
        var first = builder.Build();
        var second = builder.Build();
        var (imagesA, textsA) = TestData.Paired(20, 8, seed: 6);
        var (imagesB, textsB) = TestData.Paired(20, 8, seed: 7);
        first.Fit(new BridgeFitData { PairedImages = imagesA, PairedTexts = textsA, UnpairedImages = imagesA, UnpairedTexts = textsA });
        var before = first.TransformForTraining(textsA, new Random(0)).Array;
        second.Fit(new BridgeFitData { PairedImages = imagesB, PairedTexts = textsB, UnpairedImages = imagesB, UnpairedTexts = textsB });
        Assert.Equal(before, first.TransformForTraining(textsA, new Random(0)).Array);
    }

    [Fact]
    public void A_factory_stage_is_called_once_per_build()
    {
        var calls = 0;
        var builder = new BridgePipelineBuilder().AddBridge(() =>
        {
            calls++;
            return BridgePresets.Create(BridgePreset.C2Collapse).Stages[0];
        });
        var first = builder.Build();
        var second = builder.Build();
        Assert.Equal(2, calls);
        Assert.NotSame(first.Stages[0], second.Stages[0]);
    }

    [Fact]
    public void An_instance_stage_serves_one_build_and_a_second_build_says_to_use_a_factory()
    {
        var instance = BridgePresets.Create(BridgePreset.C2Collapse).Stages[0];
        var builder = new BridgePipelineBuilder().AddBridge(instance);
        Assert.Same(instance, builder.Build().Stages[0]);
        var e = Assert.Throws<InvalidOperationException>(() => builder.Build());
        Assert.Contains("factory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_changed_after_adding_a_stage_do_not_reach_later_builds()
    {
        var options = new GaussianNoiseOptions { Sigma = 0.1 };
        var builder = new BridgePipelineBuilder().AddGaussianNoise(options);
        options.Sigma = 0.5;
        var state = builder.Build().Stages[0];
        state.Fit(new BridgeFitData());
        Assert.Contains("0.1", state.ExportState().Metadata["crossmodal.bridge.options"], StringComparison.Ordinal);
    }
}
