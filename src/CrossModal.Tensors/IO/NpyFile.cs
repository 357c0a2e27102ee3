using System;
using System.Buffers.Binary;
using System.Globalization;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;

namespace CrossModal.Tensors.IO;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (the format of <c>np.save</c> / <c>np.load</c>, described in
/// <c>numpy/lib/format.py</c>). Reading accepts float32, float16 and float64 (little- or big-endian), C order, any
/// rank including 0-d scalars and zero-length dimensions, format versions 1.0, 2.0 and 3.0, and converts to float32.
/// Writing produces float32 files byte-identical to numpy 1.24's <c>np.save</c>.
/// </summary>
/// <remarks>
/// Rejected with an <see cref="InvalidDataException"/> that names the file and the problem: a missing or wrong magic
/// string, unknown versions, a header length beyond the end of the file, a header that is not a valid Python dict
/// literal with exactly the keys <c>descr</c>, <c>fortran_order</c> and <c>shape</c>, other dtypes (integers,
/// object and structured arrays), Fortran order (unless the layout is the same as C order), negative or oversized
/// dimensions, and a data size that differs from shape × item size (truncated files and trailing bytes).
/// For files larger than memory use <see cref="NpyReader"/>.
/// </remarks>
public static class NpyFile
{
    /// <summary>numpy's GROWTH_AXIS_MAX_DIGITS (numpy/lib/format.py): spare spaces numpy leaves after the header so
    /// the leading dimension can grow in place; written too so files match np.save byte for byte.</summary>
    private const int GrowthAxisMaxDigits = 21;

    /// <summary>numpy's ARRAY_ALIGN: the data starts at a multiple of 64 bytes.</summary>
    private const int ArrayAlign = 64;

    /// <summary>Reads the <c>.npy</c> file at <paramref name="path"/> into float32.</summary>
    /// <param name="path">Path of the file.</param>
    /// <returns>The array with its shape.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid, supported .npy file.</exception>
    public static HostArray Read(string path)
    {
        using var reader = NpyReader.Open(path);
        return reader.ReadAll();
    }

    /// <summary>Reads an <c>.npy</c> image from <paramref name="stream"/> (from its current position to its end)
    /// into float32. The stream is left open.</summary>
    /// <param name="stream">A readable stream; one that cannot seek is first copied to memory.</param>
    /// <param name="sourceName">Name used in error messages.</param>
    /// <returns>The array with its shape.</returns>
    /// <exception cref="InvalidDataException">The data is not a valid, supported .npy image; the message starts
    /// with <paramref name="sourceName"/>.</exception>
    public static HostArray Read(Stream stream, string sourceName)
    {
        using var reader = NpyReader.Open(stream, sourceName, leaveOpen: true);
        return reader.ReadAll();
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> as a float32 (<c>&lt;f4</c>), C-order
    /// <c>.npy</c> file, format 1.0 (2.0 if the header needs more than 65,535 bytes), atomically: the bytes go to a
    /// temporary file in the same folder that is then renamed over <paramref name="path"/>.</summary>
    /// <param name="path">Destination path; its folder is created if missing.</param>
    /// <param name="array">The array to write.</param>
    public static void Write(string path, HostArray array)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(array);
        CheckRank(array);
        AtomicFile.Write(path, stream => Write(stream, array));
    }

    /// <summary>Writes <paramref name="array"/> as a float32 <c>.npy</c> image to <paramref name="stream"/>.</summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="array">The array to write.</param>
    public static void Write(Stream stream, HostArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        CheckRank(array);
        stream.Write(BuildHeader(array.Shape));

        var data = array.Data.AsSpan();
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The .npy writer assumes a little-endian host.");
        }

        const int floatsPerWrite = 1 << 18;
        for (var start = 0; start < data.Length; start += floatsPerWrite)
        {
            stream.Write(MemoryMarshal.AsBytes(data.Slice(start, Math.Min(floatsPerWrite, data.Length - start))));
        }
    }

    private static void CheckRank(HostArray array)
    {
        array.EnsureConsistent();
        if (array.Rank > NpyHeader.MaxRank)
        {
            throw new ArgumentException($"The array has {array.Rank} dimensions; .npy readers (numpy included) accept at most {NpyHeader.MaxRank}.", nameof(array));
        }
    }

    /// <summary>The magic, version, header length and header dict, exactly as numpy 1.24's
    /// <c>_write_array_header</c> / <c>_wrap_header</c> produce them for a C-order float32 array.</summary>
    internal static byte[] BuildHeader(ReadOnlySpan<int> shape)
    {
        var sb = new StringBuilder("{'descr': '<f4', 'fortran_order': False, 'shape': ");
        sb.Append('(');
        for (var i = 0; i < shape.Length; i++)
        {
            sb.Append(i == 0 ? string.Empty : ", ").Append(shape[i].ToString(CultureInfo.InvariantCulture));
        }

        sb.Append(shape.Length == 1 ? ",)" : ")").Append(", }");
        if (shape.Length > 0)
        {
            sb.Append(' ', GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length);
        }

        var dict = Encoding.ASCII.GetBytes(sb.ToString());

        // numpy tries version 1.0 first and falls back to 2.0 when the header does not fit a uint16 length.
        foreach (var (major, lengthBytes) in new[] { (1, 2), (2, 4) })
        {
            var prefix = NpyHeader.Magic.Length + 2 + lengthBytes;
            var headerLength = dict.Length + 1;
            var pad = ArrayAlign - ((prefix + headerLength) % ArrayAlign);
            var total = headerLength + pad;
            if (major == 1 && total > ushort.MaxValue)
            {
                continue;
            }

            var bytes = new byte[prefix + total];
            NpyHeader.Magic.CopyTo(bytes);
            bytes[6] = (byte)major;
            bytes[7] = 0;
            if (major == 1)
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)total);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)total);
            }

            dict.CopyTo(bytes, prefix);
            bytes.AsSpan(prefix + dict.Length, pad).Fill((byte)' ');
            bytes[^1] = (byte)'\n';
            return bytes;
        }

        throw new InvalidOperationException("Unreachable: a version 2.0 header holds any shape.");
    }
}
