using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using Xunit;
using Xunit.Sdk;

namespace CrossModal.Models.Tests.Images;

/// <summary>
/// The seeded mutations of the image-decoder fuzz tests, shared with the fuzz tests of other decoder packages (the
/// file is linked into their test projects) so that every decoder faces the same kinds of damage.
/// </summary>
internal static class ImageMutations
{
    /// <summary>
    /// Decodes <paramref name="mutants"/> mutants of <paramref name="files"/> (taken in turn) and requires that each
    /// either yields a well-formed image or throws <see cref="InvalidDataException"/> whose message starts with the
    /// mutant's name — never another exception.
    /// </summary>
    /// <param name="decoder">The decoder under test.</param>
    /// <param name="files">The intact files to mutate.</param>
    /// <param name="mutants">How many mutants to decode.</param>
    /// <param name="seed">Seed of the mutations (reported on failure).</param>
    /// <param name="fixPngCrcs">Repair the chunk CRCs of half the PNG mutants, so that the damage reaches the header
    /// checks, zlib and the row filters instead of stopping at the CRC.</param>
    /// <returns>How many mutants decoded and how many were refused.</returns>
    public static (int Decoded, int Refused) Fuzz(IImageDecoder decoder, IReadOnlyList<string> files, int mutants, int seed, bool fixPngCrcs)
    {
        var random = new Random(seed);
        byte[][] inputs = files.Select(File.ReadAllBytes).ToArray();
        int decoded = 0, refused = 0;
        for (int i = 0; i < mutants; i++)
        {
            int which = i % inputs.Length;
            byte[] mutant = Mutate(inputs[which], random);
            if (fixPngCrcs && inputs[which].AsSpan().StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G']) && random.Next(2) == 0)
            {
                FixPngCrcs(mutant);
            }

            string name = $"mutant-{i}-of-{Path.GetFileName(files[which])}";
            try
            {
                ImageData image = decoder.Decode(mutant, name);
                Assert.Equal((long)image.Width * image.Height * 3, image.Pixels.LongLength);
                decoded++;
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith(name + ": ", e.Message, StringComparison.Ordinal);
                refused++;
            }
            catch (Exception e)
            {
                throw new XunitException($"{name} (seed {seed}) threw {e.GetType().Name}, not InvalidDataException: {e}");
            }
        }

        return (decoded, refused);
    }

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
