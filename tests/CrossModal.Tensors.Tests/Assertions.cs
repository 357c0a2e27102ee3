using System;
using Xunit.Sdk;

namespace CrossModal.Tensors.Tests;

/// <summary>Element-wise closeness: |a − ref| ≤ atol + rtol·|ref| (numpy.allclose's rule).</summary>
internal static class Assertions
{
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
}

/// <summary>Norm-wise closeness ‖a − ref‖ / ‖ref‖ ≤ tol, the llm.c parity measure for whole tensors.</summary>
internal static class NormAssertions
{
    /// <summary>Forward outputs and losses against PyTorch.</summary>
    public const double ForwardTolerance = 1e-5;

    /// <summary>Gradients against PyTorch (a longer fp32 chain of reductions than the forward pass).</summary>
    public const double GradientTolerance = 1e-4;

    public static double RelativeError(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            var d = (double)actual[i] - expected[i];
            diff += d * d;
            norm += (double)expected[i] * expected[i];
        }

        return norm == 0 ? Math.Sqrt(diff) : Math.Sqrt(diff / norm);
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double tolerance, string what)
    {
        if (expected.Length != actual.Length)
        {
            throw new XunitException($"{what}: expected {expected.Length} values, got {actual.Length}.");
        }

        for (var i = 0; i < actual.Length; i++)
        {
            if (!float.IsFinite(actual[i]))
            {
                throw new XunitException($"{what}: element {i} is {actual[i]}.");
            }
        }

        var error = RelativeError(expected, actual);
        if (!(error <= tolerance))
        {
            throw new XunitException($"{what}: relative error {error:E3} exceeds {tolerance:E1}.");
        }
    }
}
