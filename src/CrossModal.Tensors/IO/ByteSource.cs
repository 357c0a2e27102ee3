using System;
using System.IO;
using Microsoft.Win32.SafeHandles;

namespace CrossModal.Tensors.IO;

/// <summary>
/// Random-access bytes of one file or stream, read at explicit offsets. The readers check every offset and length
/// they derive from a header against <see cref="Length"/> before reading or allocating, so a hostile header can
/// neither make them read out of bounds nor allocate more than the file could fill.
/// </summary>
internal abstract class ByteSource : IDisposable
{
    protected ByteSource(string name) => Name = name;

    /// <summary>The file path or stream name used in error messages.</summary>
    public string Name { get; }

    /// <summary>Number of readable bytes.</summary>
    public abstract long Length { get; }

    /// <summary>Fills <paramref name="destination"/> with the bytes at <paramref name="offset"/>.</summary>
    /// <exception cref="InvalidDataException">The source ended before <paramref name="destination"/> was filled
    /// (it was truncated or changed while being read).</exception>
    public abstract void Read(long offset, Span<byte> destination);

    public abstract void Dispose();

    /// <summary>Opens <paramref name="path"/> for shared reading.</summary>
    public static ByteSource OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new FileSource(path, File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess));
    }

    /// <summary>Wraps <paramref name="stream"/> from its current position; a stream that cannot seek is copied to
    /// memory first (its length is then known, so the header can still be checked before allocating).</summary>
    public static ByteSource FromStream(Stream stream, string name, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(name);
        if (!stream.CanRead)
        {
            throw new ArgumentException($"The stream for '{name}' is not readable.", nameof(stream));
        }

        if (stream.CanSeek)
        {
            return new StreamSource(stream, name, leaveOpen);
        }

        var copy = new MemoryStream();
        stream.CopyTo(copy);
        if (!leaveOpen)
        {
            stream.Dispose();
        }

        copy.Position = 0;
        return new StreamSource(copy, name, leaveOpen: false);
    }

    private protected InvalidDataException Truncated(long offset, int count) =>
        new($"{Name}: the data ended early: {count} bytes at offset {offset} could not be read (truncated, or changed while being read).");

    private sealed class FileSource : ByteSource
    {
        private readonly SafeFileHandle _handle;

        public FileSource(string name, SafeFileHandle handle)
            : base(name)
        {
            _handle = handle;
            Length = RandomAccess.GetLength(handle);
        }

        public override long Length { get; }

        public override void Read(long offset, Span<byte> destination)
        {
            var done = 0;
            while (done < destination.Length)
            {
                // RandomAccess.Read takes no shared file position, so several readers may use one handle at once.
                var n = RandomAccess.Read(_handle, destination[done..], offset + done);
                if (n <= 0)
                {
                    throw Truncated(offset, destination.Length);
                }

                done += n;
            }
        }

        public override void Dispose() => _handle.Dispose();
    }

    private sealed class StreamSource : ByteSource
    {
        private readonly Stream _stream;
        private readonly long _origin;
        private readonly bool _leaveOpen;

        public StreamSource(Stream stream, string name, bool leaveOpen)
            : base(name)
        {
            _stream = stream;
            _leaveOpen = leaveOpen;
            _origin = stream.Position;
            Length = Math.Max(0, stream.Length - _origin);
        }

        public override long Length { get; }

        public override void Read(long offset, Span<byte> destination)
        {
            _stream.Position = _origin + offset;
            var done = 0;
            while (done < destination.Length)
            {
                var n = _stream.Read(destination[done..]);
                if (n <= 0)
                {
                    throw Truncated(offset, destination.Length);
                }

                done += n;
            }
        }

        public override void Dispose()
        {
            if (!_leaveOpen)
            {
                _stream.Dispose();
            }
        }
    }
}
