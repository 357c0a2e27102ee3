using System.IO;
using BenchmarkDotNet.Attributes;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using CrossModal.Testing;

namespace CrossModal.Benchmarks;

/// <summary>
/// The image side of CLIP encoding for one 640 × 408 COCO photograph: decoding (JPEG through libjpeg-turbo, and the
/// same pixels as PNG through the managed decoder) and CLIP preprocessing to a 3 × 224 × 224 tensor. Run with
/// <c>--filter *ImagePipeline*</c>; Pillow's times for the same work are in docs/images.md.
/// </summary>
[MemoryDiagnoser]
public class ImagePipelineBenchmarks
{
    private byte[] _jpeg = [];
    private byte[] _png = [];
    private ImageData _image = null!;
    private readonly ClipImagePreprocessor _preprocessor = new(224);
    private readonly float[] _tensor = new float[3 * 224 * 224];

    [GlobalSetup]
    public void Setup()
    {
        _jpeg = File.ReadAllBytes(RepositoryPaths.Data(Path.Combine("images", "coco_val2017_cc_by", "000000205401.jpg")));
        _image = new JpegDecoder().Decode(_jpeg, "bench.jpg");
        _png = PngEncoder.Encode(_image);
    }

    /// <summary>libjpeg-turbo decode to RGB24.</summary>
    [Benchmark(Baseline = true)]
    public ImageData DecodeJpeg() => ImageDecoder.Default.Decode(_jpeg, "bench.jpg");

    /// <summary>Managed PNG decode of the same pixels (zlib + row filters).</summary>
    [Benchmark]
    public ImageData DecodePng() => ImageDecoder.Default.Decode(_png, "bench.png");

    /// <summary>Resize (shorter side 224, Pillow-exact bicubic), centre crop and normalise into a reused tensor.</summary>
    [Benchmark]
    public float[] Preprocess()
    {
        _preprocessor.Preprocess(_image, _tensor);
        return _tensor;
    }

    /// <summary>Managed PNG encode (adaptive filters, zlib Optimal).</summary>
    [Benchmark]
    public byte[] EncodePng() => PngEncoder.Encode(_image);
}
