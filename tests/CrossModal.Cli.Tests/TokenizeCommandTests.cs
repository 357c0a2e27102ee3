using System.Linq;
using System.Text.Json;
using Xunit;

namespace CrossModal.Cli.Tests;

[Collection("Console")]
public sealed class TokenizeCommandTests
{
    [Fact]
    public void Clip_json_is_an_array_of_id_arrays_without_start_and_end()
    {
        var result = ConsoleCapture.Run(["tokenize", "--tokenizer", "clip", "--json", "A black Honda motorcycle parked in front of a garage.", "A Honda motorcycle parked in a grass driveway"]);
        Assert.Equal(0, result.ExitCode);
        var ids = JsonSerializer.Deserialize<int[][]>(result.Out)!;
        Assert.Equal(2, ids.Length);
        Assert.Equal([320, 1449, 8553, 10297, 16487, 530, 2184, 539, 320, 8474, 269], ids[0]);
        Assert.Equal([320, 8553, 10297, 16487, 530, 320, 5922, 26273], ids[1]);
    }

    [Fact]
    public void Gpt2_reads_one_input_per_stdin_line_in_order()
    {
        var result = ConsoleCapture.Run(["tokenize", "--tokenizer", "gpt2", "--json"], stdin: "a   b\nhello world\n\n");
        Assert.Equal(0, result.ExitCode);
        var ids = JsonSerializer.Deserialize<int[][]>(result.Out)!;
        Assert.Equal(3, ids.Length);
        Assert.Equal([64, 220, 220, 275], ids[0]);
        Assert.Equal([31373, 995], ids[1]);
        Assert.Empty(ids[2]);
    }

    [Fact]
    public void Without_json_prints_one_line_of_ids_per_input()
    {
        var result = ConsoleCapture.Run(["tokenize", "--tokenizer", "gpt2", "hello world", "a   b"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(["31373 995", "64 220 220 275"], result.Out.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray());
    }

    [Fact]
    public void Unknown_or_missing_tokenizer_exits_2_with_one_line()
    {
        var unknown = ConsoleCapture.Run(["tokenize", "--tokenizer", "bert", "x"]);
        Assert.Equal(2, unknown.ExitCode);
        Assert.Equal("error: --tokenizer must be 'clip', 'gpt2' or an existing .tiktoken or .json file, not 'bert'.", unknown.Error.TrimEnd());
        var missing = ConsoleCapture.Run(["tokenize", "x"]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--tokenizer", missing.Error);
    }
}
