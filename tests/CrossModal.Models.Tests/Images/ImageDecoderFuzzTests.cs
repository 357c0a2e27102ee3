using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace CrossModal.Models.Tests.Images;

/// <summary>
/// Seeded mutation fuzzing: corrupt real files in many small ways and require that the decoder either returns a
/// well-formed image or throws <see cref="InvalidDataException"/> whose message starts with the file's name —
/// never another exception, never a crash. Half the PNG mutants get their chunk CRCs repaired, so the mutations reach
/// the header checks, zlib and the row filters instead of stopping at the CRC.
/// </summary>
public class ImageDecoderFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261123;

    // A small pixel limit keeps mutated headers (e.g. a width byte turned into 0xFF) from allocating hundreds of MB.
    private static readonly ImageDecoder Decoder = new([new PngDecoder(1 << 20), new JpegDecoder(1 << 20), new PnmDecoder(1 << 20)]);

    [Fact]
    public void Png_mutants_decode_or_fail_with_InvalidDataException_naming_the_file()
        => Run("png", mutants: 1000, fixCrc: true);

    [Fact]
    public void Pnm_mutants_decode_or_fail_with_InvalidDataException_naming_the_file()
        => Run("pnm", mutants: 400, fixCrc: false);

    [JpegFact]
    public void Jpeg_mutants_decode_or_fail_with_InvalidDataException_naming_the_file()
        => Run("jpeg", mutants: 600, fixCrc: false);

    /// <summary>Mutates every fixture file of <paramref name="folder"/> (tests/reference/images) in turn.</summary>
    private void Run(string folder, int mutants, bool fixCrc)
    {
        var fixtures = new List<string>();
        foreach (string path in Directory.GetFiles(ImageFixtures.Reference(folder)))
        {
            if (!path.EndsWith(".npy", StringComparison.Ordinal))
            {
                fixtures.Add(path);
            }
        }

        fixtures.Sort(StringComparer.Ordinal);
        var (decoded, refused) = ImageMutations.Fuzz(Decoder, fixtures, mutants, Seed + mutants, fixCrc);
        output.WriteLine($"{mutants} mutants: {decoded} decoded, {refused} refused with InvalidDataException");
        Assert.Equal(mutants, decoded + refused);
        Assert.True(refused > mutants / 10, "the mutations should break most files");
    }
}
