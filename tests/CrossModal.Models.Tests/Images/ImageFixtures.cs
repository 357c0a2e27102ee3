using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;
using CrossModal.Testing;

namespace CrossModal.Models.Tests.Images;

/// <summary>Paths of the committed fixtures (tests/reference/images, written by tests/reference/make_image_fixtures.py)
/// and the photographs in data/images.</summary>
internal static class ImageFixtures
{
    public static readonly string RepoRoot = FindRepoRoot();

    public static string Reference(string relative) => Path.Combine(RepoRoot, "tests", "reference", "images", relative);

    public static string Photo(string id) => Path.Combine(RepoRoot, "data", "images", "coco_val2017_cc_by", id + ".jpg");

    /// <summary>All the COCO photographs committed under data/images (their ids).</summary>
    public static readonly string[] PhotoIds = ["000000431848", "000000161044", "000000205401", "000000290843", "000000165518", "000000434204"];

    /// <summary>The photographs whose Pillow decoding is committed (the rest need the JPEG decoder).</summary>
    public static readonly string[] DecodedPhotoIds = ["000000431848", "000000161044", "000000205401", "000000434204"];

    /// <summary>File names (relative to tests/reference/images) in <paramref name="folder"/> with an expected .rgb.npy.</summary>
    public static IEnumerable<object[]> Cases(string folder)
        => Directory.GetFiles(Reference(folder))
            .Where(f => !f.EndsWith(".npy", StringComparison.Ordinal) && File.Exists(f + ".rgb.npy"))
            .Order(StringComparer.Ordinal)
            .Select(f => new object[] { folder + "/" + Path.GetFileName(f) });

    /// <summary>The expected RGB24 image stored beside a fixture as (H, W, 3) uint8.</summary>
    public static ImageData ExpectedRgb(string relative) => ToImage(Npy.Read(Reference(relative + ".rgb.npy")));

    public static ImageData ToImage(Npy array)
    {
        Assert.Equal("|u1", array.Dtype);
        Assert.Equal(3, array.Shape.Length);
        Assert.Equal(3, array.Shape[2]);
        return new ImageData(array.Shape[1], array.Shape[0], array.Bytes);
    }

    /// <summary>Largest absolute per-byte difference of two equally sized images.</summary>
    public static int MaxAbsDifference(ImageData actual, ImageData expected)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        int max = 0;
        for (int i = 0; i < expected.Pixels.Length; i++)
        {
            max = Math.Max(max, Math.Abs(actual.Pixels[i] - expected.Pixels[i]));
        }

        return max;
    }

    private static string FindRepoRoot() => RepositoryPaths.Root;
}

/// <summary>A minimal NumPy .npy (v1/v2) reader for the fixtures: C-order little-endian uint8 or float32, optionally
/// gzip-compressed (.npy.gz).</summary>
internal sealed partial class Npy
{
    private Npy(string dtype, int[] shape, byte[] bytes)
    {
        Dtype = dtype;
        Shape = shape;
        Bytes = bytes;
    }

    public string Dtype { get; }

    public int[] Shape { get; }

    public byte[] Bytes { get; }

    public float[] Floats()
    {
        Assert.Equal("<f4", Dtype);
        var result = new float[Bytes.Length / 4];
        Buffer.BlockCopy(Bytes, 0, result, 0, Bytes.Length);
        return result;
    }

    public static Npy Read(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        if (path.EndsWith(".gz", StringComparison.Ordinal))
        {
            using var gz = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            using var inflated = new MemoryStream();
            gz.CopyTo(inflated);
            file = inflated.ToArray();
        }

        Assert.True(file.Length > 10 && file[0] == 0x93 && Encoding.ASCII.GetString(file, 1, 5) == "NUMPY", "not an .npy file: " + path);
        int major = file[6];
        int headerLength = major == 1 ? BitConverter.ToUInt16(file, 8) : BitConverter.ToInt32(file, 8);
        int start = major == 1 ? 10 : 12;
        string header = Encoding.ASCII.GetString(file, start, headerLength);
        string dtype = DescrPattern().Match(header).Groups[1].Value;
        Assert.Contains("'fortran_order': False", header, StringComparison.Ordinal);
        int[] shape = ShapePattern().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        return new Npy(dtype, shape, file[(start + headerLength)..]);
    }

    [GeneratedRegex(@"'descr': '([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape': \(([^)]*)\)")]
    private static partial Regex ShapePattern();
}

/// <summary>A fact that is skipped, with the reason shown, where libjpeg-turbo's TurboJPEG library is not installed.</summary>
public sealed class JpegFactAttribute : FactAttribute
{
    public JpegFactAttribute()
    {
        if (!JpegDecoder.IsAvailable)
        {
            Skip = "libturbojpeg is not installed (apt-get install libturbojpeg0): " + JpegDecoder.UnavailableReason;
        }
    }
}

/// <summary>A theory that is skipped, with the reason shown, where libjpeg-turbo's TurboJPEG library is not installed.</summary>
public sealed class JpegTheoryAttribute : TheoryAttribute
{
    public JpegTheoryAttribute()
    {
        if (!JpegDecoder.IsAvailable)
        {
            Skip = "libturbojpeg is not installed (apt-get install libturbojpeg0): " + JpegDecoder.UnavailableReason;
        }
    }
}
