using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using System.Text.Unicode;

namespace CrossModal.Tensors.IO;

/// <summary>One tensor's entry in a safetensors header, validated against the file.</summary>
/// <param name="Name">The tensor's name.</param>
/// <param name="DType">The dtype string as written, e.g. "F32".</param>
/// <param name="Shape">The dimensions.</param>
/// <param name="Begin">Byte offset of the first element, relative to the start of the data section.</param>
/// <param name="End">Byte offset one past the last element, relative to the start of the data section.</param>
/// <param name="ElementCount">Product of the shape.</param>
/// <param name="StoredType">The float encoding, or null for a dtype this library does not convert to float32.</param>
internal sealed record SafeTensorsEntry(string Name, string DType, int[] Shape, long Begin, long End, long ElementCount, StoredType? StoredType);

/// <summary>
/// The parsed and validated header of a safetensors file (format of huggingface/safetensors,
/// <c>safetensors/src/tensor.rs</c>): an unsigned 64-bit little-endian header length N, N bytes of UTF-8 JSON
/// (an object mapping tensor names to <c>{"dtype", "shape", "data_offsets"}</c>, plus an optional
/// <c>"__metadata__"</c> object of string values), then the data section. The checks follow the reference
/// implementation's <c>Metadata::validate</c>: the offsets, sorted, must tile the data section exactly (no gaps, no
/// overlaps, nothing past its end), and each tensor's byte span must equal its element count × dtype size.
/// </summary>
internal sealed class SafeTensorsHeader
{
    /// <summary>Largest header accepted, as in the reference implementation (MAX_HEADER_SIZE = 100,000,000).</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    /// <summary>Most dimensions accepted for one tensor.</summary>
    internal const int MaxRank = 64;

    /// <summary>Byte sizes of the dtypes the format defines with whole-byte elements (safetensors 0.4).</summary>
    private static readonly Dictionary<string, int> DTypeSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1,
        ["U8"] = 1,
        ["I8"] = 1,
        ["F8_E5M2"] = 1,
        ["F8_E4M3"] = 1,
        ["I16"] = 2,
        ["U16"] = 2,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I32"] = 4,
        ["U32"] = 4,
        ["F32"] = 4,
        ["F64"] = 8,
        ["I64"] = 8,
        ["U64"] = 8,
    };

    private SafeTensorsHeader(Dictionary<string, SafeTensorsEntry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Entries = entries;
        Metadata = metadata;
        DataStart = dataStart;
    }

    public Dictionary<string, SafeTensorsEntry> Entries { get; }

    public Dictionary<string, string> Metadata { get; }

    /// <summary>Absolute byte offset of the data section (8 + header length).</summary>
    public long DataStart { get; }

    internal static StoredType? ToStoredType(string dtype) => dtype switch
    {
        "F32" => StoredType.Float32,
        "F16" => StoredType.Float16,
        "BF16" => StoredType.BFloat16,
        "F64" => StoredType.Float64,
        _ => null,
    };

    public static SafeTensorsHeader Read(ByteSource source)
    {
        var length = source.Length;
        if (length < 8)
        {
            throw Fail(source, $"the file is {length} bytes, too short to hold the 8-byte header length");
        }

        Span<byte> prefix = stackalloc byte[8];
        source.Read(0, prefix);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8))
        {
            throw Fail(source, $"the header length {headerLength} is larger than the {length - 8} bytes that follow it (truncated file or corrupt header length)");
        }

        if (headerLength > MaxHeaderBytes)
        {
            throw Fail(source, $"the header length {headerLength} exceeds the limit of {MaxHeaderBytes} bytes");
        }

        var json = new byte[headerLength];
        source.Read(8, json);
        if (!Utf8.IsValid(json))
        {
            throw Fail(source, "the JSON header is not valid UTF-8");
        }

        if (json.Length == 0 || json[0] != (byte)'{')
        {
            throw Fail(source, "the JSON header does not start with '{'");
        }

        var dataStart = 8 + (long)headerLength;
        var dataLength = length - dataStart;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 16 });
        }
        catch (JsonException e)
        {
            throw Fail(source, $"the header is not valid JSON: {e.Message}");
        }

        using (document)
        {
            try
            {
                return Validate(source, document.RootElement, dataStart, dataLength);
            }
            catch (InvalidOperationException e)
            {
                // JsonDocument parses \u escapes lazily: an unpaired surrogate such as "\ud800" only fails when the
                // string is read (serde_json, in the reference implementation, rejects it while parsing).
                throw Fail(source, $"the header holds a string that is not valid Unicode ({e.Message})");
            }
        }
    }

    private static SafeTensorsHeader Validate(ByteSource source, JsonElement root, long dataStart, long dataLength)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, "the JSON header is not an object");
        }

        var entries = new Dictionary<string, SafeTensorsEntry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var sawMetadata = false;
        foreach (var property in root.EnumerateObject())
        {
            var name = property.Name;
            if (name == "__metadata__")
            {
                if (sawMetadata)
                {
                    throw Fail(source, "the header has two '__metadata__' entries");
                }

                sawMetadata = true;
                ReadMetadata(source, property.Value, metadata);
                continue;
            }

            if (entries.ContainsKey(name))
            {
                throw Fail(source, $"tensor '{Shorten(name)}' appears twice in the header");
            }

            entries.Add(name, ReadEntry(source, name, property.Value, dataLength));
        }

        // The reference implementation sorts by offsets and requires each tensor to start where the previous one
        // ended and the last to end at the end of the file: no gaps, no overlaps, no unused trailing bytes.
        var sorted = new List<SafeTensorsEntry>(entries.Values);
        sorted.Sort(static (a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        long expected = 0;
        foreach (var entry in sorted)
        {
            if (entry.Begin != expected)
            {
                var problem = entry.Begin < expected ? "overlaps the previous tensor" : "leaves a gap after the previous tensor";
                throw Fail(source, $"tensor '{Shorten(entry.Name)}' starts at data offset {entry.Begin} but the previous tensor ends at {expected}: it {problem}");
            }

            expected = entry.End;
        }

        if (expected != dataLength)
        {
            throw Fail(source, $"the tensors cover {expected} data bytes but the file holds {dataLength} after the header (truncated file, trailing bytes or wrong offsets)");
        }

        return new SafeTensorsHeader(entries, metadata, dataStart);
    }

    private static void ReadMetadata(ByteSource source, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, "'__metadata__' is not an object of strings");
        }

        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
            {
                throw Fail(source, $"metadata value '{Shorten(item.Name)}' is not a string");
            }

            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
            {
                throw Fail(source, $"metadata key '{Shorten(item.Name)}' appears twice");
            }
        }
    }

    private static SafeTensorsEntry ReadEntry(ByteSource source, string name, JsonElement value, long dataLength)
    {
        var label = $"tensor '{Shorten(name)}'";
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(source, $"{label} is not an object with dtype, shape and data_offsets");
        }

        JsonElement? dtypeElement = null, shapeElement = null, offsetsElement = null;
        foreach (var field in value.EnumerateObject())
        {
            // Unknown fields are ignored, as serde does in the reference implementation; duplicates are not.
            ref var slot = ref dtypeElement;
            switch (field.Name)
            {
                case "dtype":
                    break;
                case "shape":
                    slot = ref shapeElement;
                    break;
                case "data_offsets":
                    slot = ref offsetsElement;
                    break;
                default:
                    continue;
            }

            if (slot is not null)
            {
                throw Fail(source, $"{label} has two '{field.Name}' fields");
            }

            slot = field.Value;
        }

        if (dtypeElement is not { } dtypeValue)
        {
            throw Fail(source, $"{label} has no 'dtype'");
        }

        if (shapeElement is not { } shapeValue)
        {
            throw Fail(source, $"{label} has no 'shape'");
        }

        if (offsetsElement is not { } offsetsValue)
        {
            throw Fail(source, $"{label} has no 'data_offsets'");
        }

        if (dtypeValue.ValueKind != JsonValueKind.String)
        {
            throw Fail(source, $"the dtype of {label} is not a string");
        }

        var dtype = dtypeValue.GetString()!;
        if (!DTypeSizes.TryGetValue(dtype, out var itemSize))
        {
            throw Fail(source, $"{label} has unknown dtype '{Shorten(dtype)}'");
        }

        if (shapeValue.ValueKind != JsonValueKind.Array)
        {
            throw Fail(source, $"the shape of {label} is not an array");
        }

        if (shapeValue.GetArrayLength() > MaxRank)
        {
            throw Fail(source, $"the shape of {label} has {shapeValue.GetArrayLength()} dimensions; at most {MaxRank} are supported");
        }

        var dims = new List<long>();
        foreach (var dim in shapeValue.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var d))
            {
                throw Fail(source, $"dimension {dims.Count} of {label} is not an integer");
            }

            if (d < 0)
            {
                throw Fail(source, $"dimension {dims.Count} of {label} is negative ({d})");
            }

            if (d > int.MaxValue)
            {
                throw Fail(source, $"dimension {dims.Count} of {label} is {d}, larger than the supported maximum {int.MaxValue}");
            }

            dims.Add(d);
        }

        if (offsetsValue.ValueKind != JsonValueKind.Array || offsetsValue.GetArrayLength() != 2)
        {
            throw Fail(source, $"the data_offsets of {label} are not an array [begin, end]");
        }

        var begin = ReadOffset(source, label, offsetsValue[0], "begin");
        var end = ReadOffset(source, label, offsetsValue[1], "end");
        if (begin > end)
        {
            throw Fail(source, $"the data_offsets of {label} end ({end}) before they begin ({begin})");
        }

        if (end > dataLength)
        {
            throw Fail(source, $"the data_offsets [{begin}, {end}] of {label} are out of range: the data section holds {dataLength} bytes");
        }

        var count = ShapeMath.SaturatingProduct(dims);
        var bytes = ShapeMath.SaturatingMultiply(count, itemSize);
        if (bytes != end - begin)
        {
            var bytesText = bytes == long.MaxValue ? "more than 2^63" : bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw Fail(source, $"{label} has shape {ShapeMath.Format(dims)} of {dtype} ({bytesText} bytes) but its data_offsets [{begin}, {end}] span {end - begin} bytes");
        }

        var shape = new int[dims.Count];
        for (var i = 0; i < shape.Length; i++)
        {
            shape[i] = (int)dims[i];
        }

        return new SafeTensorsEntry(name, dtype, shape, begin, end, count, ToStoredType(dtype));
    }

    private static long ReadOffset(ByteSource source, string label, JsonElement element, string which)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out var value) || value < 0)
        {
            throw Fail(source, $"the {which} data offset of {label} is not a non-negative integer");
        }

        return value;
    }

    internal static InvalidDataException Fail(ByteSource source, string problem) =>
        new($"{source.Name}: not a readable safetensors file: {problem}.");

    internal static string Shorten(string s) => s.Length <= 60 ? s : string.Concat(s.AsSpan(0, 60), "…");
}
