using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Models.Clip;
using CrossModal.Models.Tests.Images;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using Xunit.Sdk;

namespace CrossModal.Models.Tests.Clip;

/// <summary>The tiny random CLIP and its PyTorch outputs written by tests/reference/make_clip_fixtures.py.</summary>
internal static class ClipFixtures
{
    /// <summary>Captions of the fixture, in order (make_clip_fixtures.py, CAPTIONS).</summary>
    public static readonly string[] Captions =
    [
        "a photo of a cat",
        "Two dogs playing in the snow!",
        "",
        "a red circle above a blue square, next to a small green triangle",
        string.Join(' ', System.Linq.Enumerable.Repeat("word", 90)),
    ];

    public static string ModelDirectory => Path.Combine(ImageFixtures.RepoRoot, "tests", "reference", "fixtures", "clip", "tiny");

    private static readonly Lazy<IReadOnlyDictionary<string, HostArray>> LazyReference = new(() =>
        SafeTensorsFile.Read(Path.Combine(ImageFixtures.RepoRoot, "tests", "reference", "fixtures", "clip", "tiny_reference.safetensors")).Tensors);

    public static IReadOnlyDictionary<string, HostArray> Reference => LazyReference.Value;

    public static float[] Get(string name) => Reference[name].Data;

    public static int[] Ints(string name) => Array.ConvertAll(Get(name), v => (int)v);

    /// <summary>Asserts |a − ref| ≤ atol + rtol·|ref| element-wise.</summary>
    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, float atol, float rtol, string what)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        }

        for (var i = 0; i < expected.Length; i++)
        {
            var diff = Math.Abs(actual[i] - expected[i]);
            if (!(diff <= atol + rtol * Math.Abs(expected[i])))
            {
                throw new XunitException($"{what}: element {i}: expected {expected[i]}, got {actual[i]} (|diff| {diff}).");
            }
        }
    }

    /// <summary>Asserts ‖a − ref‖ ≤ tolerance·max(‖ref‖, 1e-2) (llm.c's whole-tensor measure for gradients). The floor
    /// covers gradients that are zero in exact arithmetic, e.g. the key bias's (a constant shift of every score that
    /// softmax cancels), where PyTorch's rounding noise has no meaningful relative size.</summary>
    public static void RelativeClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        }

        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }

        var error = Math.Sqrt(diff) / Math.Max(Math.Sqrt(norm), 1e-2);
        if (!(error <= tolerance))
        {
            throw new XunitException($"{what}: relative error {error:E3} exceeds {tolerance:E1}.");
        }
    }

    public static ClipModel LoadTiny() => ClipModel.Load(ModelDirectory);
}
