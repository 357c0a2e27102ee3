using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using CrossModal.Evaluation.Captioning;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal score --refs REFS.json --cands CANDS.json [--tokenize none|ptb] [--json]</c>: BLEU-1..4, ROUGE-L and
/// CIDEr-D as pycocoevalcap computes them.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create()
    {
        var refs = new Option<string?>("--refs") { Description = "JSON object: image id → list of reference captions." };
        var cands = new Option<string?>("--cands") { Description = "JSON object: image id → candidate caption (a string or a one-element list)." };
        var tokenize = new Option<string>("--tokenize")
        {
            Description = "ptb (default): lower-case and strip punctuation like pycocoevalcap's PTB tokenizer (approximation); none: split on whitespace (pre-tokenised text, exact parity).",
            DefaultValueFactory = _ => "ptb",
        };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var command = new Command("score", "Score candidate captions against references with BLEU-1..4, ROUGE-L and CIDEr-D (pycocoevalcap conventions).")
        {
            refs, cands, tokenize, json,
        };
        command.SetAction(parse => Run(
            parse.GetValue(refs) ?? throw new CommandLineError("--refs REFS.json is required."),
            parse.GetValue(cands) ?? throw new CommandLineError("--cands CANDS.json is required."),
            parse.GetValue(tokenize) ?? "ptb",
            parse.GetValue(json)));
        return command;
    }

    private static int Run(string refsPath, string candsPath, string tokenizeName, bool json)
    {
        var tokenization = tokenizeName switch
        {
            "none" => CaptionTokenization.None,
            "ptb" => CaptionTokenization.Ptb,
            _ => throw new CommandLineError($"--tokenize must be 'none' or 'ptb', not '{tokenizeName}'."),
        };

        var references = ReadStrings(refsPath, ReadReferences);
        var candidates = ReadStrings(candsPath, ReadCandidates);
        foreach (var id in references.Keys)
        {
            if (!candidates.ContainsKey(id))
            {
                throw new CommandLineError($"image '{id}' is in {refsPath} but not in {candsPath}.");
            }
        }

        foreach (var id in candidates.Keys)
        {
            if (!references.ContainsKey(id))
            {
                throw new CommandLineError($"image '{id}' is in {candsPath} but not in {refsPath}.");
            }
        }

        if (references.Count == 0)
        {
            throw new CommandLineError($"{refsPath} holds no images.");
        }

        var scores = CaptionMetrics.Score(references, candidates, tokenization);
        if (json)
        {
            Console.Out.WriteLine(ToJson(scores));
        }
        else
        {
            Console.Out.WriteLine($"{scores.Count} images, tokenization {tokenizeName}");
            foreach (var (name, value) in scores.ToDictionary())
            {
                Console.Out.WriteLine($"{name,-8} {value.ToString("F4", CultureInfo.InvariantCulture),8}");
            }
        }

        return 0;
    }

    /// <summary>The <c>--json</c> document: keys in a fixed order, numbers round-trippable.</summary>
    internal static string ToJson(CaptionScores scores)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var (name, value) in scores.ToDictionary())
            {
                writer.WriteNumber(name, value);
            }

            writer.WriteNumber("n", scores.Count);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static Dictionary<string, IReadOnlyList<string>> ReadReferences(string path)
    {
        using var document = Parse(path);
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var property in RootObject(document, path).EnumerateObject())
        {
            var id = property.Name;
            if (property.Value.ValueKind != JsonValueKind.Array)
            {
                throw new CommandLineError($"{path}: image '{id}': expected a list of reference strings, found {Describe(property.Value.ValueKind)}.");
            }

            var list = new List<string>(property.Value.GetArrayLength());
            foreach (var entry in property.Value.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.String)
                {
                    throw new CommandLineError($"{path}: image '{id}': reference {list.Count} is {Describe(entry.ValueKind)}, not a string.");
                }

                list.Add(entry.GetString()!);
            }

            if (list.Count == 0)
            {
                throw new CommandLineError($"{path}: image '{id}' has an empty list of references.");
            }

            if (!result.TryAdd(id, list))
            {
                throw new CommandLineError($"{path}: image '{id}' appears twice.");
            }
        }

        return result;
    }

    private static Dictionary<string, string> ReadCandidates(string path)
    {
        using var document = Parse(path);
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in RootObject(document, path).EnumerateObject())
        {
            var id = property.Name;
            var value = property.Value;
            string candidate;
            if (value.ValueKind == JsonValueKind.String)
            {
                candidate = value.GetString()!;
            }
            else if (value.ValueKind == JsonValueKind.Array)
            {
                var length = value.GetArrayLength();
                if (length != 1)
                {
                    throw new CommandLineError(length == 0
                        ? $"{path}: image '{id}' has an empty list; expected one candidate caption."
                        : $"{path}: image '{id}' has {length} candidates; expected exactly one.");
                }

                if (value[0].ValueKind != JsonValueKind.String)
                {
                    throw new CommandLineError($"{path}: image '{id}': the candidate is {Describe(value[0].ValueKind)}, not a string.");
                }

                candidate = value[0].GetString()!;
            }
            else
            {
                throw new CommandLineError($"{path}: image '{id}': expected a string or a one-element list, found {Describe(value.ValueKind)}.");
            }

            if (!result.TryAdd(id, candidate))
            {
                throw new CommandLineError($"{path}: image '{id}' appears twice.");
            }
        }

        return result;
    }

    /// <summary>
    /// Runs a reader over <paramref name="path"/>. JsonDocument checks structure, not string contents: invalid UTF-8
    /// or an unpaired surrogate escape in an id or caption only fails (with InvalidOperationException) when the
    /// string is read, and that is a bad file, not a defect.
    /// </summary>
    private static T ReadStrings<T>(string path, Func<string, T> read)
    {
        try
        {
            return read(path);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidDataException($"{path}: an image id or caption is not valid Unicode text ({e.Message})", e);
        }
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new CommandLineError($"{path}: line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}: invalid JSON.", e);
        }
    }

    private static JsonElement RootObject(JsonDocument document, string path) =>
        document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement
            : throw new CommandLineError($"{path}: expected a JSON object mapping image ids to captions, found {Describe(document.RootElement.ValueKind)}.");

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
