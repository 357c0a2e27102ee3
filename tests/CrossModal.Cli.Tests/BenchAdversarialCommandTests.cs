using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal bench adversarial</c>, run as a child process so stdout and stderr are its own.</summary>
public class BenchAdversarialCommandTests
{
    private static readonly string[] Stages = ["sampling", "clip_text_encoder", "rewards", "generator_backward", "discriminator_backward"];

    [Fact]
    public void Json_reports_throughput_and_every_stage_against_its_flop_share()
    {
        var (code, stdout, stderr) = Run("bench adversarial --steps 1 --warmup 1 --json");
        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(
            ["samples_per_second", "ms_per_step", "gflop_per_step", "stages", "mean_caption_tokens", "allocated_bytes_per_step", "threads", "steps", "model"],
            root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.True(root.GetProperty("samples_per_second").GetDouble() > 0);
        var msPerStep = root.GetProperty("ms_per_step").GetDouble();
        Assert.Equal(40 / (msPerStep / 1000), root.GetProperty("samples_per_second").GetDouble(), tolerance: 0.05 * root.GetProperty("samples_per_second").GetDouble());
        var stages = root.GetProperty("stages");
        Assert.Equal(Stages, stages.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(1.0, Stages.Sum(s => stages.GetProperty(s).GetProperty("flop_share").GetDouble()), 2);
        Assert.Equal(1.0, Stages.Sum(s => stages.GetProperty(s).GetProperty("time_share").GetDouble()), 2);
        Assert.Equal(msPerStep, Stages.Sum(s => stages.GetProperty(s).GetProperty("ms").GetDouble()), tolerance: 0.01 * msPerStep + 0.1);
        foreach (var stage in Stages)
        {
            var s = stages.GetProperty(stage);
            Assert.True(s.GetProperty("flop_share").GetDouble() > 0, stage);
            Assert.Equal(s.GetProperty("time_share").GetDouble() / s.GetProperty("flop_share").GetDouble(), s.GetProperty("ratio").GetDouble(), tolerance: 0.02 * s.GetProperty("ratio").GetDouble() + 0.01);
        }

        // The CLIP text encoder (12 layers of width 512) over every sampled caption dominates the arithmetic.
        Assert.True(stages.GetProperty("clip_text_encoder").GetProperty("flop_share").GetDouble() > 0.3);
        Assert.InRange(root.GetProperty("mean_caption_tokens").GetDouble(), 1, 21);
    }

    [Fact]
    public void Bad_step_count_is_a_one_line_error_with_exit_code_2()
    {
        var (code, stdout, stderr) = Run("bench adversarial --steps 0");
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal("error: --steps must be at least 1 and --warmup at least 0; got 0 and 2.", stderr.Trim());
    }

    private static (int Code, string Stdout, string Stderr) Run(string arguments) => ToolProcess.Run(arguments);
}
