using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace CrossModal.Tensors.IO;

/// <summary>
/// Reads a safetensors file one tensor at a time: opening parses and validates only the header, and
/// <see cref="Read(string)"/> reads just the bytes of the tensor asked for, so a large checkpoint (CLIP, GPT-2) is
/// never held in memory twice. F32, F16, BF16 and F64 tensors are converted to float32 (F16 and BF16 exactly, F64
/// rounded to nearest); other dtypes (BOOL, integers, 8-bit floats) are listed and validated but cannot be read.
/// </summary>
/// <remarks>
/// A reader opened on a path may be used from several threads at once (reads use no shared file position); one
/// opened on a <see cref="Stream"/> may not.
/// </remarks>
/// <example>
/// <code>
/// using var reader = SafeTensorsReader.Open("model.safetensors");
/// foreach (var name in reader.Names)
/// {
///     if (reader.GetDType(name) is "F32" or "F16" or "BF16")
///     {
///         HostArray weight = reader.Read(name);
///     }
/// }
/// </code>
/// </example>
public sealed class SafeTensorsReader : IDisposable
{
    private readonly ByteSource _source;
    private readonly SafeTensorsHeader _header;
    private bool _disposed;

    private SafeTensorsReader(ByteSource source)
    {
        _source = source;
        try
        {
            _header = SafeTensorsHeader.Read(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }

        var names = new List<string>(_header.Entries.Keys);
        names.Sort(CompareUtf8);
        Names = names.AsReadOnly();
        Metadata = _header.Metadata.AsReadOnly();
    }

    /// <summary>The file path or stream name this reader reads (used in error messages).</summary>
    public string SourceName => _source.Name;

    /// <summary>The tensor names, sorted by their UTF-8 bytes (the order the reference writer uses).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The header's <c>__metadata__</c> entries (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens the safetensors file at <paramref name="path"/> and validates its header.</summary>
    /// <param name="path">Path of the file.</param>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file; the message names the file
    /// and the problem.</exception>
    public static SafeTensorsReader Open(string path) => new(ByteSource.OpenFile(path));

    /// <summary>Opens a safetensors image held in <paramref name="stream"/>, starting at its current position.</summary>
    /// <param name="stream">A readable stream; one that cannot seek is first copied to memory.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="stream"/> open.</param>
    /// <exception cref="InvalidDataException">The data is not a valid safetensors image; the message starts with
    /// <paramref name="sourceName"/>.</exception>
    public static SafeTensorsReader Open(Stream stream, string sourceName, bool leaveOpen = false) =>
        new(ByteSource.FromStream(stream, sourceName, leaveOpen));

    /// <summary>Whether the file holds a tensor called <paramref name="name"/>.</summary>
    /// <param name="name">Tensor name.</param>
    public bool Contains(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _header.Entries.ContainsKey(name);
    }

    /// <summary>The dimensions of tensor <paramref name="name"/> (a fresh copy).</summary>
    /// <param name="name">Tensor name.</param>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public int[] GetShape(string name) => (int[])Entry(name).Shape.Clone();

    /// <summary>The stored dtype of tensor <paramref name="name"/> as the file spells it, e.g. <c>"F32"</c>,
    /// <c>"BF16"</c> or <c>"I64"</c>.</summary>
    /// <param name="name">Tensor name.</param>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public string GetDType(string name) => Entry(name).DType;

    /// <summary>Number of elements of tensor <paramref name="name"/> (the product of its shape).</summary>
    /// <param name="name">Tensor name.</param>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public long GetElementCount(string name) => Entry(name).ElementCount;

    /// <summary>Whether tensor <paramref name="name"/> has a dtype this reader converts to float32 (F32, F16, BF16,
    /// F64).</summary>
    /// <param name="name">Tensor name.</param>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public bool CanRead(string name) => Entry(name).StoredType is not null;

    /// <summary>Reads tensor <paramref name="name"/> as float32.</summary>
    /// <param name="name">Tensor name.</param>
    /// <returns>The tensor's shape and values.</returns>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidDataException">Its dtype cannot be converted to float32, or the file changed while
    /// being read.</exception>
    public HostArray Read(string name)
    {
        var entry = Entry(name);
        CheckReadable(entry);
        if (entry.ElementCount > Array.MaxLength)
        {
            throw new InvalidDataException($"{SourceName}: tensor '{SafeTensorsHeader.Shorten(name)}' holds {entry.ElementCount} elements, more than one in-memory array can hold.");
        }

        var data = new float[entry.ElementCount];
        ElementDecoder.Read(_source, _header.DataStart + entry.Begin, entry.StoredType!.Value, bigEndian: false, data);
        return new HostArray((int[])entry.Shape.Clone(), data);
    }

    /// <summary>Reads tensor <paramref name="name"/> as float32 into <paramref name="destination"/>, e.g. straight
    /// into a model's parameter buffer.</summary>
    /// <param name="name">Tensor name.</param>
    /// <param name="destination">(element count) receives the values, row-major; its length must equal the
    /// tensor's element count.</param>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    /// <exception cref="InvalidDataException">Its dtype cannot be converted to float32, or the file changed while
    /// being read.</exception>
    public void Read(string name, Span<float> destination)
    {
        var entry = Entry(name);
        if (destination.Length != entry.ElementCount)
        {
            throw new ArgumentException($"Destination holds {destination.Length} elements but tensor '{SafeTensorsHeader.Shorten(name)}' of {SourceName} has {entry.ElementCount}.", nameof(destination));
        }

        CheckReadable(entry);
        ElementDecoder.Read(_source, _header.DataStart + entry.Begin, entry.StoredType!.Value, bigEndian: false, destination);
    }

    /// <summary>Reads every tensor and the metadata.</summary>
    /// <returns>All tensors by name, and the metadata.</returns>
    /// <exception cref="InvalidDataException">A tensor's dtype cannot be converted to float32.</exception>
    public SafeTensorsContent ReadAll()
    {
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var name in Names)
        {
            CheckReadable(_header.Entries[name]);
        }

        foreach (var name in Names)
        {
            tensors.Add(name, Read(name));
        }

        return new SafeTensorsContent(tensors, new Dictionary<string, string>(_header.Metadata, StringComparer.Ordinal));
    }

    /// <summary>Closes the file (or the stream, unless it was opened with leaveOpen).</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _source.Dispose();
        }
    }

    /// <summary>Ordinal comparison of UTF-8 encodings, which is Rust's <c>str</c> ordering used by the reference
    /// writer (UTF-16 ordinal order differs for characters above U+FFFF).</summary>
    internal static int CompareUtf8(string a, string b) =>
        Encoding.UTF8.GetBytes(a).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(b));

    private SafeTensorsEntry Entry(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(name);
        return _header.Entries.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"{SourceName} has no tensor named '{SafeTensorsHeader.Shorten(name)}'.");
    }

    private void CheckReadable(SafeTensorsEntry entry)
    {
        if (entry.StoredType is null)
        {
            throw new InvalidDataException($"{SourceName}: tensor '{SafeTensorsHeader.Shorten(entry.Name)}' has dtype {entry.DType}, which cannot be read as float32 (F32, F16, BF16 and F64 can); skip it with {nameof(SafeTensorsReader)}.{nameof(CanRead)}.");
        }
    }
}
