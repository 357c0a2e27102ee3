using System;
using System.IO;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary>Bad input to <c>crossmodal shapes</c> fails fast with one line and exit code 2, before any training.
/// (The experiment itself is run by CrossModal.ShapesWorld.Experiment.Tests.)</summary>
[Collection("Console")]
public sealed class ShapesExperimentCommandTests
{
    [Fact]
    public void NonPositiveSeedsAreRejected()
    {
        var (code, stdout, stderr) = ConsoleCapture.Run("shapes", "--quick", "--seeds", "0");
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("--seeds", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void AnOutputPathThatIsAFileIsRejected()
    {
        var file = Path.GetTempFileName();
        try
        {
            var (code, _, stderr) = ConsoleCapture.Run("shapes", "--quick", "--out", file);
            Assert.Equal(2, code);
            Assert.Contains("--out", stderr, StringComparison.Ordinal);
            Assert.Contains("is a file", stderr, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("hot")]
    public void ABadLogitScaleIsRejected(string value)
    {
        var (code, stdout, stderr) = ConsoleCapture.Run("shapes", "--quick", "--clip-logit-scale", value);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains("--clip-logit-scale", stderr, StringComparison.Ordinal);
        Assert.Contains("'learned'", stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--split", "train", "'test' or 'validation'")]
    [InlineData("--captioner-steps", "0", "must be positive")]
    [InlineData("--clip-steps", "-5", "must be positive")]
    [InlineData("--clip-batch-size", "0", "must be positive")]
    [InlineData("--clip-batch-size", "66", "a multiple of --clip-hard-negatives 4")]
    [InlineData("--clip-hard-negatives", "3", "a multiple of --clip-hard-negatives 3")]
    [InlineData("--clip-group-weight", "-1", "a finite weight ≥ 0")]
    [InlineData("--clip-group-weight", "NaN", "a finite weight ≥ 0")]
    [InlineData("--seeds", "0", "must be positive")]
    [InlineData("--worlds", "0", "must be positive")]
    [InlineData("--gap-study", "natural", "'none', 'emulated' or 'full'")]
    [InlineData("--bootstrap-resamples", "50", "at least 100")]
    [InlineData("--shapes", "circle,rhombus", "'rhombus'")]
    [InlineData("--colors", "red", "at least two")]
    public void ABadBudgetOrSplitIsRejectedNamingTheOption(string option, string value, string expected)
    {
        var (code, stdout, stderr) = ConsoleCapture.Run("shapes", "--quick", option, value);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Contains(option, stderr, StringComparison.Ordinal);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }
}
