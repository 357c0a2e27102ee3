using ILGPU;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>Whole-tensor sums, accumulated in double: each group writes one partial, the host adds the partials.</summary>
internal static class ReductionKernels
{
    /// <summary>What <see cref="Partials"/> sums.</summary>
    public const int SumKind = 0;

    /// <summary>Σ x².</summary>
    public const int SumOfSquaresKind = 1;

    /// <summary>Σ x·y.</summary>
    public const int DotKind = 2;

    /// <summary>Largest group this kernel supports (the shared tree's size).</summary>
    public const int MaxGroupSize = 1024;

    /// <summary>Grid-stride partial sums, one per group; groups are a power of two in size.</summary>
    /// <param name="partials">(groups) written.</param>
    /// <param name="x">(n) the values.</param>
    /// <param name="y">(n) the second factor of <see cref="DotKind"/>; ignored otherwise.</param>
    /// <param name="kind"><see cref="SumKind"/>, <see cref="SumOfSquaresKind"/> or <see cref="DotKind"/>.</param>
    public static void Partials(ArrayView<double> partials, ArrayView<float> x, ArrayView<float> y, int kind)
    {
        var tree = SharedMemory.Allocate<double>(MaxGroupSize);
        var n = x.IntLength;
        double total = 0;
        for (var i = Grid.GlobalIndex.X; i < n; i += Grid.DimX * Group.DimX)
        {
            double v = x[i];
            total += kind == SumOfSquaresKind ? v * v : kind == DotKind ? v * y[i] : v;
        }

        var tid = Group.IdxX;
        tree[tid] = total;
        Group.Barrier();
        for (var stride = Group.DimX / 2; stride > 0; stride /= 2)
        {
            if (tid < stride)
            {
                tree[tid] += tree[tid + stride];
            }

            Group.Barrier();
        }

        if (tid == 0)
        {
            partials[Grid.IdxX] = tree[0];
        }
    }
}
