using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Tensors.IO;
using Xunit;
using static CrossModal.Tensors.Tests.IO.IoTestFiles;

namespace CrossModal.Tensors.Tests.IO;

public class SafeTensorsFileTests
{
    private static readonly string[] MixedNames = ["brain", "brain_rounded", "double", "empty", "half", "scalar", "weight"];

    [Fact]
    public void Read_mixed_dtypes_gives_the_reference_float32_values_and_metadata()
    {
        var content = SafeTensorsFile.Read(Fixture("mixed.safetensors"));

        Assert.Equal(MixedNames, content.Tensors.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(new Dictionary<string, string> { ["format"] = "pt", ["note"] = "mixed dtypes" }, content.Metadata);
        var shapes = new Dictionary<string, int[]>
        {
            ["weight"] = [2, 3], ["half"] = [2, 8], ["brain"] = [11], ["brain_rounded"] = [5], ["double"] = [4],
            ["scalar"] = [], ["empty"] = [0, 5],
        };
        foreach (var (name, shape) in shapes)
        {
            Assert.Equal(shape, content.Tensors[name].Shape);
            BitsEqual(ExpectedValues(Path.Combine("mixed.safetensors.expected", name + ".f32")), content.Tensors[name].Data, name);
        }
    }

    [Fact]
    public void Bfloat16_specials_and_float16_subnormals_convert_exactly()
    {
        // bf16: +0, -0, smallest subnormal (2^-133), 1, -2, +inf, -inf, NaN; f16: smallest subnormal, -inf.
        var json = """{"b":{"dtype":"BF16","shape":[8],"data_offsets":[0,16]},"h":{"dtype":"F16","shape":[2],"data_offsets":[16,20]}}""";
        var data = UInt16s(0x0000, 0x8000, 0x0001, 0x3F80, 0xC000, 0x7F80, 0xFF80, 0x7FC1, 0x0001, 0xFC00);

        var content = SafeTensorsFile.Read(new MemoryStream(SafeTensors(json, data)), "bf16.safetensors");

        BitsEqual([0f, -0f, MathF.Pow(2, -133), 1f, -2f, float.PositiveInfinity, float.NegativeInfinity, BitConverter.UInt32BitsToSingle(0x7FC10000)], content.Tensors["b"].Data, "bf16");
        BitsEqual([MathF.Pow(2, -24), float.NegativeInfinity], content.Tensors["h"].Data, "f16");
    }

    [Fact]
    public void Lazy_reader_lists_names_shapes_dtypes_and_reads_one_tensor()
    {
        using var reader = SafeTensorsReader.Open(Fixture("mixed.safetensors"));

        Assert.Equal(MixedNames, reader.Names);
        Assert.Equal("BF16", reader.GetDType("brain"));
        Assert.Equal(new[] { 2, 8 }, reader.GetShape("half"));
        Assert.Equal(16, reader.GetElementCount("half"));
        Assert.True(reader.Contains("double"));
        Assert.False(reader.Contains("nope"));
        Assert.Equal("pt", reader.Metadata["format"]);

        var destination = new float[6];
        reader.Read("weight", destination);
        BitsEqual(ExpectedValues(Path.Combine("mixed.safetensors.expected", "weight.f32")), destination, "weight");
        Assert.Throws<ArgumentException>(() => reader.Read("weight", new float[5]));
        var missing = Assert.Throws<KeyNotFoundException>(() => reader.Read("nope"));
        Assert.Contains("'nope'", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Integer_tensors_are_listed_but_only_float_tensors_can_be_read()
    {
        var path = Fixture("with_int64.safetensors");
        using var reader = SafeTensorsReader.Open(path);

        Assert.Equal("I64", reader.GetDType("position_ids"));
        Assert.Equal(new[] { 1, 4 }, reader.GetShape("position_ids"));
        Assert.False(reader.CanRead("position_ids"));
        Assert.True(reader.CanRead("weight"));
        Assert.Equal([-3f, -2.75f, -2.5f, -2.25f], reader.Read("weight").Data);

        var e = Assert.Throws<InvalidDataException>(() => reader.Read("position_ids"));
        Assert.Contains("with_int64.safetensors", e.Message, StringComparison.Ordinal);
        Assert.Contains("dtype I64, which cannot be read as float32", e.Message, StringComparison.Ordinal);
        var whole = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(path));
        Assert.Contains("'position_ids' has dtype I64", whole.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_produces_the_reference_layout_byte_for_byte()
    {
        using var scratch = Scratch();
        var tensors = new Dictionary<string, HostArray>
        {
            ["zero"] = new([2, 0], []),
            ["caf\u00e9"] = new([1, 1, 2], [-3f, -2.75f]),
            ["b.weight"] = new([3, 2], Enumerable.Range(0, 6).Select(k => (k / 4f) - 3f).ToArray()),
            ["a.bias"] = new([3], [-3f, -2.75f, -2.5f]),
            ["a.Z"] = new([], [1.5f]),
        };
        var metadata = new Dictionary<string, string> { ["quote\"back\\slash"] = "tab\tline\nend\u00e9", ["format"] = "pt" };
        var path = scratch.File("golden.safetensors");

        SafeTensorsFile.Write(path, tensors, metadata);

        Assert.Equal(File.ReadAllBytes(Fixture("golden_f32.safetensors")), File.ReadAllBytes(path));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Write_then_read_round_trips_every_rank_with_metadata(int rank)
    {
        using var scratch = Scratch();
        var rng = new Random(rank);
        var tensors = new Dictionary<string, HostArray>();
        for (var t = 0; t < 3; t++)
        {
            var shape = Enumerable.Range(0, rank).Select(_ => rng.Next(0, 4)).ToArray();
            var data = Enumerable.Range(0, shape.Aggregate(1, (a, b) => a * b)).Select(_ => (float)rng.NextDouble()).ToArray();
            tensors[$"layer{t}.w"] = new HostArray(shape, data);
        }

        var path = scratch.File("r.safetensors");
        var metadata = new Dictionary<string, string> { ["step"] = "12", ["ünï\u0001"] = "\"x\"" };
        SafeTensorsFile.Write(path, tensors, metadata);
        var back = SafeTensorsFile.Read(path);

        Assert.Equal(metadata, back.Metadata);
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), back.Tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, array) in tensors)
        {
            Assert.Equal(array.Shape, back.Tensors[name].Shape);
            BitsEqual(array.Data, back.Tensors[name].Data, name);
        }

        var headerLength = BitConverter.ToUInt64(File.ReadAllBytes(path).AsSpan(0, 8));
        Assert.Equal(0UL, headerLength % 8);
    }

    [Fact]
    public void Write_without_metadata_or_tensors_gives_a_readable_file()
    {
        var stream = new MemoryStream();
        SafeTensorsFile.Write(stream, new Dictionary<string, HostArray>());
        stream.Position = 0;

        var content = SafeTensorsFile.Read(stream, "empty.safetensors");

        Assert.Empty(content.Tensors);
        Assert.Empty(content.Metadata);
        Assert.Equal(16, stream.Length); // 8-byte length, "{}" padded to 8 bytes
    }

    [Fact]
    public void Write_rejects_the_reserved_name_and_unpaired_surrogates()
    {
        var stream = new MemoryStream();
        var reserved = new Dictionary<string, HostArray> { ["__metadata__"] = new([1], [1f]) };
        var surrogate = new Dictionary<string, HostArray> { ["bad\ud800"] = new([1], [1f]) };

        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(stream, reserved)).Message, StringComparison.Ordinal);
        Assert.Contains("surrogate", Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(stream, surrogate)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_rechecks_a_shape_changed_after_construction()
    {
        var array = new HostArray([2, 2], new float[4]);
        array.Shape[0] = 3;

        var e = Assert.Throws<ArgumentException>(() => SafeTensorsFile.Write(new MemoryStream(), new Dictionary<string, HostArray> { ["w"] = array }));
        Assert.Contains("holds 6 elements but the data has 4", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => NpyFile.Write(new MemoryStream(), array));
    }

    [Fact]
    public void Write_is_atomic_it_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        using var scratch = Scratch();
        var path = scratch.File("m.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);

        SafeTensorsFile.Write(path, new Dictionary<string, HostArray> { ["w"] = new([2], [1f, 2f]) });

        Assert.Equal([1f, 2f], SafeTensorsFile.Read(path).Tensors["w"].Data);
        Assert.Equal(["m.safetensors"], Directory.GetFiles(scratch.Path).Select(Path.GetFileName));
    }

    public static TheoryData<string, byte[], string> HostileImages()
    {
        const string W = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";
        var eight = Floats(1, 2);
        static byte[] Two(string a, string b) =>
            SafeTensors($$"""{"a":{{a}},"b":{{b}}}""", new byte[16]);
        return new TheoryData<string, byte[], string>
        {
            { "empty file", [], "too short to hold the 8-byte header length" },
            { "seven bytes", new byte[7], "too short to hold the 8-byte header length" },
            { "header length beyond file", SafeTensors(W, eight, headerLength: 1000), "header length 1000 is larger than the" },
            { "header length 2^64-1", SafeTensors(W, eight, headerLength: ulong.MaxValue), "header length 18446744073709551615 is larger than the" },
            { "not UTF-8", SafeTensors([(byte)'{', 0xC3, 0x28, (byte)'}'], []), "not valid UTF-8" },
            { "not an object", SafeTensors("[1,2]", []), "does not start with '{'" },
            { "invalid JSON", SafeTensors("{\"w\":{\"dtype\":\"F32\",", eight), "not valid JSON" },
            { "JSON then garbage", SafeTensors(W + "x", eight), "not valid JSON" },
            { "missing dtype", SafeTensors("""{"w":{"shape":[2],"data_offsets":[0,8]}}""", eight), "tensor 'w' has no 'dtype'" },
            { "missing shape", SafeTensors("""{"w":{"dtype":"F32","data_offsets":[0,8]}}""", eight), "tensor 'w' has no 'shape'" },
            { "missing offsets", SafeTensors("""{"w":{"dtype":"F32","shape":[2]}}""", eight), "tensor 'w' has no 'data_offsets'" },
            { "entry not object", SafeTensors("""{"w":3}""", []), "tensor 'w' is not an object" },
            { "unknown dtype", SafeTensors("""{"w":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}}""", eight), "unknown dtype 'F12'" },
            { "dtype not string", SafeTensors("""{"w":{"dtype":4,"shape":[2],"data_offsets":[0,8]}}""", eight), "dtype of tensor 'w' is not a string" },
            { "offsets out of range", SafeTensors("""{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", eight), "data_offsets [0, 16] of tensor 'w' are out of range" },
            { "offsets reversed", SafeTensors("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}""", eight), "end (0) before they begin (8)" },
            { "negative offset", SafeTensors("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}""", eight), "begin data offset of tensor 'w' is not a non-negative integer" },
            { "three offsets", SafeTensors("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,4,8]}}""", eight), "data_offsets of tensor 'w' are not an array [begin, end]" },
            { "overlap", Two("""{"dtype":"F32","shape":[3],"data_offsets":[0,12]}""", """{"dtype":"F32","shape":[3],"data_offsets":[4,16]}"""), "tensor 'b' starts at data offset 4 but the previous tensor ends at 12: it overlaps" },
            { "gap", Two("""{"dtype":"F32","shape":[1],"data_offsets":[0,4]}""", """{"dtype":"F32","shape":[2],"data_offsets":[8,16]}"""), "leaves a gap" },
            { "not starting at 0", SafeTensors("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", eight), "starts at data offset 4 but the previous tensor ends at 0" },
            { "not covering the data", SafeTensors("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", eight), "cover 4 data bytes but the file holds 8" },
            { "truncated data", SafeTensors(W, eight.AsSpan(0, 6)), "data_offsets [0, 8] of tensor 'w' are out of range: the data section holds 6 bytes" },
            { "shape x dtype != span", SafeTensors("""{"w":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}}""", eight), "shape (2,) of F16 (4 bytes) but its data_offsets [0, 8] span 8 bytes" },
            { "negative dim", SafeTensors("""{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}""", eight), "dimension 0 of tensor 'w' is negative (-2)" },
            { "dim beyond int", SafeTensors("""{"w":{"dtype":"F32","shape":[4294967296,0],"data_offsets":[0,0]}}""", []), "larger than the supported maximum" },
            { "dim beyond long", SafeTensors("""{"w":{"dtype":"F32","shape":[99999999999999999999],"data_offsets":[0,8]}}""", eight), "dimension 0 of tensor 'w' is not an integer" },
            { "fractional dim", SafeTensors("""{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}""", eight), "dimension 0 of tensor 'w' is not an integer" },
            { "product overflows", SafeTensors("""{"w":{"dtype":"F32","shape":[2147483647,2147483647,2147483647],"data_offsets":[0,8]}}""", eight), "(more than 2^63 bytes)" },
            { "shape not array", SafeTensors("""{"w":{"dtype":"F32","shape":2,"data_offsets":[0,8]}}""", eight), "shape of tensor 'w' is not an array" },
            { "duplicate tensor", SafeTensors("""{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", eight), "tensor 'w' appears twice" },
            { "duplicate field", SafeTensors("""{"w":{"dtype":"F32","dtype":"F16","shape":[2],"data_offsets":[0,8]}}""", eight), "has two 'dtype' fields" },
            { "metadata not strings", SafeTensors("""{"__metadata__":{"a":1},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", eight), "metadata value 'a' is not a string" },
            { "metadata not object", SafeTensors("""{"__metadata__":[],"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", eight), "'__metadata__' is not an object" },
            { "lone surrogate in a name", SafeTensors("""{"\ud800":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", eight), "string that is not valid Unicode" },
            { "lone surrogate in metadata", SafeTensors("""{"__metadata__":{"k":"\udc00x"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", eight), "string that is not valid Unicode" },
            { "lone surrogate in a dtype", SafeTensors("""{"w":{"dtype":"F\ud83d","shape":[2],"data_offsets":[0,8]}}""", eight), "string that is not valid Unicode" },
            { "bad escape", SafeTensors("""{"w\x":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""", eight), "not valid JSON" },
            { "deep nesting", SafeTensors("{\"__metadata__\":" + new string('[', 100) + new string(']', 100) + "}", []), "not valid JSON" },
        };
    }

    [Theory]
    [MemberData(nameof(HostileImages))]
    public void Hostile_or_truncated_images_are_rejected_naming_the_file_and_the_problem(string what, byte[] image, string problem)
    {
        var name = "hostile-" + what.Replace(' ', '-') + ".safetensors";

        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Read(new MemoryStream(image), name));

        Assert.StartsWith(name + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_file_on_disk_is_rejected_naming_its_path()
    {
        using var scratch = Scratch();
        var path = scratch.File("cut.safetensors");
        var bytes = File.ReadAllBytes(Fixture("mixed.safetensors"));
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 1).ToArray());

        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsReader.Open(path));

        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_fields_in_an_entry_are_ignored_as_the_reference_implementation_does()
    {
        var json = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"comment":"x"}}   """;

        var content = SafeTensorsFile.Read(new MemoryStream(SafeTensors(json, Floats(1, 2))), "extra.safetensors");

        Assert.Equal([1f, 2f], content.Tensors["w"].Data);
    }
}
