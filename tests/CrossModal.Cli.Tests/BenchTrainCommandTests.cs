using System;
using System.Diagnostics;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace CrossModal.Cli.Tests;

/// <summary><c>crossmodal bench train</c>, run as a child process so stdout and stderr are its own.</summary>
public class BenchTrainCommandTests
{
    [Fact]
    public void Json_output_has_exactly_the_documented_keys()
    {
        var (code, stdout, _) = Run("bench train --steps 1 --warmup 0 --json");
        Assert.Equal(0, code);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(new[] { "tokens_per_second", "model" }, root.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.True(root.GetProperty("tokens_per_second").GetDouble() > 0);
        var model = root.GetProperty("model");
        Assert.Equal(new[] { "layers", "width", "heads", "vocab", "context", "batch" }, model.EnumerateObject().Select(p => p.Name).ToArray());
        Assert.Equal(new[] { 4, 256, 8, 5000, 32, 32 }, model.EnumerateObject().Select(p => p.Value.GetInt32()).ToArray());
    }

    [Fact]
    public void Bad_step_count_is_a_one_line_error_with_exit_code_2()
    {
        var (code, stdout, stderr) = Run("bench train --steps 0");
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, stdout);
        Assert.Equal("error: --steps must be at least 1; got 0.", stderr.Trim());
    }

    private static (int Code, string Stdout, string Stderr) Run(string arguments) => ToolProcess.Run(arguments);
}
