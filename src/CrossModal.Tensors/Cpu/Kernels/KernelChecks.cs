using System;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>Argument checks shared by the kernels; each names the offending span and the length it needed.</summary>
internal static class KernelChecks
{
    public static void Length(ReadOnlySpan<float> span, long expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} elements but got {span.Length}.", name);
        }
    }

    public static void OptionalLength(ReadOnlySpan<float> span, long expected, string name)
    {
        if (!span.IsEmpty && span.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} elements (or none) but got {span.Length}.", name);
        }
    }

    public static void Count<T>(ReadOnlySpan<T> span, long expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} elements but got {span.Length}.", name);
        }
    }

    public static void Positive(int value, string name)
    {
        if (value <= 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "Expected a positive size.");
        }
    }
}
