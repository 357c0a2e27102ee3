using System;

namespace CrossModal.Tensors;

/// <summary>Argument checks every backend makes the same way (so all backends throw the same exceptions).</summary>
internal static class BackendChecks
{
    /// <summary>Checks the operands of <see cref="IComputeBackend.MatMul"/> and returns the GEMM sizes.</summary>
    public static (int Batch, int M, int N, int K, int ARows, int ACols, int BRows, int BCols) MatMul(Tensor c, Tensor a, bool transposeA, Tensor b, bool transposeB)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentNullException.ThrowIfNull(c);
        if (a.Rank != b.Rank || a.Rank != c.Rank || a.Rank is < 2 or > 3)
        {
            throw new ArgumentException($"MatMul needs operands of equal rank 2 or 3; got {a}, {b}, {c}.");
        }

        var batch = a.Rank == 3 ? a.Dim(0) : 1;
        if (a.Rank == 3 && (b.Dim(0) != batch || c.Dim(0) != batch))
        {
            throw new ArgumentException($"Batch sizes differ: {a}, {b}, {c}.");
        }

        int aRows = a.Dim(-2), aCols = a.Dim(-1), bRows = b.Dim(-2), bCols = b.Dim(-1);
        var m = transposeA ? aCols : aRows;
        var k = transposeA ? aRows : aCols;
        var kb = transposeB ? bCols : bRows;
        var n = transposeB ? bRows : bCols;
        if (k != kb || c.Dim(-2) != m || c.Dim(-1) != n)
        {
            throw new ArgumentException($"Shapes do not multiply: op(A) is {m}×{k}, op(B) is {kb}×{n}, C is {c.Dim(-2)}×{c.Dim(-1)}.");
        }

        return (batch, m, n, k, aRows, aCols, bRows, bCols);
    }

    /// <summary>The rows and columns of a rank-2 tensor; <see cref="ArgumentException"/> naming <paramref name="name"/> otherwise.</summary>
    public static (int Rows, int Columns) Matrix(Tensor tensor, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (tensor.Rank != 2)
        {
            throw new ArgumentException($"Expected a matrix but got {tensor}.", name);
        }

        return (tensor.Dim(0), tensor.Dim(1));
    }

    /// <summary>How many rows of <paramref name="columns"/> elements the tensor holds; <see cref="ArgumentException"/> when not whole.</summary>
    public static int Rows(Tensor tensor, int columns, string name)
    {
        ArgumentNullException.ThrowIfNull(tensor, name);
        if (columns <= 0 || tensor.Length % columns != 0)
        {
            throw new ArgumentException($"{tensor} does not hold whole rows of {columns} elements.", name);
        }

        return (int)(tensor.Length / columns);
    }

    /// <summary>The sizes of a convolution from its (B, C, H, W) input and (OC, C, k, k) weight; <see cref="ArgumentException"/> naming the operand otherwise.</summary>
    public static (int B, int C, int H, int W, int Oc, int K) ConvShape(Tensor input, Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(weight);
        if (input.Rank != 4)
        {
            throw new ArgumentException($"Expected a (B, C, H, W) input but got {input}.", nameof(input));
        }

        if (weight.Rank != 4 || weight.Dim(1) != input.Dim(1) || weight.Dim(2) != weight.Dim(3))
        {
            throw new ArgumentException($"Expected a (OC, {input.Dim(1)}, k, k) weight but got {weight}.", nameof(weight));
        }

        return (input.Dim(0), input.Dim(1), input.Dim(2), input.Dim(3), weight.Dim(0), weight.Dim(2));
    }

    /// <summary>The planes B·C and the sides of a (B, C, H, W) tensor; <see cref="ArgumentException"/> naming <paramref name="name"/> otherwise.</summary>
    public static (int Planes, int H, int W) Planes(Tensor input, string name)
    {
        ArgumentNullException.ThrowIfNull(input, name);
        if (input.Rank != 4)
        {
            throw new ArgumentException($"Expected a (B, C, H, W) tensor but got {input}.", name);
        }

        return (input.Dim(0) * input.Dim(1), input.Dim(2), input.Dim(3));
    }
}
