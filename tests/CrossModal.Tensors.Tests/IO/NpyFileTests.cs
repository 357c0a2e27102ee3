using System;
using System.IO;
using System.Linq;
using CrossModal.Tensors.IO;
using Xunit;
using static CrossModal.Tensors.Tests.IO.IoTestFiles;

namespace CrossModal.Tensors.Tests.IO;

public class NpyFileTests
{
    [Theory]
    [InlineData("f4_rank0", new int[0])]
    [InlineData("f4_rank1", new[] { 5 })]
    [InlineData("f4_rank2", new[] { 2, 3 })]
    [InlineData("f4_rank3", new[] { 2, 3, 4 })]
    [InlineData("f4_rank4", new[] { 1, 2, 3, 2 })]
    [InlineData("f4_empty", new[] { 0, 3 })]
    [InlineData("f2_specials", new[] { 4, 4 })]
    [InlineData("f8_values", new[] { 2, 4 })]
    [InlineData("f4_bigendian", new[] { 3, 2 })]
    [InlineData("f2_bigendian", new[] { 6 })]
    [InlineData("f4_v2", new[] { 3, 4 })]
    [InlineData("f4_v3", new[] { 3, 4 })]
    public void Read_numpy_file_gives_numpys_float32_values(string name, int[] shape)
    {
        var array = NpyFile.Read(Fixture(name + ".npy"));

        Assert.Equal(shape, array.Shape);
        BitsEqual(ExpectedValues(name + ".expected.f32"), array.Data, name);
    }

    [Fact]
    public void Float16_specials_convert_exactly()
    {
        // Bit patterns: +0, -0, smallest subnormal, largest subnormal, smallest normal, 1, max, +inf, -inf, NaN.
        var data = UInt16s(0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0x7BFF, 0x7C00, 0xFC00, 0x7E00);
        var image = Npy(NpyDict("<f2", "(10,)"), data);

        var array = NpyFile.Read(new MemoryStream(image), "specials.npy");

        float[] expected =
        [
            0f, -0f, MathF.Pow(2, -24), 1023 * MathF.Pow(2, -24), MathF.Pow(2, -14), 1f, 65504f,
            float.PositiveInfinity, float.NegativeInfinity, float.NaN,
        ];
        BitsEqual(expected.AsSpan(0, 9), array.Data.AsSpan(0, 9), "f16");
        Assert.True(float.IsNaN(array.Data[9]));
    }

    [Fact]
    public void Float64_rounds_to_nearest_float32()
    {
        double[] values = [0.1, 1.0 / 3.0, 1e39, -1e-50, double.NaN, 16777217.0];
        var array = NpyFile.Read(new MemoryStream(Npy(NpyDict("<f8", "(2, 3)"), Doubles(values))), "f8.npy");

        Assert.Equal(new[] { 2, 3 }, array.Shape);
        Assert.Equal([0.1f, 1f / 3f, float.PositiveInfinity, -0f, float.NaN, 16777216f], array.Data);
    }

    [Theory]
    [InlineData("'|f4'")]
    [InlineData("'=f4'")]
    [InlineData("'f'")]
    [InlineData("\"<f4\"")]
    public void Native_and_not_applicable_byte_order_markers_read_as_little_endian(string descr)
    {
        var image = Npy($"{{'descr': {descr}, 'fortran_order': False, 'shape': (2,)}}", Floats(1.5f, -2f));

        Assert.Equal([1.5f, -2f], NpyFile.Read(new MemoryStream(image), "native.npy").Data);
    }

    [Fact]
    public void Header_syntax_numpy_accepts_is_read_python2_longs_and_odd_spacing()
    {
        var image = Npy("{ \"shape\" : ( 2L ,3L ) , 'fortran_order':False,'descr':'<f4'}", Floats(1, 2, 3, 4, 5, 6));

        var array = NpyFile.Read(new MemoryStream(image), "py2.npy");

        Assert.Equal(new[] { 2, 3 }, array.Shape);
        Assert.Equal([1f, 2, 3, 4, 5, 6], array.Data);
    }

    [Fact]
    public void Fortran_order_with_one_nontrivial_dimension_is_the_same_layout_and_is_read()
    {
        var image = Npy(NpyDict("<f4", "(1, 3)", fortran: "True"), Floats(1, 2, 3));

        Assert.Equal([1f, 2, 3], NpyFile.Read(new MemoryStream(image), "f1.npy").Data);
    }

    [Theory]
    [InlineData(new int[0])]
    [InlineData(new[] { 7 })]
    [InlineData(new[] { 3, 5 })]
    [InlineData(new[] { 2, 1, 4 })]
    [InlineData(new[] { 2, 3, 1, 2 })]
    [InlineData(new[] { 0, 4 })]
    [InlineData(new[] { 4, 0, 2 })]
    public void Write_then_read_round_trips_every_rank(int[] shape)
    {
        using var scratch = Scratch();
        var count = shape.Aggregate(1, (a, b) => a * b);
        var rng = new Random(17);
        var data = Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() * 200 - 100)).ToArray();
        if (count > 2)
        {
            data[0] = float.NaN;
            data[1] = float.NegativeInfinity;
            data[2] = -0f;
        }

        var path = scratch.File("round.npy");
        NpyFile.Write(path, new HostArray(shape, data));
        var back = NpyFile.Read(path);

        Assert.Equal(shape, back.Shape);
        BitsEqual(data, back.Data, "round trip");
        Assert.Equal(0, (new FileInfo(path).Length - (4L * count)) % 64); // data starts 64-byte aligned, as numpy's
    }

    [Theory]
    [InlineData("golden_rank0", new int[0])]
    [InlineData("golden_rank1", new[] { 7 })]
    [InlineData("golden_rank2", new[] { 3, 5 })]
    [InlineData("golden_rank3", new[] { 2, 1, 4 })]
    [InlineData("golden_empty", new[] { 0, 4 })]
    [InlineData("golden_wide", new[] { 1234567, 0 })]
    public void Write_produces_the_same_bytes_as_numpy_save(string name, int[] shape)
    {
        using var scratch = Scratch();
        var count = shape.Aggregate(1, (a, b) => a * b);

        // The fixture script writes k/4 - 3 for k = 0, 1, ...
        var data = Enumerable.Range(0, count).Select(k => (k / 4f) - 3f).ToArray();
        var path = scratch.File(name + ".npy");
        NpyFile.Write(path, new HostArray(shape, data));

        Assert.Equal(File.ReadAllBytes(Fixture(name + ".npy")), File.ReadAllBytes(path));
    }

    [Fact]
    public void Header_builder_switches_to_format_2_when_the_dict_exceeds_65535_bytes()
    {
        // Only a shape of tens of thousands of dimensions makes such a header (the writer itself stops at 64), so
        // the fallback numpy also has is checked on the builder directly.
        var small = NpyFile.BuildHeader(Enumerable.Repeat(1, 64).ToArray());
        var large = NpyFile.BuildHeader(Enumerable.Repeat(1, 25_000).ToArray());

        Assert.Equal((1, 0), (small[6], small[7]));
        Assert.Equal((2, 0), (large[6], large[7]));
        Assert.Equal(0, small.Length % 64);
        Assert.Equal(0, large.Length % 64);
        Assert.Equal(large.Length - 12, (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(large.AsSpan(8)));
        Assert.Equal((byte)'\n', large[^1]);
    }

    [Fact]
    public void Write_rejects_more_dimensions_than_numpy_reads()
    {
        using var scratch = Scratch();
        var shape = Enumerable.Repeat(1, 65).ToArray();

        var e = Assert.Throws<ArgumentException>(() => NpyFile.Write(scratch.File("x.npy"), new HostArray(shape, [1f])));
        Assert.Contains("65 dimensions", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_is_atomic_it_replaces_an_existing_file_and_leaves_no_temporary_files()
    {
        using var scratch = Scratch();
        var path = scratch.File("a.npy");
        File.WriteAllText(path, "old contents");

        NpyFile.Write(path, new HostArray([2], [1f, 2f]));

        Assert.Equal([1f, 2f], NpyFile.Read(path).Data);
        Assert.Equal(["a.npy"], Directory.GetFiles(scratch.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Write_creates_the_folder()
    {
        using var scratch = Scratch();
        var path = Path.Combine(scratch.Path, "sub", "dir", "x.npy");

        NpyFile.Write(path, new HostArray([1], [3f]));

        Assert.Equal([3f], NpyFile.Read(path).Data);
    }

    [Fact]
    public void Read_from_a_stream_that_cannot_seek()
    {
        var image = Npy(NpyDict("<f4", "(3,)"), Floats(1, 2, 3));

        var array = NpyFile.Read(new ForwardOnlyStream(image), "pipe.npy");

        Assert.Equal([1f, 2f, 3f], array.Data);
    }

    [Fact]
    public void Reader_streams_row_ranges_of_float32_float16_and_float64()
    {
        var values = Enumerable.Range(0, 5 * 3).Select(k => (k / 4f) - 3f).ToArray();
        var images = new[]
        {
            Npy(NpyDict("<f4", "(5, 3)"), Floats(values)),
            Npy(NpyDict("<f2", "(5, 3)"), UInt16s(values.Select(v => BitConverter.HalfToUInt16Bits((Half)v)).ToArray())),
            Npy(NpyDict(">f8", "(5, 3)"), Doubles(values.Select(v => BitConverter.Int64BitsToDouble(System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(BitConverter.DoubleToInt64Bits(v)))).ToArray())),
        };
        foreach (var image in images)
        {
            using var reader = NpyReader.Open(new MemoryStream(image), "rows.npy");
            Assert.Equal(new[] { 5, 3 }, reader.Shape);
            Assert.Equal(5, reader.RowCount);
            Assert.Equal(3, reader.RowLength);

            var destination = new float[9];
            reader.ReadRows(1, 3, destination);
            Assert.Equal(values.AsSpan(3, 9).ToArray(), destination);

            reader.ReadRows(5, 0, destination); // empty range at the end is fine
            Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadRows(4, 2, destination));
            Assert.Throws<ArgumentOutOfRangeException>(() => reader.ReadRows(-1, 1, destination));
            Assert.Throws<ArgumentException>(() => reader.ReadRows(0, 4, destination));
        }
    }

    [Fact]
    public void Reader_reports_dtype_descr_version_and_reads_by_path()
    {
        using var reader = NpyReader.Open(Fixture("f4_v3.npy"));

        Assert.Equal("float32", reader.DType);
        Assert.Equal("<f4", reader.Descr);
        Assert.Equal((3, 0), reader.FormatVersion);
        Assert.Equal(12, reader.ElementCount);
        var row = new float[4];
        reader.ReadRows(2, 1, row);
        BitsEqual(ExpectedValues("f4_v3.expected.f32").AsSpan(8, 4), row, "row 2");
    }

    [Fact]
    public void Reader_of_a_scalar_has_one_row_of_one_element()
    {
        using var reader = NpyReader.Open(Fixture("f4_rank0.npy"));
        var value = new float[1];
        reader.ReadRows(0, 1, value);

        Assert.Empty(reader.Shape);
        Assert.Equal((1L, 1L), (reader.RowCount, reader.RowLength));
        Assert.Equal(-3f, value[0]);
    }

    [Theory]
    [InlineData("reject_fortran.npy", "Fortran-order")]
    [InlineData("reject_object.npy", "object arrays")]
    [InlineData("reject_int32.npy", "dtype '<i4' is not supported")]
    [InlineData("reject_structured.npy", "structured arrays")]
    public void Numpy_files_of_unsupported_kinds_are_rejected_with_the_reason(string file, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(Fixture(file)));

        Assert.Contains(file, e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, byte[], string> HostileImages()
    {
        var ok = NpyDict("<f4", "(2, 3)");
        var six = Floats(1, 2, 3, 4, 5, 6);
        var data = new TheoryData<string, byte[], string>
        {
            { "empty file", [], "magic string" },
            { "bad magic", "NUMPY\x01\x00\x10\x00"u8.ToArray(), "magic string" },
            { "magic only", Npy(ok, six).AsSpan(0, 6).ToArray(), "too short to hold the format version" },
            { "no header length", Npy(ok, six).AsSpan(0, 9).ToArray(), "too short to hold the header length" },
            { "version 4.0", Npy(ok, six, major: 4), "format version 4.0 is not supported" },
            { "header length beyond file", Npy(ok, six, headerLength: 60000), "header length 60000 is larger than the" },
            { "v2 header length beyond file", Npy(ok, six, major: 2, headerLength: uint.MaxValue), "header length 4294967295 is larger than the" },
            { "truncated data", Npy(ok, six.AsSpan(0, 20)), "needs 24 data bytes but 20 follow the header (truncated" },
            { "trailing data", Npy(ok, [.. six, 0, 0, 0, 0]), "needs 24 data bytes but 28 follow the header (trailing" },
            { "unterminated dict", Npy("{'descr': '<f4', ", six), "not a valid Python literal: expected a quoted key" },
            { "unterminated value", Npy("{'descr': ", six), "not a valid Python literal: unexpected end of the header" },
            { "unterminated string", Npy("{'descr': '<f4", six), "unterminated string" },
            { "not a dict", Npy("[1, 2]", six), "not a Python dict" },
            { "missing shape", Npy("{'descr': '<f4', 'fortran_order': False}", six), "no 'shape' key" },
            { "missing descr", Npy("{'shape': (6,), 'fortran_order': False}", six), "no 'descr' key" },
            { "extra key", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}", six), "unexpected key 'x'" },
            { "duplicate key", Npy("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (6,)}", six), "duplicate key 'descr'" },
            { "unknown dtype", Npy(NpyDict("<i8", "(3,)"), new byte[24]), "dtype '<i8' is not supported" },
            { "object dtype", Npy(NpyDict("|O", "(3,)"), new byte[24]), "object arrays" },
            { "structured", Npy("{'descr': [('x', '<f4')], 'fortran_order': False, 'shape': (6,)}", six), "structured arrays" },
            { "descr not string", Npy("{'descr': 4, 'fortran_order': False, 'shape': (6,)}", six), "'descr' must be a string" },
            { "fortran order", Npy(NpyDict("<f4", "(2, 3)", "True"), six), "Fortran-order" },
            { "fortran not bool", Npy(NpyDict("<f4", "(2, 3)", "'no'"), six), "'fortran_order' must be True or False" },
            { "negative dim", Npy(NpyDict("<f4", "(-2, -3)"), six), "dimension 0 of 'shape' is negative (-2)" },
            { "dim beyond int", Npy(NpyDict("<f4", "(4294967296, 0)"), []), "dimension 0 of 'shape' is 4294967296, larger than the supported maximum" },
            { "dim beyond long", Npy(NpyDict("<f4", "(99999999999999999999,)"), six), "integer '99999999999999999999' is out of range" },
            { "product overflows", Npy(NpyDict("<f4", "(2147483647, 2147483647, 2147483647)"), six), "needs more than 2^63 data bytes" },
            { "shape not tuple", Npy(NpyDict("<f4", "6"), six), "'shape' must be a tuple" },
            { "parenthesised int is not a tuple", Npy(NpyDict("<f4", "(6)"), six), "'shape' must be a tuple" },
            { "shape of strings", Npy(NpyDict("<f4", "('a',)"), six), "dimension 0 of 'shape' is not an integer" },
            { "float dim", Npy(NpyDict("<f4", "(6.0,)"), six), "only plain integers" },
            { "too many dims", Npy(NpyDict("<f4", "(" + string.Concat(Enumerable.Repeat("1, ", 65)) + ")"), [0, 0, 128, 63]), "65 dimensions; at most 64" },
            { "nesting bomb", Npy(new string('(', 5000) + new string(')', 5000), six), "nested deeper than" },
            { "text after dict", Npy(ok + " junk", six), "unexpected text after the literal" },
            { "v3 header not UTF-8", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (6,), '\u00ff': 1}", six, major: 3, encoding: System.Text.Encoding.Latin1), "not valid UTF-8" },
            { "python expression", Npy("{'descr': '<f4', 'fortran_order': __import__('os'), 'shape': (6,)}", six), "unexpected character '_'" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileImages))]
    public void Hostile_or_truncated_images_are_rejected_naming_the_file_and_the_problem(string what, byte[] image, string problem)
    {
        var name = "hostile-" + what.Replace(' ', '-') + ".npy";

        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(new MemoryStream(image), name));

        Assert.StartsWith(name + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains(problem, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_file_on_disk_is_rejected_naming_its_path()
    {
        using var scratch = Scratch();
        var path = scratch.File("cut.npy");
        var bytes = File.ReadAllBytes(Fixture("f4_rank3.npy"));
        File.WriteAllBytes(path, bytes.AsSpan(0, bytes.Length - 3).ToArray());

        var e = Assert.Throws<InvalidDataException>(() => NpyFile.Read(path));
        Assert.StartsWith(path + ": ", e.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", e.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => NpyReader.Open(path).Dispose());
    }
}

/// <summary>A read-only stream that cannot seek, like a pipe or a network response.</summary>
internal sealed class ForwardOnlyStream(byte[] bytes) : Stream
{
    private readonly MemoryStream _inner = new(bytes);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 7));

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
