using System;
using CrossModal.Tensors;

namespace CrossModal.Models.Captioning;

/// <summary>
/// The key/value cache of a <see cref="Gpt2Decoder"/> for B sequences decoded together: per layer, keys and values
/// (B, maxT, C) of every position run so far, plus the step's activation buffers. Created by
/// <see cref="Gpt2Decoder.CreateCache"/>.
/// </summary>
public sealed class DecoderCache
{
    private readonly Tensor[] _keys;
    private readonly Tensor[] _values;
    private readonly Tensor?[] _spareKeys;
    private readonly Tensor?[] _spareValues;

    internal DecoderCache(Gpt2Decoder decoder, int batch, int maxTime)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        Decoder = decoder;
        Batch = batch;
        MaxTime = maxTime;
        var backend = decoder.Backend;
        var c = decoder.Width;
        var layers = decoder.Options.Layers;
        _keys = new Tensor[layers];
        _values = new Tensor[layers];
        _spareKeys = new Tensor?[layers];
        _spareValues = new Tensor?[layers];
        for (var l = 0; l < layers; l++)
        {
            _keys[l] = backend.Allocate(batch, maxTime, c);
            _values[l] = backend.Allocate(batch, maxTime, c);
        }

        Input = backend.Allocate(batch, c);
        TokenInput = backend.Allocate(batch, c);
        Attended = backend.Allocate(batch, c);
        Residual = backend.Allocate(batch, c);
        Logits = backend.Allocate(batch, decoder.Options.VocabularySize);
    }

    /// <summary>The decoder this cache belongs to.</summary>
    public Gpt2Decoder Decoder { get; }

    /// <summary>Number of sequences B.</summary>
    public int Batch { get; }

    /// <summary>Positions the cache can hold.</summary>
    public int MaxTime { get; }

    /// <summary>Positions run so far (the index of the next one).</summary>
    public int Position { get; private set; }

    /// <summary>The logits (B, V) of the last step.</summary>
    public Tensor Logits { get; }

    internal Tensor[] Keys => _keys;

    internal Tensor[] Values => _values;

    internal Tensor Input { get; }

    internal Tensor TokenInput { get; }

    internal Tensor Attended { get; }

    internal Tensor Residual { get; }

    /// <summary>Forgets every position, so the cache can decode new sequences.</summary>
    public void Reset() => Position = 0;

    /// <summary>
    /// Reorders the sequences: sequence b takes the cached history of sequence <paramref name="sources"/>[b] (beam search
    /// keeps the histories of the surviving hypotheses). A row gather on the backend, through its embedding lookup.
    /// </summary>
    /// <param name="sources">(B) indices in [0, B).</param>
    public void Reorder(ReadOnlySpan<int> sources)
    {
        if (sources.Length != Batch)
        {
            throw new ArgumentException($"Expected {Batch} source indices but got {sources.Length}.", nameof(sources));
        }

        var backend = Decoder.Backend;
        var rowLength = MaxTime * Decoder.Width;
        for (var l = 0; l < _keys.Length; l++)
        {
            _spareKeys[l] ??= backend.Allocate(Batch, MaxTime, Decoder.Width);
            _spareValues[l] ??= backend.Allocate(Batch, MaxTime, Decoder.Width);
            var keys = _spareKeys[l]!;
            var values = _spareValues[l]!;
            backend.EmbeddingForward(keys.Reshape(Batch, rowLength), sources, _keys[l].Reshape(Batch, rowLength));
            backend.EmbeddingForward(values.Reshape(Batch, rowLength), sources, _values[l].Reshape(Batch, rowLength));
            (_keys[l], _spareKeys[l]) = (keys, _keys[l]);
            (_values[l], _spareValues[l]) = (values, _values[l]);
        }
    }

    internal void Advance() => Position++;
}
