using System;
using System.Buffers.Binary;
using System.IO;
using System.Runtime.InteropServices;
using System.Text;
using CrossModal.Testing;

namespace CrossModal.Tensors.Tests.IO;

/// <summary>Locates the committed fixtures (tests/reference/fixtures/io, made by make_io_fixtures.py), gives each
/// test a scratch folder, and builds .npy / safetensors images byte by byte.</summary>
internal static class IoTestFiles
{
    private static readonly Lazy<string> FixtureFolder = new(() => Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "io"));

    public static string Fixture(string name) => Path.Combine(FixtureFolder.Value, name);

    /// <summary>Raw little-endian float32 values written by the fixture script.</summary>
    public static float[] ExpectedValues(string fileName) =>
        MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(Fixture(fileName))).ToArray();

    /// <summary>A fresh folder under the system temp folder; deleted by <see cref="ScratchFolder.Dispose"/>.</summary>
    public static ScratchFolder Scratch() => new();

    /// <summary>An .npy image: magic, version, header length (from <paramref name="headerLength"/> when given, else
    /// the true length), the header text, then <paramref name="data"/>.</summary>
    public static byte[] Npy(string header, ReadOnlySpan<byte> data, int major = 1, long? headerLength = null, Encoding? encoding = null)
    {
        var text = (encoding ?? Encoding.Latin1).GetBytes(header);
        var prefix = major == 1 ? 10 : 12;
        var bytes = new byte[prefix + text.Length + data.Length];
        bytes[0] = 0x93;
        Encoding.ASCII.GetBytes("NUMPY").CopyTo(bytes, 1);
        bytes[6] = (byte)major;
        bytes[7] = 0;
        var length = headerLength ?? text.Length;
        if (major == 1)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(8), (ushort)length);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)length);
        }

        text.CopyTo(bytes, prefix);
        data.CopyTo(bytes.AsSpan(prefix + text.Length));
        return bytes;
    }

    /// <summary>The usual header dict for <paramref name="descr"/> and <paramref name="shape"/> (Python syntax).</summary>
    public static string NpyDict(string descr, string shape, string fortran = "False") =>
        $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}\n";

    /// <summary>A safetensors image: 8-byte header length (from <paramref name="headerLength"/> when given), the JSON
    /// bytes, then <paramref name="data"/>.</summary>
    public static byte[] SafeTensors(string json, ReadOnlySpan<byte> data, ulong? headerLength = null) =>
        SafeTensors(Encoding.UTF8.GetBytes(json), data, headerLength);

    public static byte[] SafeTensors(byte[] json, ReadOnlySpan<byte> data, ulong? headerLength = null)
    {
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes.AsSpan(8 + json.Length));
        return bytes;
    }

    public static byte[] Floats(params float[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] UInt16s(params ushort[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    public static byte[] Doubles(params double[] values) => MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    /// <summary>Bitwise comparison so that NaN payloads and signed zeros count.</summary>
    public static void BitsEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Xunit.Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            var e = BitConverter.SingleToUInt32Bits(expected[i]);
            var a = BitConverter.SingleToUInt32Bits(actual[i]);
            if (e != a)
            {
                throw new Xunit.Sdk.XunitException($"{what}: element {i}: expected {expected[i]} (0x{e:X8}), got {actual[i]} (0x{a:X8}).");
            }
        }
    }
}

/// <summary>A temporary folder for one test.</summary>
internal sealed class ScratchFolder : IDisposable
{
    public ScratchFolder()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "crossmodal-io-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Leave it for the OS to clean; a failing delete must not fail the test.
        }
    }
}
