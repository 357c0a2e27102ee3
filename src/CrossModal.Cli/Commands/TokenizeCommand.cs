using System;
using System.Collections.Generic;
using System.CommandLine;
using System.Globalization;
using System.IO;
using System.Text;
using System.Text.Json;
using CrossModal.Text;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal tokenize --tokenizer clip|gpt2|FILE [--json] [TEXT…]</c>: token ids of each text (CLIP without its start
/// and end tokens), exactly as OpenAI's reference tokenizers give them; FILE is a <c>.tiktoken</c> ranks file or a word
/// tokenizer's <c>.json</c> (<see cref="TokenizerRegistry.Load"/>).
/// </summary>
internal static class TokenizeCommand
{
    public static Command Create()
    {
        var tokenizer = new Option<string?>("--tokenizer") { Description = "clip, gpt2, or a .tiktoken ranks file or word tokenizer .json." };
        var json = new Option<bool>("--json") { Description = "Print a JSON array of id arrays, one per input, on stdout." };
        var texts = new Argument<string[]>("TEXT")
        {
            Description = "Texts to tokenize; with none, one text per line is read from stdin.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("tokenize", "Print the token ids of texts (CLIP, GPT-2, or a tokenizer file).") { tokenizer, json, texts };
        command.SetAction(parse => Run(parse.GetValue(tokenizer), parse.GetValue(json), parse.GetValue(texts) ?? []));
        return command;
    }

    private static int Run(string? tokenizerName, bool json, string[] texts)
    {
        ITokenizer tokenizer = tokenizerName is null ? throw new CommandLineError("--tokenizer clip|gpt2|FILE is required.")
            : TokenizerRegistry.TryGetPretrained(tokenizerName, out var pretrained) ? pretrained
            : File.Exists(tokenizerName) ? TokenizerRegistry.Load(tokenizerName)
            : throw new CommandLineError($"--tokenizer must be 'clip', 'gpt2' or an existing .tiktoken or .json file, not '{tokenizerName}'.");

        IEnumerable<string> inputs = texts.Length > 0 ? texts : ReadLines(Console.In);
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartArray();
                foreach (var text in inputs)
                {
                    writer.WriteStartArray();
                    foreach (var id in tokenizer.Encode(text))
                    {
                        writer.WriteNumberValue(id);
                    }

                    writer.WriteEndArray();
                }

                writer.WriteEndArray();
            }

            Console.Out.WriteLine(Encoding.UTF8.GetString(buffer.ToArray()));
        }
        else
        {
            foreach (var text in inputs)
            {
                var ids = tokenizer.Encode(text);
                var line = new StringBuilder();
                foreach (var id in ids)
                {
                    if (line.Length > 0)
                    {
                        line.Append(' ');
                    }

                    line.Append(id.ToString(CultureInfo.InvariantCulture));
                }

                Console.Out.WriteLine(line.ToString());
            }
        }

        return 0;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
