using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Language;

/// <summary>
/// The decoding state of a <see cref="TransformerLanguageModel"/> for B sequences decoded together: one
/// <see cref="KeyValueCache"/> per block (keys and values of every position run so far) plus the step's input and
/// logit buffers. Created by <see cref="TransformerLanguageModel.CreateCache"/>.
/// </summary>
public sealed class DecoderCache
{
    private readonly KeyValueCache[] _layers;
    private readonly Tensor[] _positionRows;

    internal DecoderCache(TransformerLanguageModel model, int batch, int maxTime)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        Model = model;
        Batch = batch;
        MaxTime = maxTime;
        var backend = model.Backend;
        var c = model.Options.Width;
        var blocks = model.Blocks.Blocks;
        _layers = new KeyValueCache[blocks.Count];
        for (var l = 0; l < _layers.Length; l++)
        {
            _layers[l] = blocks[l].CreateCache(batch, maxTime);
        }

        // One view per position of the position table, made here so that a step allocates nothing.
        _positionRows = new Tensor[maxTime];
        for (var t = 0; t < maxTime; t++)
        {
            _positionRows[t] = model.PositionEmbedding.Value.View((long)t * c, 1, c);
        }

        Input = backend.Allocate(batch, c);
        TokenInput = backend.Allocate(batch, c);
        Logits = backend.Allocate(batch, model.Options.VocabularySize);
    }

    /// <summary>The model this cache belongs to.</summary>
    public TransformerLanguageModel Model { get; }

    /// <summary>Number of sequences B.</summary>
    public int Batch { get; }

    /// <summary>Positions the cache can hold.</summary>
    public int MaxTime { get; }

    /// <summary>Positions run so far (the index of the next one).</summary>
    public int Position { get; private set; }

    /// <summary>The logits (B, V) of the last step.</summary>
    public Tensor Logits { get; }

    internal KeyValueCache[] Layers => _layers;

    internal Tensor Input { get; }

    internal Tensor TokenInput { get; }

    /// <summary>Forgets every position, so the cache can decode new sequences.</summary>
    public void Reset()
    {
        Position = 0;
        foreach (var layer in _layers)
        {
            layer.Reset();
        }
    }

    /// <summary>
    /// Runs rows <c>[0, rows)</c> of the following steps with the blocks' dropout, using the masks the model's next
    /// training-mode teacher-forced pass over a batch of T = <paramref name="sequenceTime"/> positions draws for those
    /// rows (see <see cref="KeyValueCache.SetDropout"/>); the other rows run in evaluation mode. <c>rows = 0</c> turns
    /// it off. Kept across <see cref="Reset"/>.
    /// </summary>
    /// <param name="sequenceTime">T of the teacher-forced pass (prefix included), at least <see cref="MaxTime"/>.</param>
    /// <param name="rows">Leading rows with dropout, in [0, B].</param>
    public void SetDropout(int sequenceTime, int rows)
    {
        foreach (var layer in _layers)
        {
            layer.SetDropout(sequenceTime, rows);
        }
    }

    /// <summary>
    /// Reorders the sequences: sequence b takes the cached history of sequence <paramref name="sources"/>[b] (beam search
    /// keeps the histories of the surviving hypotheses).
    /// </summary>
    /// <param name="sources">(B) indices in [0, B).</param>
    public void Reorder(ReadOnlySpan<int> sources)
    {
        if (sources.Length != Batch)
        {
            throw new ArgumentException($"Expected {Batch} source indices but got {sources.Length}.", nameof(sources));
        }

        foreach (var layer in _layers)
        {
            layer.Reorder(sources);
        }
    }

    internal Tensor PositionRow(int position) => _positionRows[position];

    internal void Advance() => Position++;
}
