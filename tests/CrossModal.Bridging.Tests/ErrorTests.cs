using System;
using CrossModal.Abstractions;
using Xunit;

namespace CrossModal.Bridging.Tests;

/// <summary>Bad input gets an exception that names what is wrong.</summary>
public class ErrorTests
{
    private static readonly (EmbeddingMatrix Images, EmbeddingMatrix Texts) Data = TestData.Paired(20, 8, seed: 30);

    [Theory]
    [InlineData(BridgePreset.C2Collapse, "UnpairedTexts")]
    [InlineData(BridgePreset.CloseLinear, "PairedTexts")]
    [InlineData(BridgePreset.CloseCovariance, "PairedTexts")]
    [InlineData(BridgePreset.DeCap, "SupportTexts")]
    [InlineData(BridgePreset.SynTic, "PseudoImages")]
    public void Missing_fit_data_names_the_piece(BridgePreset preset, string piece)
    {
        var e = Assert.Throws<ArgumentException>(() => BridgePresets.Create(preset).Fit(new BridgeFitData()));
        Assert.Contains("BridgeFitData." + piece, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_second_modality_is_named()
    {
        var e = Assert.Throws<ArgumentException>(() => BridgePresets.Create(BridgePreset.C2Collapse).Fit(new BridgeFitData { UnpairedTexts = Data.Texts }));
        Assert.Contains("UnpairedImages", e.Message, StringComparison.Ordinal);
        var f = Assert.Throws<ArgumentException>(() => BridgePresets.Create(BridgePreset.SynTic).Fit(new BridgeFitData { PseudoImages = Data.Images }));
        Assert.Contains("PseudoImageTexts", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unequal_pair_counts_are_rejected()
    {
        var e = Assert.Throws<ArgumentException>(() => BridgePresets.Create(BridgePreset.CloseLinear)
            .Fit(new BridgeFitData { PairedTexts = Data.Texts, PairedImages = Data.Images.SliceRows(0, 19) }));
        Assert.Contains("20 rows", e.Message, StringComparison.Ordinal);
        Assert.Contains("19", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(BridgePreset.C2Collapse)]
    [InlineData(BridgePreset.CloseLinear)]
    [InlineData(BridgePreset.DeCap)]
    [InlineData(BridgePreset.SynTic)]
    public void Transform_before_fit_throws(BridgePreset preset)
    {
        var bridge = BridgePresets.Create(preset);
        Assert.False(bridge.IsFitted);
        var e = Assert.Throws<InvalidOperationException>(() => bridge.TransformForInference(Data.Images));
        Assert.Contains("not fitted", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => bridge.TransformForTraining(Data.Texts, new Random(0)));
        Assert.Throws<InvalidOperationException>(() => bridge.ExportState());
    }

    [Fact]
    public void Dimension_mismatch_names_both_dimensions()
    {
        var bridge = BridgePresets.Create(BridgePreset.C3);
        bridge.Fit(new BridgeFitData { UnpairedTexts = Data.Texts, UnpairedImages = Data.Images });
        var e = Assert.Throws<ArgumentException>(() => bridge.TransformForInference(TestData.Random(3, 9, seed: 1)));
        Assert.Contains("dimension 8", e.Message, StringComparison.Ordinal);
        Assert.Contains("got 9", e.Message, StringComparison.Ordinal);
        Assert.Equal("images", e.ParamName);

        var f = Assert.Throws<ArgumentException>(() => BridgePresets.Create(BridgePreset.C2Collapse)
            .Fit(new BridgeFitData { UnpairedTexts = Data.Texts, UnpairedImages = TestData.Random(5, 7, seed: 2) }));
        Assert.Contains("dimension 8", f.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Non_finite_values_name_the_row()
    {
        var bridge = BridgePresets.Create(BridgePreset.C2Collapse);
        bridge.Fit(new BridgeFitData { UnpairedTexts = Data.Texts, UnpairedImages = Data.Images });
        var bad = Data.Texts.Clone();
        bad.Row(13)[2] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => bridge.TransformForTraining(bad, new Random(0)));
        Assert.Contains("row 13", e.Message, StringComparison.Ordinal);
        Assert.Equal("texts", e.ParamName);

        var f = Assert.Throws<ArgumentException>(() => BridgePresets.Create(BridgePreset.C2Collapse)
            .Fit(new BridgeFitData { UnpairedTexts = bad, UnpairedImages = Data.Images }));
        Assert.Contains("row 13", f.Message, StringComparison.Ordinal);

        var g = Assert.Throws<ArgumentException>(() => ModalityGapReport.Compute(Data.Images, bad));
        Assert.Contains("row 13", g.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_are_rejected_with_every_problem_named()
    {
        var e = Assert.Throws<ArgumentException>(() => new BridgePipelineBuilder().AddGaussianNoise(new GaussianNoiseOptions { Sigma = -1 }));
        Assert.Contains("Sigma", e.Message, StringComparison.Ordinal);
        var f = Assert.Throws<ArgumentException>(() => new BridgePipelineBuilder()
            .AddSyntheticPairAlignment(new SyntheticPairAlignmentOptions { Steps = -1, Temperature = 0, BatchSize = 1 }));
        Assert.Contains("Steps", f.Message, StringComparison.Ordinal);
        Assert.Contains("Temperature", f.Message, StringComparison.Ordinal);
        Assert.Contains("BatchSize", f.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new BridgePipelineBuilder().AddSupportSetProjection(new SupportSetProjectionOptions { Temperature = double.NaN }));
        Assert.Throws<ArgumentException>(() => new BridgePipelineBuilder().AddCovarianceNoise(new CovarianceNoiseOptions { RelativeJitter = 0 }));
    }

    [Fact]
    public void Options_are_copied_so_later_changes_do_not_leak_in()
    {
        var options = new GaussianNoiseOptions { Sigma = 0.1 };
        var bridge = new BridgePipelineBuilder().AddGaussianNoise(options).Build();
        var before = bridge.TransformForTraining(Data.Texts, new Random(1));
        options.Sigma = 5;
        Assert.Equal(before.Array, bridge.TransformForTraining(Data.Texts, new Random(1)).Array);
    }

    [Fact]
    public void Gap_report_rejects_mismatched_pairs()
    {
        var e = Assert.Throws<ArgumentException>(() => ModalityGapReport.Compute(Data.Images, Data.Texts.SliceRows(0, 10)));
        Assert.Contains("20 rows", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => ModalityGapReport.Compute(Data.Images, TestData.Random(20, 9, seed: 3)));
        Assert.Throws<ArgumentException>(() => ModalityGapReport.Compute(Data.Images.SliceRows(0, 1), Data.Texts.SliceRows(0, 1)));
    }
}
