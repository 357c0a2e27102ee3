using System;
using System.IO;

namespace CrossModal.Tensors.IO;

/// <summary>
/// Streams row ranges of an <c>.npy</c> file without loading the whole file, for shards larger than memory (for
/// example a (10,000,000 × 512) embedding matrix written by a distributed job). A "row" is one index of the leading
/// dimension: for shape (N, D₁, …, Dₖ) there are N rows of D₁·…·Dₖ elements each.
/// </summary>
/// <remarks>
/// <para>Opening parses and validates the header and checks that the data size matches the shape exactly, so
/// <see cref="ReadRows"/> never reads outside the file. Values are converted to float32 as they are read
/// (float16 exactly, float64 rounded to nearest).</para>
/// <para>A reader opened on a path may be used from several threads at once (reads use no shared file position);
/// one opened on a <see cref="Stream"/> may not.</para>
/// </remarks>
/// <example>
/// <code>
/// using var reader = NpyReader.Open("embeddings.npy");          // shape (N, 512)
/// var batch = new float[1024 * (int)reader.RowLength];
/// for (long row = 0; row &lt; reader.RowCount; row += 1024)
/// {
///     var rows = (int)Math.Min(1024, reader.RowCount - row);
///     reader.ReadRows(row, rows, batch);
/// }
/// </code>
/// </example>
public sealed class NpyReader : IDisposable
{
    private readonly ByteSource _source;
    private readonly NpyHeader _header;
    private bool _disposed;

    private NpyReader(ByteSource source)
    {
        _source = source;
        try
        {
            _header = NpyHeader.Read(source);
        }
        catch
        {
            source.Dispose();
            throw;
        }

        RowCount = _header.Shape.Length == 0 ? 1 : _header.Shape[0];
        RowLength = 1;
        for (var i = 1; i < _header.Shape.Length; i++)
        {
            // Cannot overflow: the header check bounded the element count by the file length.
            RowLength *= _header.Shape[i];
        }
    }

    /// <summary>The file path or stream name this reader reads (used in error messages).</summary>
    public string SourceName => _source.Name;

    /// <summary>The array's dimensions, outermost first (a fresh copy on each call); empty for a 0-d scalar.</summary>
    public int[] Shape => (int[])_header.Shape.Clone();

    /// <summary>numpy's name of the stored element type: <c>"float32"</c>, <c>"float16"</c> or <c>"float64"</c>.
    /// Values are converted to float32 when read.</summary>
    public string DType => _header.DTypeName;

    /// <summary>The header's <c>descr</c> as written in the file, e.g. <c>"&lt;f4"</c> or <c>"&gt;f8"</c>.</summary>
    public string Descr => _header.Descr;

    /// <summary>The file's format version, e.g. (1, 0).</summary>
    public (int Major, int Minor) FormatVersion => (_header.Major, _header.Minor);

    /// <summary>Size of the leading dimension; 1 for a 0-d scalar.</summary>
    public long RowCount { get; }

    /// <summary>Elements per row: the product of all dimensions but the first (1 for rank 0 and 1).</summary>
    public long RowLength { get; }

    /// <summary>Total number of elements (the product of <see cref="Shape"/>).</summary>
    public long ElementCount => _header.ElementCount;

    /// <summary>Opens the <c>.npy</c> file at <paramref name="path"/> and validates its header.</summary>
    /// <param name="path">Path of the file.</param>
    /// <exception cref="InvalidDataException">The file is not a valid float32/float16/float64 C-order .npy file;
    /// the message names the file and the problem.</exception>
    public static NpyReader Open(string path) => new(ByteSource.OpenFile(path));

    /// <summary>Opens an <c>.npy</c> image held in <paramref name="stream"/>, starting at its current position.</summary>
    /// <param name="stream">A readable stream; one that cannot seek is first copied to memory.</param>
    /// <param name="sourceName">Name used in error messages (e.g. the file or entry name).</param>
    /// <param name="leaveOpen">Whether disposing the reader leaves <paramref name="stream"/> open.</param>
    /// <exception cref="InvalidDataException">The data is not a valid .npy image; the message starts with
    /// <paramref name="sourceName"/>.</exception>
    public static NpyReader Open(Stream stream, string sourceName, bool leaveOpen = false) =>
        new(ByteSource.FromStream(stream, sourceName, leaveOpen));

    /// <summary>Reads rows <c>[firstRow, firstRow + rowCount)</c> of the leading dimension into
    /// <paramref name="destination"/> as float32, row-major.</summary>
    /// <param name="firstRow">Index of the first row to read; 0 ≤ firstRow ≤ <see cref="RowCount"/>.</param>
    /// <param name="rowCount">Number of rows; firstRow + rowCount ≤ <see cref="RowCount"/>.</param>
    /// <param name="destination">(rowCount, RowLength) receives the values; its first
    /// rowCount·<see cref="RowLength"/> elements are written.</param>
    public void ReadRows(long firstRow, int rowCount, Span<float> destination)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (firstRow > RowCount - rowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"Rows [{firstRow}, {firstRow + rowCount}) are outside the {RowCount} rows of {SourceName}.");
        }

        var count = rowCount * RowLength;
        if (destination.Length < count)
        {
            throw new ArgumentException($"Destination holds {destination.Length} elements; {rowCount} rows of {RowLength} need {count}.", nameof(destination));
        }

        var size = ElementDecoder.SizeOf(_header.Type);
        ElementDecoder.Read(_source, _header.DataOffset + (firstRow * RowLength * size), _header.Type, _header.BigEndian, destination[..(int)count]);
    }

    /// <summary>Reads the whole array into memory as float32.</summary>
    /// <exception cref="InvalidDataException">The array has more elements than one .NET array can hold (read it
    /// with <see cref="ReadRows"/> instead), or the file changed while being read.</exception>
    public HostArray ReadAll()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (ElementCount > Array.MaxLength)
        {
            throw new InvalidDataException($"{SourceName}: the array holds {ElementCount} elements, more than one in-memory array can hold ({Array.MaxLength}); read it in row ranges with {nameof(NpyReader)}.{nameof(ReadRows)}.");
        }

        var data = new float[ElementCount];
        ElementDecoder.Read(_source, _header.DataOffset, _header.Type, _header.BigEndian, data);
        return new HostArray(Shape, data);
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
}
