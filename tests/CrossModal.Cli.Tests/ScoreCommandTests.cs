using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Nodes;
using Xunit;
using CrossModal.Testing;

namespace CrossModal.Cli.Tests;

[Collection("Console")]
public sealed class ScoreCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("crossmodal-score-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, string json)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, json);
        return path;
    }

    private (string Refs, string Cands) TinyGolden(out JsonElement scores)
    {
        var golden = JsonNode.Parse(File.ReadAllText(RepositoryPaths.Data("metrics/pycocoevalcap_tiny_golden.json")))!;
        scores = JsonDocument.Parse(golden["scores"]!.ToJsonString()).RootElement;
        var cands = new JsonObject
        {
            ["1"] = golden["res"]!["1"]!.DeepClone(),   // one-element list
            ["2"] = golden["res"]!["2"]![0]!.GetValue<string>(), // plain string
            ["3"] = golden["res"]!["3"]!.DeepClone(),
        };
        return (Write("refs.json", golden["gts"]!.ToJsonString()), Write("cands.json", cands.ToJsonString()));
    }

    [Fact]
    public void Json_output_has_exactly_the_documented_keys_and_pycocoevalcap_values()
    {
        var (refs, cands) = TinyGolden(out var expected);
        var result = ConsoleCapture.Run(["score", "--refs", refs, "--cands", cands, "--tokenize", "none", "--json"]);
        Assert.Equal(0, result.ExitCode);
        Assert.Equal(string.Empty, result.Error);
        var lines = result.Out.TrimEnd('\n', '\r').Split('\n');
        Assert.Single(lines);

        using var document = JsonDocument.Parse(lines[0]);
        var names = document.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
        Assert.Equal(["BLEU-1", "BLEU-2", "BLEU-3", "BLEU-4", "ROUGE-L", "CIDEr-D", "n"], names);
        Assert.Equal(3, document.RootElement.GetProperty("n").GetInt32());
        for (var k = 0; k < 4; k++)
        {
            Assert.Equal(expected.GetProperty("Bleu").GetProperty("corpus")[k].GetDouble(), document.RootElement.GetProperty($"BLEU-{k + 1}").GetDouble(), 1e-9);
        }

        Assert.Equal(expected.GetProperty("Rouge").GetProperty("corpus").GetDouble(), document.RootElement.GetProperty("ROUGE-L").GetDouble(), 1e-9);
        Assert.Equal(expected.GetProperty("CIDEr-D").GetProperty("corpus").GetDouble(), document.RootElement.GetProperty("CIDEr-D").GetDouble(), 1e-9);
    }

    [Fact]
    public void Default_ptb_tokenization_ignores_case_and_punctuation_and_table_goes_to_stdout()
    {
        var refs = Write("r.json", "{\"a\": [\"a man riding a horse on a beach\", \"a rider on a horse\"], \"b\": [\"two dogs playing in the snow\"]}");
        var messy = Write("c1.json", "{\"a\": \"A man riding a horse, on a BEACH.\", \"b\": [\"Two dogs playing in snow!\"]}");
        var clean = Write("c2.json", "{\"a\": \"a man riding a horse on a beach\", \"b\": \"two dogs playing in snow\"}");
        var first = ConsoleCapture.Run(["score", "--refs", refs, "--cands", messy, "--json"]);
        var second = ConsoleCapture.Run(["score", "--refs", refs, "--cands", clean, "--tokenize", "none", "--json"]);
        Assert.Equal(0, first.ExitCode);
        Assert.Equal(second.Out, first.Out);

        var table = ConsoleCapture.Run(["score", "--refs", refs, "--cands", messy]);
        Assert.Equal(0, table.ExitCode);
        Assert.Contains("CIDEr-D", table.Out);
        Assert.DoesNotContain("{", table.Out);
    }

    [Theory]
    [InlineData("{\"a\": [\"x y\"], \"b\": [\"y z\"]}", "{\"a\": \"x\"}", "image 'b'")]
    [InlineData("{\"a\": [\"x y\"]}", "{\"a\": \"x\", \"zz\": \"y\"}", "image 'zz'")]
    [InlineData("{\"a\": [], \"b\": [\"y\"]}", "{\"a\": \"x\", \"b\": \"y\"}", "image 'a' has an empty list")]
    [InlineData("{\"a\": [\"x\", 3]}", "{\"a\": \"x\"}", "image 'a': reference 1 is a number")]
    [InlineData("{\"a\": \"x y\"}", "{\"a\": \"x\"}", "image 'a': expected a list")]
    [InlineData("{\"a\": [\"x\"]}", "{\"a\": []}", "image 'a' has an empty list")]
    [InlineData("{\"a\": [\"x\"]}", "{\"a\": [\"x\", \"y\"]}", "image 'a' has 2 candidates")]
    [InlineData("{\"a\": [\"x\"]}", "{\"a\": [null]}", "image 'a': the candidate is null")]
    [InlineData("{\"a\": [\"x\"]}", "{\"a\": 5}", "image 'a': expected a string or a one-element list")]
    [InlineData("[\"x\"]", "{\"a\": \"x\"}", "expected a JSON object")]
    [InlineData("{\"a\": [\"x\"]", "{\"a\": \"x\"}", "invalid JSON")]
    [InlineData("{\"a\": [\"x \\ud800\"]}", "{\"a\": \"x\"}", "refs.json: an image id or caption is not valid Unicode text")]
    [InlineData("{\"a\": [\"x\"]}", "{\"\\udc00\": \"x\"}", "cands.json: an image id or caption is not valid Unicode text")]
    public void Bad_input_is_one_line_on_stderr_naming_the_id_with_exit_code_2(string refsJson, string candsJson, string expected)
    {
        var refs = Write("refs.json", refsJson);
        var cands = Write("cands.json", candsJson);
        var result = ConsoleCapture.Run(["score", "--refs", refs, "--cands", cands, "--json"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal(string.Empty, result.Out);
        var error = result.Error.TrimEnd('\n', '\r');
        Assert.DoesNotContain('\n', error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Missing_file_and_unknown_tokenization_exit_2()
    {
        var refs = Write("refs.json", "{\"a\": [\"x\"]}");
        var missing = ConsoleCapture.Run(["score", "--refs", refs, "--cands", Path.Combine(_directory, "nope.json")]);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("nope.json", missing.Error);
        var tokenize = ConsoleCapture.Run(["score", "--refs", refs, "--cands", refs, "--tokenize", "bpe"]);
        Assert.Equal(2, tokenize.ExitCode);
        Assert.Contains("--tokenize must be 'none' or 'ptb'", tokenize.Error);
        var noRefs = ConsoleCapture.Run(["score", "--cands", refs]);
        Assert.Equal(2, noRefs.ExitCode);
        Assert.Contains("--refs", noRefs.Error);
    }
}
