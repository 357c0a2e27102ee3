using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal bench shapes-clip</c>, run as a child process so stdout and stderr are its own.</summary>
public class BenchShapesClipCommandTests
{
    [Fact]
    public void Json_output_has_exactly_the_documented_keys()
    {
        var (code, stdout, _) = Run("bench shapes-clip --steps 1 --warmup 0 --json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(
            new[] { "step_ms", "pairs_per_second", "image_tower_ms", "text_tower_ms", "batch", "text_width", "threads" },
            root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.True(root.GetProperty("step_ms").GetDouble() > 0);
        Assert.True(root.GetProperty("image_tower_ms").GetDouble() > 0);
        Assert.Equal(128, root.GetProperty("batch").GetInt32());
        Assert.Equal(128, root.GetProperty("text_width").GetInt32());
    }

    [Fact]
    public void A_width_that_does_not_split_into_heads_is_a_one_line_error_with_exit_code_2()
    {
        var (code, stdout, stderr) = Run("bench shapes-clip --width 48");
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal("error: --width must be a positive multiple of 32 (heads of 32); got 48.", stderr.Trim());
    }

    private static (int Code, string Stdout, string Stderr) Run(string arguments) => ToolProcess.Run(arguments);
}
