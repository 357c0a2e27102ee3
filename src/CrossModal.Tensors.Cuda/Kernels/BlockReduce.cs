using ILGPU;
using ILGPU.Algorithms;

namespace CrossModal.Tensors.Cuda.Kernels;

/// <summary>
/// Group-wide reductions for row kernels (one group per row): a butterfly of warp shuffles inside each warp, one
/// partial per warp in shared memory, then one more warp butterfly (the two-level scheme of llm.c's CUDA kernels).
/// Every thread of the group receives the result. Groups must be a whole number of warps.
/// </summary>
internal static class BlockReduce
{
    /// <summary>Most warps a group holds (1,024 threads of 32 lanes); the size of the shared scratch.</summary>
    public const int MaxWarps = 32;

    /// <summary>Σ over the warp, in every lane.</summary>
    public static float WarpSum(float value)
    {
        for (var offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            value += Warp.ShuffleXor(value, offset);
        }

        return value;
    }

    /// <summary>max over the warp, in every lane.</summary>
    public static float WarpMax(float value)
    {
        for (var offset = Warp.WarpSize / 2; offset > 0; offset /= 2)
        {
            value = XMath.Max(value, Warp.ShuffleXor(value, offset));
        }

        return value;
    }

    /// <summary>Σ over the group, in every thread.</summary>
    /// <param name="value">This thread's partial sum.</param>
    /// <param name="scratch">(MaxWarps) shared memory of the calling kernel.</param>
    public static float Sum(float value, ArrayView<float> scratch)
    {
        value = WarpSum(value);
        if (Warp.LaneIdx == 0)
        {
            scratch[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        var warps = Group.DimX / Warp.WarpSize;
        var total = Warp.LaneIdx < warps ? scratch[Warp.LaneIdx] : 0f;
        total = WarpSum(total);

        // The scratch may be reused by the next reduction only after every warp has read it.
        Group.Barrier();
        return total;
    }

    /// <summary>max over the group, in every thread.</summary>
    /// <param name="value">This thread's partial maximum (−∞ when it saw nothing).</param>
    /// <param name="scratch">(MaxWarps) shared memory of the calling kernel.</param>
    public static float Max(float value, ArrayView<float> scratch)
    {
        value = WarpMax(value);
        if (Warp.LaneIdx == 0)
        {
            scratch[Warp.WarpIdx] = value;
        }

        Group.Barrier();
        var warps = Group.DimX / Warp.WarpSize;
        var total = Warp.LaneIdx < warps ? scratch[Warp.LaneIdx] : float.NegativeInfinity;
        total = WarpMax(total);
        Group.Barrier();
        return total;
    }

    /// <summary>
    /// Softmax of a row whose maximum the group has already reduced: writes <c>exp(x − max)/Σ exp(x − max)</c> of
    /// <c>source[start..start+count)</c> to the same places of <paramref name="destination"/> (which may be the source).
    /// Every thread of the group must call it; it ends with a barrier, so afterwards every thread sees the whole row.
    /// </summary>
    /// <param name="destination">Written at [start, start + count).</param>
    /// <param name="source">Read at [start, start + count).</param>
    /// <param name="scratch">(MaxWarps) shared memory of the calling kernel.</param>
    public static void Softmax(ArrayView<float> destination, ArrayView<float> source, long start, int count, float max, ArrayView<float> scratch)
    {
        var sum = 0f;
        for (var k = Group.IdxX; k < count; k += Group.DimX)
        {
            var e = XMath.Exp(source[start + k] - max);
            destination[start + k] = e;
            sum += e;
        }

        var inverse = 1f / Sum(sum, scratch);
        for (var k = Group.IdxX; k < count; k += Group.DimX)
        {
            destination[start + k] *= inverse;
        }

        Group.Barrier();
    }
}
