using System;
using System.Buffers.Binary;
using System.Collections.Generic;

namespace CrossModal.Models.Tests.Images;

/// <summary>
/// The seeded mutations of the image-decoder fuzz tests, shared with the fuzz tests of other decoder packages (the
/// file is linked into their test projects) so that every decoder faces the same kinds of damage.
/// </summary>
internal static class ImageMutations
{
    /// <summary>One to four random edits; the signature (first 8 bytes) is kept 90 % of the time so that most mutants
    /// reach the decoder behind it.</summary>
    public static byte[] Mutate(byte[] original, Random random)
    {
        var data = new List<byte>(original);
        int edits = random.Next(1, 5);
        for (int e = 0; e < edits && data.Count > 0; e++)
        {
            int floor = random.Next(10) == 0 ? 0 : Math.Min(8, data.Count - 1);
            int at = random.Next(floor, data.Count);
            switch (random.Next(7))
            {
                case 0: data[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: data[at] = (byte)random.Next(256); break;
                case 2: data[at] = random.Next(2) == 0 ? (byte)0 : (byte)0xFF; break;
                case 3: data.RemoveRange(at, data.Count - at); break; // truncate
                case 4: data.RemoveRange(at, Math.Min(data.Count - at, random.Next(1, 16))); break;
                case 5:
                    var junk = new byte[random.Next(1, 16)];
                    random.NextBytes(junk);
                    data.InsertRange(at, junk);
                    break;
                default: // duplicate a slice elsewhere
                    int length = Math.Min(data.Count - at, random.Next(1, 64));
                    data.InsertRange(random.Next(floor, data.Count), data.GetRange(at, length));
                    break;
            }
        }

        return data.ToArray();
    }

    /// <summary>Recomputes the CRC of every whole chunk, so that a mutation inside a chunk passes the CRC check.</summary>
    public static void FixPngCrcs(byte[] file)
    {
        int pos = 8;
        while (pos + 12 <= file.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32BigEndian(file.AsSpan(pos));
            if (length > (uint)(file.Length - pos - 12))
            {
                return;
            }

            uint crc = Crc32(file.AsSpan(pos + 4, (int)length + 4));
            BinaryPrimitives.WriteUInt32BigEndian(file.AsSpan(pos + 8 + (int)length), crc);
            pos += 12 + (int)length;
        }
    }

    /// <summary>Bitwise CRC-32 (the slow twin of the decoder's table-driven one).</summary>
    public static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }
}
