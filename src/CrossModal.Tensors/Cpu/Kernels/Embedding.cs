using System;
using System.Numerics.Tensors;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>
/// Embedding lookup, as <c>torch.nn.Embedding</c>: effectively computes <c>out[n, :] = table[ids[n], :]</c>; and the
/// learned position embedding of GPT-2 and CLIP's text tower, <c>out[b, t, :] += wpe[t, :]</c>.
/// The same row gather also pools hidden states at given positions (CLIP's end-of-text token).
/// </summary>
public static class Embedding
{
    /// <summary>Gathers rows of <paramref name="table"/>.</summary>
    /// <param name="output">(N, C) written.</param>
    /// <param name="ids">(N) row indices in [0, V).</param>
    /// <param name="table">(V, C).</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Width C.</param>
    /// <param name="v">Table rows V.</param>
    public static void Forward(Span<float> output, ReadOnlySpan<int> ids, ReadOnlySpan<float> table, int n, int c, int v)
    {
        KernelChecks.Length(output, (long)n * c, nameof(output));
        KernelChecks.Count(ids, n, nameof(ids));
        KernelChecks.Length(table, (long)v * c, nameof(table));
        for (var i = 0; i < n; i++)
        {
            var id = ids[i];
            if ((uint)id >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"ids[{i}] = {id} is outside [0, {v}).");
            }

            table.Slice(id * c, c).CopyTo(output.Slice(i * c, c));
        }
    }

    /// <summary>Backward pass: <c>dtable[ids[n], :] += dout[n, :]</c> (accumulated; repeated ids add up).</summary>
    /// <param name="dtable">(V, C) accumulated.</param>
    /// <param name="doutput">(N, C).</param>
    /// <param name="ids">(N) as given to the forward pass.</param>
    /// <param name="n">Rows N.</param>
    /// <param name="c">Width C.</param>
    /// <param name="v">Table rows V.</param>
    public static void Backward(Span<float> dtable, ReadOnlySpan<float> doutput, ReadOnlySpan<int> ids, int n, int c, int v)
    {
        KernelChecks.Length(dtable, (long)v * c, nameof(dtable));
        KernelChecks.Length(doutput, (long)n * c, nameof(doutput));
        KernelChecks.Count(ids, n, nameof(ids));
        for (var i = 0; i < n; i++)
        {
            var id = ids[i];
            if ((uint)id >= (uint)v)
            {
                throw new ArgumentOutOfRangeException(nameof(ids), $"ids[{i}] = {id} is outside [0, {v}).");
            }

            var row = dtable.Slice(id * c, c);
            TensorPrimitives.Add(row, doutput.Slice(i * c, c), row);
        }
    }

    /// <summary>Adds position embeddings in place: <c>x[b, t, :] += wpe[t, :]</c>.</summary>
    /// <param name="x">(B, T, C) updated in place.</param>
    /// <param name="positions">(maxT, C) with maxT ≥ T.</param>
    /// <param name="b">Batch B.</param>
    /// <param name="t">Sequence length T.</param>
    /// <param name="c">Width C.</param>
    public static void AddPositions(Span<float> x, ReadOnlySpan<float> positions, int b, int t, int c)
    {
        KernelChecks.Length(x, (long)b * t * c, nameof(x));
        if (positions.Length < (long)t * c)
        {
            throw new ArgumentException($"The position table holds {positions.Length / Math.Max(c, 1)} positions; {t} are needed.", nameof(positions));
        }

        var used = positions[..(t * c)];
        for (var i = 0; i < b; i++)
        {
            var row = x.Slice(i * t * c, t * c);
            TensorPrimitives.Add(row, used, row);
        }
    }

    /// <summary>Backward of <see cref="AddPositions"/>: <c>dwpe[t, :] += Σ_b dx[b, t, :]</c>.</summary>
    /// <param name="dpositions">(maxT, C) accumulated in its first T rows.</param>
    /// <param name="dx">(B, T, C).</param>
    /// <param name="b">Batch B.</param>
    /// <param name="t">Sequence length T.</param>
    /// <param name="c">Width C.</param>
    public static void AddPositionsBackward(Span<float> dpositions, ReadOnlySpan<float> dx, int b, int t, int c)
    {
        KernelChecks.Length(dx, (long)b * t * c, nameof(dx));
        if (dpositions.Length < (long)t * c)
        {
            throw new ArgumentException($"The position gradient holds {dpositions.Length / Math.Max(c, 1)} positions; {t} are needed.", nameof(dpositions));
        }

        var used = dpositions[..(t * c)];
        for (var i = 0; i < b; i++)
        {
            TensorPrimitives.Add(used, dx.Slice(i * t * c, t * c), used);
        }
    }
}
