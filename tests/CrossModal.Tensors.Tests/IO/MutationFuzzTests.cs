using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;
using CrossModal.Tensors.IO;
using Xunit;
using static CrossModal.Tensors.Tests.IO.IoTestFiles;

namespace CrossModal.Tensors.Tests.IO;

/// <summary>
/// Seeded mutation fuzzing of valid .npy and safetensors files: every mutant must either read successfully or be
/// rejected with an <see cref="InvalidDataException"/> whose message names the file, never anything else.
/// </summary>
public class MutationFuzzTests
{
    private const int Seed = 20261123;

    /// <summary>Mutants per format: 1,500 in CI; set CROSSMODAL_IO_FUZZ_MUTANTS (and CROSSMODAL_IO_FUZZ_SEED) for a
    /// longer local run.</summary>
    private static readonly int MutantsPerFormat =
        int.TryParse(Environment.GetEnvironmentVariable("CROSSMODAL_IO_FUZZ_MUTANTS"), out var n) && n >= 1000 ? n : 1500;

    private static readonly int SeedOffset =
        int.TryParse(Environment.GetEnvironmentVariable("CROSSMODAL_IO_FUZZ_SEED"), out var s) ? s : 0;

    private static readonly string[] NpyBases =
        ["f4_rank0", "f4_rank1", "f4_rank3", "f4_rank4", "f4_empty", "f2_specials", "f8_values", "f4_bigendian", "f4_v2", "f4_v3"];

    private static readonly string[] SafeTensorsBases = ["mixed", "golden_f32", "with_int64"];

    /// <summary>Replacement tokens for numbers in headers: edge values that stress size arithmetic.</summary>
    private static readonly string[] NumberTokens =
        ["0", "1", "-1", "3", "7", "8", "2147483647", "2147483648", "4294967296", "9223372036854775807", "9223372036854775808", "99999999999999999999", "1e3", "2.5", "-0"];

    private static readonly string[] DTypeTokens =
        ["F32", "F16", "BF16", "F64", "I64", "I8", "BOOL", "F8_E4M3", "f32", "", "<f4", "<f2", "<f8", ">f4", "|O", "<i4", "|f4", "=f2", "<c8", "V8"];

    /// <summary>Snippets spliced into headers: JSON escapes (including unpaired surrogates), Python and JSON
    /// values of the wrong type, and structure.</summary>
    private static readonly string[] Snippets =
        ["\\ud800", "\\udc00", "\\u0000", "\\uZZZZ", "\\\"", "\\", "null", "true", "[]", "{}", "()", "(1,)", "[0,0]", "\"__metadata__\":{},", "'x': 1, ", "None", "1L", "\"\"", "''"];

    private const string SyntaxAlphabet = "{}[](),:\"' -0123456789eLTFN.\\\n\u00e9";

    private enum Mutation
    {
        FlipBits,
        FlipHeaderByte,
        FlipDataByte,
        Truncate,
        Extend,
        TamperHeaderLength,
        HeaderCharacter,
        NumberToken,
        DTypeToken,
        DeleteRange,
        DuplicateRange,
    }

    [Fact]
    public void Npy_mutants_read_or_throw_InvalidDataException_naming_the_file()
    {
        var bases = NpyBases.Select(n => File.ReadAllBytes(Fixture(n + ".npy"))).ToArray();
        var outcome = Fuzz(bases, isNpy: true, Seed + SeedOffset);

        Assert.True(outcome.Failures.Count == 0, string.Join(Environment.NewLine, outcome.Failures.Take(20)));
        Assert.Equal(MutantsPerFormat, outcome.Read + outcome.Rejected);

        // Both outcomes must occur, or the mutations are not exercising the reader.
        Assert.InRange(outcome.Read, MutantsPerFormat / 30, MutantsPerFormat - (MutantsPerFormat / 8));
        Console.WriteLine($"npy mutants: {outcome.Read} read, {outcome.Rejected} rejected");
    }

    [Fact]
    public void SafeTensors_mutants_read_or_throw_InvalidDataException_naming_the_file()
    {
        var bases = SafeTensorsBases.Select(n => File.ReadAllBytes(Fixture(n + ".safetensors"))).ToArray();
        var outcome = Fuzz(bases, isNpy: false, Seed + SeedOffset + 1);

        Assert.True(outcome.Failures.Count == 0, string.Join(Environment.NewLine, outcome.Failures.Take(20)));
        Assert.Equal(MutantsPerFormat, outcome.Read + outcome.Rejected);
        Assert.InRange(outcome.Read, MutantsPerFormat / 30, MutantsPerFormat - (MutantsPerFormat / 8));
        Console.WriteLine($"safetensors mutants: {outcome.Read} read, {outcome.Rejected} rejected");
    }

    [Fact]
    public void Mutants_written_to_disk_are_rejected_naming_their_path()
    {
        using var scratch = Scratch();
        var rng = new Random(Seed + 2);
        var failures = new List<string>();
        var rejected = 0;
        for (var i = 0; i < 40; i++)
        {
            var isNpy = i % 2 == 0;
            var baseBytes = File.ReadAllBytes(Fixture(isNpy ? "f4_rank3.npy" : "mixed.safetensors"));
            var kind = (Mutation)rng.Next(Enum.GetValues<Mutation>().Length);
            var mutant = Mutate(baseBytes, isNpy, kind, rng);
            var path = scratch.File($"mutant-{i}{(isNpy ? ".npy" : ".safetensors")}");
            File.WriteAllBytes(path, mutant);
            try
            {
                if (isNpy)
                {
                    NpyFile.Read(path);
                }
                else
                {
                    SafeTensorsFile.Read(path);
                }
            }
            catch (InvalidDataException e) when (e.Message.StartsWith(path + ": ", StringComparison.Ordinal))
            {
                rejected++;
            }
            catch (Exception e)
            {
                failures.Add($"mutant {i} ({kind}): {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures));
        Assert.True(rejected > 10, $"only {rejected} of 40 mutants were rejected");
    }

    [Fact]
    public void Hostile_headers_claiming_huge_arrays_are_rejected_before_allocating()
    {
        // Each claims gigabytes of data in a file of a few hundred bytes; the reader must compare with the file
        // length first, so the rejection costs kilobytes, not gigabytes.
        byte[][] images =
        [
            Npy(NpyDict("<f4", "(1073741823,)"), Floats(1, 2)),
            Npy(NpyDict("<f8", "(2147483647, 2147483647)"), Floats(1, 2)),
            Npy(NpyDict("<f4", "(2,)"), Floats(1, 2), major: 2, headerLength: uint.MaxValue),
            SafeTensors("""{"w":{"dtype":"F32","shape":[1073741823],"data_offsets":[0,4294967292]}}""", Floats(1, 2)),
            SafeTensors("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", Floats(1, 2), headerLength: 99_999_999),
        ];
        for (var i = 0; i < images.Length; i++)
        {
            var name = $"huge-{i}";
            var before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.Throws<InvalidDataException>(() =>
            {
                if (i < 3)
                {
                    NpyFile.Read(new MemoryStream(images[i]), name);
                }
                else
                {
                    SafeTensorsFile.Read(new MemoryStream(images[i]), name);
                }
            });
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

            Assert.StartsWith(name + ": ", e.Message, StringComparison.Ordinal);
            Assert.True(allocated < 1 << 20, $"{name}: {allocated} bytes allocated to reject it");
        }
    }

    private sealed record Outcome(int Read, int Rejected, List<string> Failures);

    private static Outcome Fuzz(byte[][] bases, bool isNpy, int seed)
    {
        var rng = new Random(seed);
        var kinds = Enum.GetValues<Mutation>();
        int read = 0, rejected = 0;
        var failures = new List<string>();
        for (var i = 0; i < MutantsPerFormat; i++)
        {
            var baseIndex = rng.Next(bases.Length);
            var kind = kinds[rng.Next(kinds.Length)];
            var mutant = Mutate(bases[baseIndex], isNpy, kind, rng);

            // Stacking a second mutation now and then reaches states one edit cannot.
            if (rng.Next(4) == 0)
            {
                mutant = Mutate(mutant, isNpy, kinds[rng.Next(kinds.Length)], rng);
            }

            var name = $"mutant-{i}{(isNpy ? ".npy" : ".safetensors")}";
            try
            {
                if (isNpy)
                {
                    ReadNpy(mutant, name, rng);
                }
                else
                {
                    ReadSafeTensors(mutant, name);
                }

                read++;
            }
            catch (InvalidDataException e) when (e.Message.StartsWith(name + ": ", StringComparison.Ordinal))
            {
                rejected++;
            }
            catch (Exception e)
            {
                failures.Add($"mutant {i} (base {baseIndex}, {kind}): {e.GetType().Name}: {e.Message}{Environment.NewLine}{e.StackTrace}");
            }
        }

        return new Outcome(read, rejected, failures);
    }

    private static void ReadNpy(byte[] image, string name, Random rng)
    {
        var whole = NpyFile.Read(new MemoryStream(image), name);

        // The streaming reader must agree with the whole-file read on any row range.
        using var reader = NpyReader.Open(new MemoryStream(image), name);
        var first = rng.NextInt64(reader.RowCount + 1);
        var count = (int)rng.NextInt64(reader.RowCount - first + 1);
        var rows = new float[count * reader.RowLength];
        reader.ReadRows(first, count, rows);
        var expected = whole.Data.AsSpan((int)(first * reader.RowLength), rows.Length);
        BitsEqual(expected, rows, name + " rows");
    }

    private static void ReadSafeTensors(byte[] image, string name)
    {
        using var reader = SafeTensorsReader.Open(new MemoryStream(image), name);
        var readable = true;
        foreach (var tensor in reader.Names)
        {
            if (reader.CanRead(tensor))
            {
                var array = reader.Read(tensor);
                Assert.Equal(reader.GetElementCount(tensor), array.Data.Length);
                Assert.Equal(reader.GetShape(tensor), array.Shape);
            }
            else
            {
                readable = false;
            }
        }

        // The whole-file read must succeed exactly when every tensor is readable, and agree with the lazy reader.
        if (readable)
        {
            var content = SafeTensorsFile.Read(new MemoryStream(image), name);
            Assert.Equal(reader.Names.Count, content.Tensors.Count);
            foreach (var tensor in reader.Names)
            {
                BitsEqual(reader.Read(tensor).Data, content.Tensors[tensor].Data, name + " " + tensor);
            }
        }
        else
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new MemoryStream(image), name));
            Assert.Contains("cannot be read as float32", e.Message, StringComparison.Ordinal);
        }
    }

    private static byte[] Mutate(byte[] original, bool isNpy, Mutation kind, Random rng)
    {
        var bytes = (byte[])original.Clone();
        if (bytes.Length == 0)
        {
            return [(byte)rng.Next(256)];
        }

        var (headerStart, headerEnd) = HeaderRange(bytes, isNpy);
        switch (kind)
        {
            case Mutation.FlipBits:
                for (var k = rng.Next(1, 5); k > 0; k--)
                {
                    bytes[rng.Next(bytes.Length)] ^= (byte)(1 << rng.Next(8));
                }

                return bytes;

            case Mutation.FlipHeaderByte:
                bytes[rng.Next(Math.Min(headerEnd, bytes.Length))] = (byte)rng.Next(256);
                return bytes;

            case Mutation.FlipDataByte:
                // Any byte pattern is a valid float, so these mutants should read (with different values).
                if (headerEnd < bytes.Length)
                {
                    bytes[rng.Next(headerEnd, bytes.Length)] = (byte)rng.Next(256);
                }

                return bytes;

            case Mutation.Truncate:
                return bytes.AsSpan(0, rng.Next(bytes.Length)).ToArray();

            case Mutation.Extend:
                {
                    var extra = new byte[rng.Next(1, 65)];
                    rng.NextBytes(extra);
                    return [.. bytes, .. extra];
                }

            case Mutation.TamperHeaderLength:
                TamperLength(bytes, isNpy, rng);
                return bytes;

            case Mutation.HeaderCharacter:
                {
                    if (headerEnd <= headerStart)
                    {
                        return bytes;
                    }

                    var header = Encoding.Latin1.GetString(bytes, headerStart, headerEnd - headerStart).ToCharArray();
                    var pos = rng.Next(header.Length);
                    var text = rng.Next(4) switch
                    {
                        3 => new string(header).Insert(pos, Snippets[rng.Next(Snippets.Length)]),
                        0 => new string(header).Remove(pos, 1),
                        1 => new string(header).Insert(pos, SyntaxAlphabet[rng.Next(SyntaxAlphabet.Length)].ToString()),
                        _ => new string(header).Remove(pos, 1).Insert(pos, SyntaxAlphabet[rng.Next(SyntaxAlphabet.Length)].ToString()),
                    };
                    return Rebuild(bytes, isNpy, headerStart, headerEnd, text, keepLength: rng.Next(4) == 0);
                }

            case Mutation.NumberToken:
                return ReplaceToken(bytes, isNpy, headerStart, headerEnd, rng, digits: true);

            case Mutation.DTypeToken:
                return ReplaceToken(bytes, isNpy, headerStart, headerEnd, rng, digits: false);

            case Mutation.DeleteRange:
                {
                    var start = rng.Next(bytes.Length);
                    var count = rng.Next(1, Math.Min(32, bytes.Length - start) + 1);
                    return [.. bytes.AsSpan(0, start), .. bytes.AsSpan(start + count)];
                }

            case Mutation.DuplicateRange:
                {
                    var start = rng.Next(bytes.Length);
                    var count = rng.Next(1, Math.Min(32, bytes.Length - start) + 1);
                    var at = rng.Next(bytes.Length + 1);
                    return [.. bytes.AsSpan(0, at), .. bytes.AsSpan(start, count), .. bytes.AsSpan(at)];
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(kind));
        }
    }

    /// <summary>Where the header text lies in a (possibly already mutated) image, clamped to the image.</summary>
    private static (int Start, int End) HeaderRange(byte[] bytes, bool isNpy)
    {
        if (isNpy)
        {
            var major = bytes.Length > 6 ? bytes[6] : 1;
            var start = major == 1 ? 10 : 12;
            long length = bytes.Length >= start ? (major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8))) : 0;
            return (Math.Min(start, bytes.Length), (int)Math.Min(start + length, bytes.Length));
        }

        var stLength = bytes.Length >= 8 ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : 0;
        return (Math.Min(8, bytes.Length), (int)Math.Min(8 + Math.Min(stLength, (ulong)int.MaxValue), (ulong)bytes.Length));
    }

    private static void TamperLength(byte[] bytes, bool isNpy, Random rng)
    {
        var (start, end) = HeaderRange(bytes, isNpy);
        long current = end - start;
        long value = rng.Next(5) switch
        {
            0 => current + rng.Next(-8, 9),
            1 => rng.Next(0, 64),
            2 => bytes.Length,
            3 => long.MaxValue - rng.Next(16),
            _ => rng.NextInt64(),
        };
        if (isNpy && bytes.Length >= 12 && bytes[6] != 1)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), unchecked((uint)value));
        }
        else if (isNpy && bytes.Length >= 10)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), unchecked((ushort)value));
        }
        else if (!isNpy && bytes.Length >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, unchecked((ulong)value));
        }
    }

    /// <summary>Replaces the header text and, unless <paramref name="keepLength"/>, fixes the header length so the
    /// mutant gets past the length check and exercises the parser and validator.</summary>
    private static byte[] Rebuild(byte[] bytes, bool isNpy, int headerStart, int headerEnd, string header, bool keepLength)
    {
        var text = Encoding.Latin1.GetBytes(header); // the header was decoded as Latin-1, so unedited bytes round-trip exactly
        byte[] result = [.. bytes.AsSpan(0, headerStart), .. text, .. bytes.AsSpan(headerEnd)];
        if (!keepLength)
        {
            if (isNpy && headerStart == 10)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)Math.Min(text.Length, ushort.MaxValue));
            }
            else if (isNpy && headerStart == 12)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)text.Length);
            }
            else if (!isNpy && headerStart == 8)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(result, (ulong)text.Length);
            }
        }

        return result;
    }

    private static byte[] ReplaceToken(byte[] bytes, bool isNpy, int headerStart, int headerEnd, Random rng, bool digits)
    {
        if (headerEnd <= headerStart)
        {
            return bytes;
        }

        var header = Encoding.Latin1.GetString(bytes, headerStart, headerEnd - headerStart);
        var spans = new List<(int Start, int Length)>();
        if (digits)
        {
            for (var i = 0; i < header.Length; i++)
            {
                if (char.IsAsciiDigit(header[i]))
                {
                    var start = i;
                    while (i < header.Length && char.IsAsciiDigit(header[i]))
                    {
                        i++;
                    }

                    spans.Add((start, i - start));
                }
            }
        }
        else
        {
            foreach (var token in DTypeTokens.Where(t => t.Length > 0))
            {
                for (var at = header.IndexOf(token, StringComparison.Ordinal); at >= 0; at = header.IndexOf(token, at + 1, StringComparison.Ordinal))
                {
                    spans.Add((at, token.Length));
                }
            }
        }

        if (spans.Count == 0)
        {
            return bytes;
        }

        var (s, l) = spans[rng.Next(spans.Count)];
        var replacement = digits ? NumberTokens[rng.Next(NumberTokens.Length)] : DTypeTokens[rng.Next(DTypeTokens.Length)];
        return Rebuild(bytes, isNpy, headerStart, headerEnd, header.Remove(s, l).Insert(s, replacement), keepLength: rng.Next(5) == 0);
    }
}
