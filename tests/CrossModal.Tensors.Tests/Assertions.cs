using System;
using Xunit.Sdk;

namespace CrossModal.Tensors.Tests;

/// <summary>Element-wise closeness: |a − ref| ≤ atol + rtol·|ref| (STYLE.md §2).</summary>
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
