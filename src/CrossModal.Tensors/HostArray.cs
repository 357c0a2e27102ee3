using System;

namespace CrossModal.Tensors;

/// <summary>
/// A float32 array in host memory with a shape: row-major (C order), contiguous, the last dimension varying fastest.
/// It is what the <c>.npy</c> and safetensors readers return and writers take, and what is copied into a
/// <see cref="Tensor"/> with <see cref="Tensor.CopyFrom"/>.
/// </summary>
/// <param name="Shape">The dimensions, outermost first; empty for a 0-d scalar. Every dimension is ≥ 0.</param>
/// <param name="Data">The values in row-major order; its length equals the product of <paramref name="Shape"/>
/// (1 for a 0-d scalar).</param>
/// <remarks>
/// Equality is the record's default: two instances are equal when they hold the same array references, not when
/// their values are equal.
/// </remarks>
public sealed record HostArray(int[] Shape, float[] Data)
{
    /// <summary>The dimensions, outermost first; empty for a 0-d scalar.</summary>
    public int[] Shape { get; } = Validate(Shape, Data);

    /// <summary>The values in row-major order.</summary>
    public float[] Data { get; } = Data;

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Length;

    /// <summary>Re-checks the invariant before the array is written, in case a caller changed the (mutable) shape
    /// array after construction.</summary>
    internal void EnsureConsistent() => Validate(Shape, Data);

    /// <summary>Checks that <paramref name="shape"/> has no negative dimension and that its product equals the
    /// length of <paramref name="data"/>.</summary>
    private static int[] Validate(int[] shape, float[] data)
    {
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long count = 1;
        for (var i = 0; i < shape.Length; i++)
        {
            if (shape[i] < 0)
            {
                throw new ArgumentException($"Dimension {i} of the shape is {shape[i]}; dimensions must be ≥ 0.", nameof(shape));
            }

            // Once the running product exceeds any array length it can only stay larger (or become 0).
            count = Math.Min(count * shape[i], (long)int.MaxValue + 1);
        }

        if (count != data.Length)
        {
            var holds = count > int.MaxValue ? $"more than {int.MaxValue}" : count.ToString(System.Globalization.CultureInfo.InvariantCulture);
            throw new ArgumentException(
                $"The shape ({string.Join(", ", shape)}) holds {holds} elements but the data has {data.Length}.", nameof(data));
        }

        return shape;
    }
}
