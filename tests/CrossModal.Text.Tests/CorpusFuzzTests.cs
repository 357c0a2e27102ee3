using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using CrossModal.Text.Corpora;
using Xunit;

namespace CrossModal.Text.Tests;

/// <summary>
/// Seeded mutation fuzzing of the caption readers: every mutant of a valid file either reads or is rejected with an
/// <see cref="InvalidDataException"/> whose message names the file — never another exception from inside.
/// </summary>
public sealed class CorpusFuzzTests : IDisposable
{
    private const int Mutants = 600;

    private const string Coco =
        "{\"info\": {}, \"annotations\": [{\"image_id\": 179765, \"id\": 38, \"caption\": \"A black Honda motorcycle.\"}, " +
        "{\"image_id\": 42, \"id\": 7, \"caption\": \"Two dogs \\u00e9 in \\\"snow\\\".\"}]}";

    private const string Flickr =
        "1000268201_693b08cb0e.jpg#0\tA child in a pink dress .\n1000268201_693b08cb0e.jpg#1\tA girl going into a building .\n" +
        "2258277193_586949ec62.jpg.1#0\tpeople waiting for the subway\n";

    /// <summary>Tokens spliced into the files: JSON escapes (unpaired surrogates included), values of the wrong type,
    /// numbers out of range, structure, separators and invalid UTF-8 bytes.</summary>
    private static readonly string[] Snippets =
    [
        "\\ud800", "\\udc00", "\\uZZZZ", "\\", "\"", "null", "true", "[]", "{}", "1e400", "-1", "99999999999999999999", "2.5",
        "\"caption\": 3", "\"image_id\": \"x\"", ",", ":", "#", "\t", "\n", "#x", "\u00e9", "\r",
    ];

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("crossmodal-corpus-fuzz-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Theory]
    [InlineData("coco")]
    [InlineData("flickr8k")]
    [InlineData("plain")]
    public void Mutants_read_or_throw_InvalidDataException_naming_the_file(string format)
    {
        var valid = Encoding.UTF8.GetBytes(format == "coco" ? Coco : Flickr);
        var path = Path.Combine(_folder.FullName, format == "coco" ? "captions.json" : "captions.txt");
        var rng = new Random(20261202);
        var failures = new List<string>();
        for (var i = 0; i < Mutants; i++)
        {
            var mutant = Mutate(valid, rng);
            File.WriteAllBytes(path, mutant);
            try
            {
                _ = format switch
                {
                    "coco" => CocoCaptions.Read(path),
                    "flickr8k" => Flickr8kCaptions.Read(path).Corpus,
                    _ => PlainTextCaptions.Read(path),
                };
            }
            catch (InvalidDataException e) when (e.Message.Contains(path, StringComparison.Ordinal))
            {
            }
            catch (Exception e)
            {
                failures.Add($"mutant {i} ({Encoding.UTF8.GetString(mutant)}): {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.GetRange(0, Math.Min(10, failures.Count))));
    }

    [Theory]
    [InlineData("\"A cat \\ud800 on a mat.\"")]
    [InlineData("\"A cat \u00ff\u00fe on a mat.\"")]
    public void A_caption_that_is_not_valid_Unicode_is_bad_file_contents_naming_the_element(string caption)
    {
        var path = Path.Combine(_folder.FullName, "bad.json");
        var json = "{\"annotations\": [{\"image_id\": 1, \"caption\": " + caption + "}]}";
        var bytes = Encoding.Latin1.GetBytes(json);   // the second case holds the raw bytes 0xFF 0xFE: invalid UTF-8
        File.WriteAllBytes(path, bytes);

        var e = Assert.Throws<InvalidDataException>(() => CocoCaptions.Read(path));
        Assert.StartsWith($"{path}: annotations[0].caption is not valid Unicode text", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Mutate(byte[] valid, Random rng)
    {
        var bytes = new List<byte>(valid);
        var edits = rng.Next(1, 4);
        for (var e = 0; e < edits && bytes.Count > 0; e++)
        {
            var at = rng.Next(bytes.Count);
            switch (rng.Next(5))
            {
                case 0:
                    bytes[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1:
                    bytes.RemoveRange(at, Math.Min(rng.Next(1, 12), bytes.Count - at));
                    break;
                case 2:
                    bytes.InsertRange(at, Encoding.UTF8.GetBytes(Snippets[rng.Next(Snippets.Length)]));
                    break;
                case 3:
                    bytes.Insert(at, (byte)rng.Next(0x80, 0x100));
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    break;
            }
        }

        return bytes.ToArray();
    }
}
