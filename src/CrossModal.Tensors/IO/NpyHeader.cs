using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CrossModal.Tensors.IO;

/// <summary>
/// The parsed and validated preamble of an <c>.npy</c> file (format versions 1.0, 2.0 and 3.0, see
/// <c>numpy/lib/format.py</c> and NEP 1): magic <c>\x93NUMPY</c>, major and minor version, header length
/// (uint16 in 1.0, uint32 in 2.0/3.0, little-endian), then a Python dict literal with exactly the keys
/// <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, padded with spaces and a newline.
/// </summary>
internal sealed class NpyHeader
{
    /// <summary>The six magic bytes every .npy file starts with.</summary>
    internal static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Largest header accepted. numpy itself refuses headers over 10,000 bytes by default
    /// (<c>max_header_size</c>, numpy 1.24); 1 MiB leaves room for any real shape while bounding the work a
    /// hostile header can cause.</summary>
    internal const int MaxHeaderBytes = 1 << 20;

    /// <summary>Most dimensions accepted (numpy 2 allows 64; numpy 1 allowed 32).</summary>
    internal const int MaxRank = 64;

    private NpyHeader(int major, int minor, string descr, StoredType type, bool bigEndian, int[] shape, long elementCount, long dataOffset)
    {
        Major = major;
        Minor = minor;
        Descr = descr;
        Type = type;
        BigEndian = bigEndian;
        Shape = shape;
        ElementCount = elementCount;
        DataOffset = dataOffset;
    }

    public int Major { get; }

    public int Minor { get; }

    public string Descr { get; }

    public StoredType Type { get; }

    public bool BigEndian { get; }

    public int[] Shape { get; }

    public long ElementCount { get; }

    public long DataOffset { get; }

    /// <summary>numpy's name of the element type: float32, float16 or float64.</summary>
    public string DTypeName => Type switch
    {
        StoredType.Float16 => "float16",
        StoredType.Float64 => "float64",
        _ => "float32",
    };

    public static NpyHeader Read(ByteSource source)
    {
        var length = source.Length;
        Span<byte> preamble = stackalloc byte[12];
        var have = (int)Math.Min(length, preamble.Length);
        source.Read(0, preamble[..have]);

        if (have < Magic.Length || !preamble[..Magic.Length].SequenceEqual(Magic))
        {
            throw Fail(source, "it does not start with the .npy magic string \\x93NUMPY");
        }

        if (have < 8)
        {
            throw Fail(source, $"the file is {length} bytes, too short to hold the format version");
        }

        int major = preamble[6], minor = preamble[7];
        if (major is < 1 or > 3 || minor != 0)
        {
            throw Fail(source, $"format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        }

        var prefix = major == 1 ? 10 : 12;
        if (length < prefix)
        {
            throw Fail(source, $"the file is {length} bytes, too short to hold the header length");
        }

        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(preamble[8..]) : BinaryPrimitives.ReadUInt32LittleEndian(preamble[8..]);
        if (headerLength > length - prefix)
        {
            throw Fail(source, $"the header length {headerLength} is larger than the {length - prefix} bytes that follow it (truncated file or corrupt header length)");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw Fail(source, $"the header length {headerLength} exceeds the limit of {MaxHeaderBytes} bytes");
        }

        var headerBytes = new byte[headerLength];
        source.Read(prefix, headerBytes);

        // Versions 1.0 and 2.0 store the header in latin-1, 3.0 in UTF-8 (numpy/lib/format.py, _header_size_info).
        string text;
        if (major == 3)
        {
            try
            {
                text = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true).GetString(headerBytes);
            }
            catch (DecoderFallbackException)
            {
                throw Fail(source, "the version 3.0 header is not valid UTF-8");
            }
        }
        else
        {
            text = Encoding.Latin1.GetString(headerBytes);
        }

        object? literal;
        try
        {
            literal = PythonLiteral.Parse(text);
        }
        catch (FormatException e)
        {
            throw Fail(source, $"the header is not a valid Python literal: {e.Message}");
        }

        if (literal is not Dictionary<string, object?> dict)
        {
            throw Fail(source, "the header is not a Python dict");
        }

        foreach (var key in dict.Keys)
        {
            if (key is not ("descr" or "fortran_order" or "shape"))
            {
                throw Fail(source, $"the header has an unexpected key '{Shorten(key)}' (expected exactly 'descr', 'fortran_order' and 'shape')");
            }
        }

        var (descr, type, bigEndian) = ParseDescr(source, Require(source, dict, "descr"));
        var dims = ParseShape(source, Require(source, dict, "shape"));

        if (Require(source, dict, "fortran_order") is not bool fortran)
        {
            throw Fail(source, "'fortran_order' must be True or False");
        }

        // Fortran (column-major) order differs from C order unless at most one dimension exceeds 1, in which case
        // the bytes are identical and the file is read as is.
        var nonTrivial = 0;
        foreach (var d in dims)
        {
            nonTrivial += d > 1 ? 1 : 0;
        }

        if (fortran && nonTrivial > 1)
        {
            throw Fail(source, $"Fortran-order (column-major) arrays are not supported; save a C-order array (np.ascontiguousarray) instead");
        }

        var itemSize = ElementDecoder.SizeOf(type);
        var count = ShapeMath.SaturatingProduct(dims);
        var needed = ShapeMath.SaturatingMultiply(count, itemSize);
        var dataOffset = prefix + headerLength;
        var available = length - dataOffset;
        if (needed != available)
        {
            var what = needed > available ? "truncated file or wrong shape" : "trailing bytes after the data or wrong shape";
            var neededText = needed == long.MaxValue ? "more than 2^63" : needed.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw Fail(source, $"shape {ShapeMath.Format(dims)} of {descr} needs {neededText} data bytes but {available} follow the header ({what})");
        }

        var shape = new int[dims.Count];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = (int)dims[i];
        }

        return new NpyHeader(major, minor, descr, type, bigEndian, shape, count, dataOffset);
    }

    private static object? Require(ByteSource source, Dictionary<string, object?> dict, string key) =>
        dict.TryGetValue(key, out var value) ? value : throw Fail(source, $"the header has no '{key}' key");

    private static (string Descr, StoredType Type, bool BigEndian) ParseDescr(ByteSource source, object? value)
    {
        if (value is List<object?> or PythonTuple)
        {
            throw Fail(source, "structured arrays (a list of fields as 'descr') are not supported; only float32, float16 and float64 arrays are");
        }

        if (value is not string descr)
        {
            throw Fail(source, "'descr' must be a string such as '<f4'");
        }

        var body = descr.AsSpan();
        var bigEndian = false;
        if (body.Length > 0 && body[0] is '<' or '>' or '|' or '=')
        {
            // '=' and '|' mean native order, which is little-endian on every platform this library runs on.
            bigEndian = body[0] == '>';
            body = body[1..];
        }

        if (body.Length > 0 && body[0] == 'O')
        {
            throw Fail(source, $"object arrays (dtype '{Shorten(descr)}') are not supported: they hold pickled Python objects, not numbers");
        }

        StoredType type;
        switch (body)
        {
            case "f4" or "f":
                type = StoredType.Float32;
                break;
            case "f2" or "e":
                type = StoredType.Float16;
                break;
            case "f8" or "d":
                type = StoredType.Float64;
                break;
            default:
                throw Fail(source, $"dtype '{Shorten(descr)}' is not supported (float32 '<f4', float16 '<f2' and float64 '<f8' are)");
        }

        return (descr, type, bigEndian);
    }

    private static List<long> ParseShape(ByteSource source, object? value)
    {
        if (value is not PythonTuple tuple)
        {
            throw Fail(source, "'shape' must be a tuple of integers, e.g. (2, 3) or (5,) or ()");
        }

        if (tuple.Items.Count > MaxRank)
        {
            throw Fail(source, $"'shape' has {tuple.Items.Count} dimensions; at most {MaxRank} are supported");
        }

        var dims = new List<long>(tuple.Items.Count);
        for (var i = 0; i < tuple.Items.Count; i++)
        {
            if (tuple.Items[i] is not long d)
            {
                throw Fail(source, $"dimension {i} of 'shape' is not an integer");
            }

            if (d < 0)
            {
                throw Fail(source, $"dimension {i} of 'shape' is negative ({d})");
            }

            if (d > int.MaxValue)
            {
                throw Fail(source, $"dimension {i} of 'shape' is {d}, larger than the supported maximum {int.MaxValue}");
            }

            dims.Add(d);
        }

        return dims;
    }

    internal static InvalidDataException Fail(ByteSource source, string problem) =>
        new($"{source.Name}: not a readable .npy file: {problem}.");

    private static string Shorten(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 40), "…");
}
