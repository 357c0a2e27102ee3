using System;
using System.Buffers;
using System.Buffers.Binary;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace CrossModal.Tensors.IO;

/// <summary>Floating-point element encodings the readers convert to float32.</summary>
internal enum StoredType
{
    Float32,
    Float16,
    BFloat16,
    Float64,
}

/// <summary>Reads stored elements from a <see cref="ByteSource"/> into float32, in bounded chunks (no buffer larger
/// than <see cref="ChunkBytes"/> besides the destination).</summary>
internal static class ElementDecoder
{
    /// <summary>Bytes converted per chunk; large enough to amortise the read call, small enough to stay in cache.</summary>
    private const int ChunkBytes = 1 << 20;

    public static int SizeOf(StoredType type) => type switch
    {
        StoredType.Float32 => 4,
        StoredType.Float16 or StoredType.BFloat16 => 2,
        StoredType.Float64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>Reads <c>destination.Length</c> elements of <paramref name="type"/> starting at byte
    /// <paramref name="offset"/> of <paramref name="source"/>. The caller has checked that they lie inside it.</summary>
    public static void Read(ByteSource source, long offset, StoredType type, bool bigEndian, Span<float> destination)
    {
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("The .npy and safetensors readers assume a little-endian host.");
        }

        if (type == StoredType.Float32)
        {
            // Read straight into the destination, in chunks so the byte view never exceeds int.MaxValue bytes.
            const int floatsPerRead = 1 << 26;
            for (var start = 0; start < destination.Length; start += floatsPerRead)
            {
                var part = destination.Slice(start, Math.Min(floatsPerRead, destination.Length - start));
                source.Read(offset + (long)start * 4, MemoryMarshal.AsBytes(part));
                if (bigEndian)
                {
                    var bits = MemoryMarshal.Cast<float, uint>(part);
                    BinaryPrimitives.ReverseEndianness(bits, bits);
                }
            }

            return;
        }

        var size = SizeOf(type);
        var perChunk = ChunkBytes / size;
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (var start = 0; start < destination.Length; start += perChunk)
            {
                var count = Math.Min(perChunk, destination.Length - start);
                var bytes = buffer.AsSpan(0, count * size);
                source.Read(offset + (long)start * size, bytes);
                Convert(type, bigEndian, bytes, destination.Slice(start, count));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Converts <paramref name="bytes"/> (modified in place when byte-swapping) to float32.</summary>
    internal static void Convert(StoredType type, bool bigEndian, Span<byte> bytes, Span<float> destination)
    {
        switch (type)
        {
            case StoredType.Float32:
                {
                    var bits = MemoryMarshal.Cast<byte, uint>(bytes);
                    if (bigEndian)
                    {
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }

                    MemoryMarshal.Cast<uint, float>(bits).CopyTo(destination);
                    break;
                }

            case StoredType.Float16:
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(bytes);
                    if (bigEndian)
                    {
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }

                    // IEEE 754 binary16 → binary32 is exact for numbers, subnormals and ±inf.
                    TensorPrimitives.ConvertToSingle(MemoryMarshal.Cast<ushort, Half>(bits), destination);

                    // The hardware conversion quiets signalling NaNs; numpy and PyTorch widen NaNs bit for bit
                    // (payload shifted left by 13), so restore that to match their float32 values exactly.
                    var wide = MemoryMarshal.Cast<float, uint>(destination);
                    for (var i = 0; i < bits.Length; i++)
                    {
                        var h = bits[i];
                        if ((h & 0x7C00) == 0x7C00 && (h & 0x03FF) != 0)
                        {
                            wide[i] = ((uint)(h & 0x8000) << 16) | 0x7F800000u | ((uint)(h & 0x03FF) << 13);
                        }
                    }

                    break;
                }

            case StoredType.BFloat16:
                {
                    var bits = MemoryMarshal.Cast<byte, ushort>(bytes);
                    if (bigEndian)
                    {
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }

                    // bfloat16 is the upper half of a binary32, so widening is a 16-bit shift (exact).
                    var wide = MemoryMarshal.Cast<float, uint>(destination);
                    for (var i = 0; i < bits.Length; i++)
                    {
                        wide[i] = (uint)bits[i] << 16;
                    }

                    break;
                }

            case StoredType.Float64:
                {
                    var bits = MemoryMarshal.Cast<byte, ulong>(bytes);
                    if (bigEndian)
                    {
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }

                    // Round to nearest float32, as numpy's astype(np.float32) does; out-of-range values become ±inf.
                    var values = MemoryMarshal.Cast<ulong, double>(bits);
                    for (var i = 0; i < values.Length; i++)
                    {
                        destination[i] = (float)values[i];
                    }

                    break;
                }

            default:
                throw new ArgumentOutOfRangeException(nameof(type));
        }
    }
}
