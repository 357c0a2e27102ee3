using System;

namespace CrossModal.Tensors.Nn;

/// <summary>
/// Multi-head self-attention with one packed Q|K|V projection, as GPT-2: <c>c_proj(SDPA(c_attn(x)))</c>. Causal for
/// decoders, bidirectional for encoders, with an optional key padding mask per call. Children: <c>c_attn</c>, <c>c_proj</c>.
/// </summary>
public sealed class MultiHeadAttention : Module
{
    private Tensor? _qkv;
    private Tensor? _y;
    private Tensor? _attention;
    private Tensor? _dQkv;
    private int _batch;
    private int _time;

    /// <summary>Creates the layer.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="width">C.</param>
    /// <param name="heads">NH, dividing C.</param>
    /// <param name="causal">True for a decoder (each position sees itself and earlier ones), false for bidirectional.</param>
    public MultiHeadAttention(IComputeBackend backend, int width, int heads, bool causal)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        if (width % heads != 0)
        {
            throw new ArgumentException($"The width {width} is not divisible by the head count {heads}.", nameof(heads));
        }

        Width = width;
        Heads = heads;
        Causal = causal;
        QkvProjection = AddModule("c_attn", new Linear(backend, width, 3 * width));
        OutputProjection = AddModule("c_proj", new Linear(backend, width, width));
    }

    /// <summary>C.</summary>
    public int Width { get; }

    /// <summary>NH.</summary>
    public int Heads { get; }

    /// <summary>Whether the mask is causal.</summary>
    public bool Causal { get; }

    /// <summary>C → 3C (Q | K | V).</summary>
    public Linear QkvProjection { get; }

    /// <summary>C → C.</summary>
    public Linear OutputProjection { get; }

    /// <summary>Forward pass.</summary>
    /// <param name="input">(B·T, C).</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="keyMask">(B·T) 1 = attend, 0 = padding; empty for none.</param>
    /// <returns>(B·T, C), owned by the layer.</returns>
    public Tensor Forward(Tensor input, int batch, int time, ReadOnlySpan<byte> keyMask = default)
    {
        var n = RowsOf(input, Width, nameof(input));
        if ((long)batch * time != n)
        {
            throw new ArgumentException($"{input} does not hold {batch}×{time} rows.", nameof(input));
        }

        _qkv = QkvProjection.Forward(input);
        _y = Buffer(_y, n, Width);
        _attention = Buffer(_attention, batch, Heads, time, time);
        Backend.AttentionForward(_y, _attention, _qkv, keyMask, Causal, batch, time, Heads);
        _batch = batch;
        _time = time;
        return OutputProjection.Forward(_y);
    }

    /// <summary>
    /// One cached decoding position of causal attention: projects <paramref name="input"/>, stores its keys and values
    /// in <paramref name="cache"/> at the cache's position and attends over every position so far.
    /// </summary>
    /// <param name="input">(B, C) the normalised vectors at the current position.</param>
    /// <param name="cache">The block's cache; its position is not advanced here.</param>
    /// <returns>(B, C), owned by the layer.</returns>
    internal Tensor Step(Tensor input, KeyValueCache cache)
    {
        var qkv = QkvProjection.Forward(input);
        Backend.CachedAttentionForward(cache.Attended, cache.Keys, cache.Values, qkv, cache.Position, Heads);
        return OutputProjection.Forward(cache.Attended);
    }

    /// <summary>Backward pass.</summary>
    /// <param name="dOutput">(B·T, C).</param>
    /// <returns>dInput (B·T, C), owned by the layer.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        var qkv = RequireForward(_qkv, nameof(MultiHeadAttention));
        var dy = OutputProjection.Backward(dOutput);
        _dQkv = Buffer(_dQkv, qkv.Shape);
        Backend.AttentionBackward(_dQkv, dy, qkv, _attention!, _batch, _time, Heads);
        return QkvProjection.Backward(_dQkv);
    }
}
