using System;

namespace CrossModal.Tensors;

/// <summary>
/// A float32, row-major, contiguous tensor owned by an <see cref="IComputeBackend"/>. Its values live wherever the
/// backend keeps them (managed memory for the CPU backend, device memory for a GPU backend); read and write them
/// only through <see cref="CopyFrom"/>, <see cref="CopyTo"/> and backend operations.
/// </summary>
/// <remarks>
/// A tensor may be a view: a contiguous window <c>[Offset, Offset + Length)</c> of a larger storage, so that, as in
/// llm.c, all parameters (or all activations) of a model can be views into one allocation.
/// </remarks>
public sealed class Tensor
{
    private readonly int[] _shape;

    internal Tensor(IComputeBackend backend, TensorStorage storage, long offset, int[] shape)
    {
        Backend = backend;
        Storage = storage;
        Offset = offset;
        _shape = shape;
        Length = TensorShape.ElementCount(shape);
        if (offset < 0 || offset + Length > storage.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"A view of {Length} elements at offset {offset} exceeds its storage of {storage.Length} elements.");
        }
    }

    /// <summary>The backend that owns the storage and runs operations on it.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>The backend-specific storage this tensor is a window of.</summary>
    public TensorStorage Storage { get; }

    /// <summary>Element offset of this tensor in <see cref="Storage"/>.</summary>
    public long Offset { get; }

    /// <summary>Number of elements (product of the shape).</summary>
    public long Length { get; }

    /// <summary>The dimensions, outermost first.</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    /// <param name="axis">Axis index; -1 is the last.</param>
    public int Dim(int axis) => _shape[axis < 0 ? _shape.Length + axis : axis];

    /// <summary>A contiguous view of <paramref name="shape"/> starting <paramref name="offset"/> elements into this tensor.</summary>
    /// <param name="offset">Element offset relative to this tensor.</param>
    /// <param name="shape">Shape of the view; its element count plus the offset must fit in this tensor.</param>
    public Tensor View(long offset, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        var count = TensorShape.ElementCount(shape);
        if (offset < 0 || offset + count > Length)
        {
            throw new ArgumentOutOfRangeException(nameof(offset), $"A view of {count} elements at offset {offset} exceeds the tensor's {Length} elements.");
        }

        return new Tensor(Backend, Storage, Offset + offset, (int[])shape.Clone());
    }

    /// <summary>The same elements under another shape with the same element count.</summary>
    /// <param name="shape">The new shape.</param>
    public Tensor Reshape(params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        if (TensorShape.ElementCount(shape) != Length)
        {
            throw new ArgumentException($"Cannot reshape {TensorShape.Format(_shape)} ({Length} elements) to {TensorShape.Format(shape)}.", nameof(shape));
        }

        return new Tensor(Backend, Storage, Offset, (int[])shape.Clone());
    }

    /// <summary>Copies host values into this tensor (length must match).</summary>
    /// <param name="source">Exactly <see cref="Length"/> values, row-major.</param>
    public void CopyFrom(ReadOnlySpan<float> source) => Backend.Upload(this, source);

    /// <summary>Copies this tensor's values to host memory (length must match).</summary>
    /// <param name="destination">Exactly <see cref="Length"/> values.</param>
    public void CopyTo(Span<float> destination) => Backend.Download(destination, this);

    /// <summary>A new host array holding this tensor's values.</summary>
    public float[] ToArray()
    {
        var result = new float[Length];
        CopyTo(result);
        return result;
    }

    /// <inheritdoc />
    public override string ToString() => $"Tensor{TensorShape.Format(_shape)} on {Backend.Name}";
}

/// <summary>Backend-specific memory holding tensor elements.</summary>
public abstract class TensorStorage : IDisposable
{
    /// <summary>Creates storage of <paramref name="length"/> elements.</summary>
    /// <param name="length">Element count.</param>
    protected TensorStorage(long length) => Length = length;

    /// <summary>Number of float32 elements.</summary>
    public long Length { get; }

    /// <summary>
    /// Whole-storage views (offset 0) of the shapes a module's reused buffer last took (see <c>Module.Buffer</c>), so a
    /// buffer that alternates between a few shapes (a decoding step's rows, then a training batch's) makes each view once.
    /// </summary>
    internal Tensor?[]? ShapeViews { get; set; }

    /// <summary>The slot of <see cref="ShapeViews"/> the next new shape replaces.</summary>
    internal int ShapeViewNext { get; set; }

    /// <summary>Releases backend memory (device memory for GPU backends; a no-op for managed memory).</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    /// <param name="disposing">True when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }
}

/// <summary>Shape helpers.</summary>
public static class TensorShape
{
    /// <summary>Product of the dimensions; throws on a negative dimension or overflow.</summary>
    /// <param name="shape">The dimensions.</param>
    public static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {Format(shape)} has a negative dimension.", nameof(shape));
            }

            count = checked(count * d);
        }

        return count;
    }

    /// <summary>Formats a shape as <c>[2, 3, 4]</c>.</summary>
    /// <param name="shape">The dimensions.</param>
    public static string Format(ReadOnlySpan<int> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
        {
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return "[" + string.Join(", ", parts) + "]";
    }
}
