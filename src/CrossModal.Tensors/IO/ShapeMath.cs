using System;
using System.Collections.Generic;

namespace CrossModal.Tensors.IO;

/// <summary>Overflow-safe size arithmetic for shapes read from untrusted headers.</summary>
internal static class ShapeMath
{
    /// <summary>The product of <paramref name="dims"/> (all ≥ 0), or <see cref="long.MaxValue"/> when it does not
    /// fit in a <see cref="long"/>. A zero dimension makes the product 0 whatever the others are.</summary>
    public static long SaturatingProduct(IReadOnlyList<long> dims, int start = 0)
    {
        for (var i = start; i < dims.Count; i++)
        {
            if (dims[i] == 0)
            {
                return 0;
            }
        }

        long product = 1;
        for (var i = start; i < dims.Count; i++)
        {
            product = SaturatingMultiply(product, dims[i]);
        }

        return product;
    }

    /// <summary><paramref name="a"/> · <paramref name="b"/> for non-negative operands, saturated at
    /// <see cref="long.MaxValue"/>.</summary>
    public static long SaturatingMultiply(long a, long b)
    {
        if (a == 0 || b == 0)
        {
            return 0;
        }

        return a > long.MaxValue / b ? long.MaxValue : a * b;
    }

    /// <summary>"(2, 3)"-style text for messages.</summary>
    public static string Format(IReadOnlyList<long> dims) => dims.Count == 1 ? $"({dims[0]},)" : $"({string.Join(", ", dims)})";
}
