using System;

namespace CrossModal.Tensors.Nn;

/// <summary>
/// What one causal <see cref="TransformerBlock"/> keeps between decoding steps of B sequences: the keys and values
/// (B, maxT, C) of every position run so far, and the step's activation buffers, so that a step allocates nothing.
/// Created by <see cref="TransformerBlock.CreateCache"/>; advanced by <see cref="TransformerBlock.Step"/>.
/// </summary>
public sealed class KeyValueCache
{
    private readonly IComputeBackend _backend;
    private readonly int _width;

    // Reordering gathers rows into the spare pair and swaps; the row views of both pairs are made once.
    private Tensor _keys;
    private Tensor _values;
    private Tensor _spareKeys;
    private Tensor _spareValues;
    private Tensor _keyRows;
    private Tensor _valueRows;
    private Tensor _spareKeyRows;
    private Tensor _spareValueRows;

    internal KeyValueCache(IComputeBackend backend, int batch, int maxTime, int width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTime);
        _backend = backend;
        _width = width;
        Batch = batch;
        MaxTime = maxTime;
        _keys = backend.Allocate(batch, maxTime, width);
        _values = backend.Allocate(batch, maxTime, width);
        _spareKeys = backend.Allocate(batch, maxTime, width);
        _spareValues = backend.Allocate(batch, maxTime, width);
        _keyRows = _keys.Reshape(batch, maxTime * width);
        _valueRows = _values.Reshape(batch, maxTime * width);
        _spareKeyRows = _spareKeys.Reshape(batch, maxTime * width);
        _spareValueRows = _spareValues.Reshape(batch, maxTime * width);
        Attended = backend.Allocate(batch, width);
        Residual = backend.Allocate(batch, width);
        Output = backend.Allocate(batch, width);
    }

    /// <summary>Number of sequences B.</summary>
    public int Batch { get; }

    /// <summary>Positions the cache can hold.</summary>
    public int MaxTime { get; }

    /// <summary>Positions run so far (the index of the next one).</summary>
    public int Position { get; private set; }

    /// <summary>(B, maxT, C) keys of positions [0, <see cref="Position"/>).</summary>
    public Tensor Keys => _keys;

    /// <summary>(B, maxT, C) values of positions [0, <see cref="Position"/>).</summary>
    public Tensor Values => _values;

    internal Tensor Attended { get; }

    internal Tensor Residual { get; }

    internal Tensor Output { get; }

    /// <summary>Forgets every position.</summary>
    public void Reset() => Position = 0;

    /// <summary>Positions of the teacher-forced sequence whose dropout masks the steps use (see <see cref="SetDropout"/>); 0 when off.</summary>
    public int DropoutSequenceTime { get; private set; }

    /// <summary>Leading rows that run with dropout (see <see cref="SetDropout"/>); 0 when off.</summary>
    public int DropoutRows { get; private set; }

    /// <summary>
    /// Makes <see cref="TransformerBlock.Step"/> apply the block's dropout to rows <c>[0, rows)</c>: at position t, row
    /// b takes the multipliers the block's next training-mode <see cref="TransformerBlock.Forward"/> over a (B'·T, C)
    /// batch with T = <paramref name="sequenceTime"/> draws for row <c>b·T + t</c>, so a later teacher-forced pass over
    /// the same sequences (row b first) runs with exactly the masks the decoding ran with. The other rows run without
    /// dropout (evaluation mode). <c>rows = 0</c> turns it off.
    /// </summary>
    /// <param name="sequenceTime">T of the teacher-forced pass, at least <see cref="MaxTime"/>.</param>
    /// <param name="rows">Leading rows with dropout, in [0, B].</param>
    public void SetDropout(int sequenceTime, int rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(rows, Batch);
        if (rows > 0)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(sequenceTime, MaxTime);
            if (DropoutMask is null)
            {
                DropoutMask = _backend.Allocate(Batch, _width);
                DropoutHostMask = new float[Batch * _width];
            }
        }

        DropoutSequenceTime = rows > 0 ? sequenceTime : 0;
        DropoutRows = rows;
    }

    internal Tensor? DropoutMask { get; private set; }

    internal float[]? DropoutHostMask { get; private set; }

    /// <summary>
    /// Reorders the sequences: sequence b takes the history of sequence <paramref name="sources"/>[b] (beam search keeps
    /// the histories of the surviving hypotheses). A row gather on the backend, through its embedding lookup.
    /// </summary>
    /// <param name="sources">(B) indices in [0, B).</param>
    public void Reorder(ReadOnlySpan<int> sources)
    {
        if (sources.Length != Batch)
        {
            throw new ArgumentException($"Expected {Batch} source indices but got {sources.Length}.", nameof(sources));
        }

        _backend.EmbeddingForward(_spareKeyRows, sources, _keyRows);
        _backend.EmbeddingForward(_spareValueRows, sources, _valueRows);
        (_keys, _spareKeys) = (_spareKeys, _keys);
        (_values, _spareValues) = (_spareValues, _values);
        (_keyRows, _spareKeyRows) = (_spareKeyRows, _keyRows);
        (_valueRows, _spareValueRows) = (_spareValueRows, _valueRows);
    }

    internal void CheckStep(Tensor input, int width)
    {
        if (width != _width)
        {
            throw new ArgumentException($"The cache holds width {_width} but the block's is {width}.", nameof(input));
        }

        if (Position >= MaxTime)
        {
            throw new InvalidOperationException($"The cache is full ({MaxTime} positions).");
        }

        if (input.Length != (long)Batch * width)
        {
            throw new ArgumentException($"Expected ({Batch}, {width}) input vectors but got {input}.", nameof(input));
        }
    }

    internal void Advance() => Position++;
}
