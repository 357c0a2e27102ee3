using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace CrossModal.Tensors.IO;

/// <summary>
/// Reads and writes safetensors files (the Hugging Face format: an 8-byte little-endian header length, a JSON
/// header, then the raw tensor bytes; see huggingface/safetensors). Reading converts F32, F16, BF16 and F64 tensors
/// to float32 and keeps <c>__metadata__</c>; writing produces F32 files laid out as the reference implementation
/// lays them out (tensors sorted by name, header padded with spaces to a multiple of 8 bytes).
/// </summary>
/// <remarks>
/// Rejected with an <see cref="InvalidDataException"/> naming the file and the problem: a header length beyond the
/// end of the file (or over 100 MB), a header that is not UTF-8 JSON or misses <c>dtype</c>, <c>shape</c> or
/// <c>data_offsets</c>, unknown dtypes, negative or oversized dimensions, offsets out of range, overlapping, leaving
/// gaps or not covering the data, and shape × dtype size ≠ byte span. Tensors of dtypes the format defines but this
/// library does not convert (BOOL, integers, 8-bit floats) make <see cref="Read(string)"/> fail; read the others
/// with <see cref="SafeTensorsReader"/>, which also reads one tensor at a time for large checkpoints.
/// </remarks>
public static class SafeTensorsFile
{
    /// <summary>Reads every tensor of the safetensors file at <paramref name="path"/>, and its metadata.</summary>
    /// <param name="path">Path of the file.</param>
    /// <returns>The tensors (float32) and metadata.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file, or holds a tensor whose
    /// dtype cannot be converted to float32.</exception>
    public static SafeTensorsContent Read(string path)
    {
        using var reader = SafeTensorsReader.Open(path);
        return reader.ReadAll();
    }

    /// <summary>Reads every tensor of a safetensors image in <paramref name="stream"/> (from its current position
    /// to its end), and its metadata. The stream is left open.</summary>
    /// <param name="stream">A readable stream; one that cannot seek is first copied to memory.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <returns>The tensors (float32) and metadata.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid safetensors image (the message starts with
    /// <paramref name="sourceName"/>), or holds a tensor whose dtype cannot be converted to float32.</exception>
    public static SafeTensorsContent Read(Stream stream, string sourceName)
    {
        using var reader = SafeTensorsReader.Open(stream, sourceName, leaveOpen: true);
        return reader.ReadAll();
    }

    /// <summary>Writes <paramref name="tensors"/> as F32 to <paramref name="path"/>, atomically: the bytes go to a
    /// temporary file in the same folder that is then renamed over <paramref name="path"/>.</summary>
    /// <param name="path">Destination path; its folder is created if missing.</param>
    /// <param name="tensors">Tensors by name; the name <c>__metadata__</c> is reserved.</param>
    /// <param name="metadata">Optional string-to-string metadata, stored as <c>__metadata__</c>.</param>
    public static void Write(string path, IReadOnlyDictionary<string, HostArray> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var header = BuildHeader(tensors, metadata, out var order);
        AtomicFile.Write(path, stream => WriteBody(stream, header, tensors, order));
    }

    /// <summary>Writes <paramref name="tensors"/> as an F32 safetensors image to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensors">Tensors by name; the name <c>__metadata__</c> is reserved.</param>
    /// <param name="metadata">Optional string-to-string metadata, stored as <c>__metadata__</c>.</param>
    public static void Write(Stream stream, IReadOnlyDictionary<string, HostArray> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var header = BuildHeader(tensors, metadata, out var order);
        WriteBody(stream, header, tensors, order);
    }

    private static void WriteBody(Stream stream, byte[] header, IReadOnlyDictionary<string, HostArray> tensors, List<string> order)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The safetensors writer assumes a little-endian host.");
        }

        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        const int floatsPerWrite = 1 << 18;
        foreach (var name in order)
        {
            var data = tensors[name].Data.AsSpan();
            for (var start = 0; start < data.Length; start += floatsPerWrite)
            {
                stream.Write(MemoryMarshal.AsBytes(data.Slice(start, Math.Min(floatsPerWrite, data.Length - start))));
            }
        }
    }

    /// <summary>The JSON header as the reference serializer writes it: compact, <c>__metadata__</c> first, then
    /// the tensors in data order with keys dtype, shape, data_offsets; padded with spaces to a multiple of 8
    /// bytes (safetensors/src/tensor.rs, <c>prepare</c>).</summary>
    internal static byte[] BuildHeader(IReadOnlyDictionary<string, HostArray> tensors, IReadOnlyDictionary<string, string>? metadata, out List<string> order)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        order = new List<string>(tensors.Count);
        foreach (var (name, array) in tensors)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(tensors));
            if (array is null)
            {
                throw new ArgumentException($"Tensor '{name}' is null.", nameof(tensors));
            }

            array.EnsureConsistent();
            if (name == "__metadata__")
            {
                throw new ArgumentException("'__metadata__' is reserved for the metadata and cannot name a tensor.", nameof(tensors));
            }

            CheckUtf16(name, nameof(tensors));
            order.Add(name);
        }

        // The reference writer orders by dtype (descending alignment), then by name; every tensor here is F32.
        order.Sort(SafeTensorsReader.CompareUtf8);

        var json = new StringBuilder("{");
        if (metadata is not null)
        {
            var keys = new List<string>(metadata.Count);
            foreach (var (key, value) in metadata)
            {
                ArgumentNullException.ThrowIfNull(value, nameof(metadata));
                CheckUtf16(key, nameof(metadata));
                CheckUtf16(value, nameof(metadata));
                keys.Add(key);
            }

            keys.Sort(SafeTensorsReader.CompareUtf8);
            json.Append("\"__metadata__\":{");
            for (var i = 0; i < keys.Count; i++)
            {
                json.Append(i == 0 ? string.Empty : ",");
                AppendString(json, keys[i]).Append(':');
                AppendString(json, metadata[keys[i]]);
            }

            json.Append('}');
            if (order.Count > 0)
            {
                json.Append(',');
            }
        }

        long offset = 0;
        for (var i = 0; i < order.Count; i++)
        {
            var array = tensors[order[i]];
            var end = offset + (4L * array.Data.Length);
            json.Append(i == 0 ? string.Empty : ",");
            AppendString(json, order[i]).Append(":{\"dtype\":\"F32\",\"shape\":[");
            for (var d = 0; d < array.Shape.Length; d++)
            {
                json.Append(d == 0 ? string.Empty : ",").Append(array.Shape[d].ToString(CultureInfo.InvariantCulture));
            }

            json.Append("],\"data_offsets\":[")
                .Append(offset.ToString(CultureInfo.InvariantCulture)).Append(',')
                .Append(end.ToString(CultureInfo.InvariantCulture)).Append("]}");
            offset = end;
        }

        json.Append('}');
        var bytes = Encoding.UTF8.GetBytes(json.ToString());
        var padded = (bytes.Length + 7) / 8 * 8;
        var header = new byte[padded];
        bytes.CopyTo(header, 0);
        header.AsSpan(bytes.Length).Fill((byte)' ');
        return header;
    }

    /// <summary>Appends <paramref name="s"/> as a JSON string with serde_json's escaping: quote, backslash and
    /// control characters only (short forms where JSON has them, else \u00xx); everything else as UTF-8.</summary>
    private static StringBuilder AppendString(StringBuilder json, string s)
    {
        json.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"':
                    json.Append("\\\"");
                    break;
                case '\\':
                    json.Append("\\\\");
                    break;
                case '\b':
                    json.Append("\\b");
                    break;
                case '\f':
                    json.Append("\\f");
                    break;
                case '\n':
                    json.Append("\\n");
                    break;
                case '\r':
                    json.Append("\\r");
                    break;
                case '\t':
                    json.Append("\\t");
                    break;
                case < ' ':
                    json.Append("\\u00").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    break;
                default:
                    json.Append(c);
                    break;
            }
        }

        return json.Append('"');
    }

    /// <summary>Rejects strings with unpaired surrogates, which have no UTF-8 encoding.</summary>
    private static void CheckUtf16(string s, string parameter)
    {
        ArgumentNullException.ThrowIfNull(s, parameter);
        for (var i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(s[i]))
            {
                throw new ArgumentException($"'{s}' contains an unpaired UTF-16 surrogate and cannot be written as UTF-8.", parameter);
            }
        }
    }
}
