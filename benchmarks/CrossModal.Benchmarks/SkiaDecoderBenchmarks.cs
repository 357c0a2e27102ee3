using System.IO;
using BenchmarkDotNet.Attributes;
using CrossModal.Abstractions;
using CrossModal.Imaging.Skia;
using CrossModal.Models.Images;
using CrossModal.Testing;

namespace CrossModal.Benchmarks;

/// <summary>
/// Skia against the core decoders on the same bytes, side by side in one run: JPEG through libturbojpeg (TurboJPEG,
/// the core <see cref="JpegDecoder"/>) and through Skia's bundled libjpeg-turbo, and the same pixels as PNG through
/// the managed <see cref="PngDecoder"/> and through Skia. Both JPEG paths return identical pixels on the committed
/// photographs (tests/CrossModal.Imaging.Skia.Tests), so only the speed is compared here. Run with
/// <c>--filter *SkiaDecoder*</c>; docs/images.md has the measured figures.
/// </summary>
[MemoryDiagnoser]
public class SkiaDecoderBenchmarks
{
    private readonly JpegDecoder _turbo = new();
    private readonly PngDecoder _png = new();
    private readonly SkiaImageDecoder _skia = new(applyExifOrientation: false);
    private byte[] _jpegBytes = [];
    private byte[] _pngBytes = [];

    /// <summary>A 640 × 408 and a 500 × 333 COCO photograph (4:2:0 baseline JPEGs).</summary>
    [Params("000000205401", "000000434204")]
    public string Photo { get; set; } = "";

    [GlobalSetup]
    public void Setup()
    {
        _jpegBytes = File.ReadAllBytes(RepositoryPaths.Data(Path.Combine("images", "coco_val2017_cc_by", Photo + ".jpg")));
        _pngBytes = PngEncoder.Encode(_turbo.Decode(_jpegBytes, "bench.jpg"));
    }

    /// <summary>TurboJPEG (P/Invoke into the system's libturbojpeg.so.0) to RGB24.</summary>
    [Benchmark(Baseline = true)]
    public ImageData JpegTurbo() => _turbo.Decode(_jpegBytes, "bench.jpg");

    /// <summary>Skia's codec to RGBA, then to RGB24.</summary>
    [Benchmark]
    public ImageData JpegSkia() => _skia.Decode(_jpegBytes, "bench.jpg");

    /// <summary>The managed PNG decoder (ZLibStream + row filters).</summary>
    [Benchmark]
    public ImageData PngManaged() => _png.Decode(_pngBytes, "bench.png");

    /// <summary>Skia's PNG codec (libpng + zlib inside libSkiaSharp), then to RGB24.</summary>
    [Benchmark]
    public ImageData PngSkia() => _skia.Decode(_pngBytes, "bench.png");
}
