using System;

namespace CrossModal.Tensors.Nn;

/// <summary>Options of a pre-LayerNorm transformer block.</summary>
public sealed class TransformerBlockOptions
{
    /// <summary>Model width C.</summary>
    public int Width { get; set; }

    /// <summary>Attention heads NH.</summary>
    public int Heads { get; set; }

    /// <summary>MLP hidden width.</summary>
    /// <value>0 means 4C.</value>
    public int MlpHidden { get; set; }

    /// <summary>MLP activation.</summary>
    /// <value><see cref="Activation.Gelu"/> (GPT-2); OpenAI CLIP uses <see cref="Activation.QuickGelu"/>.</value>
    public Activation Activation { get; set; } = Activation.Gelu;

    /// <summary>Causal (decoder) or bidirectional (encoder) attention.</summary>
    /// <value>True.</value>
    public bool Causal { get; set; } = true;

    /// <summary>LayerNorm ε.</summary>
    /// <value>1e-5.</value>
    public float LayerNormEpsilon { get; set; } = 1e-5f;

    /// <summary>Dropout probability on both residual branches.</summary>
    /// <value>0.</value>
    public float Dropout { get; set; }

    /// <summary>Seed of the dropout masks.</summary>
    /// <value>0.</value>
    public ulong DropoutSeed { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Width, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Heads, nameof(Heads));
        ArgumentOutOfRangeException.ThrowIfNegative(MlpHidden, nameof(MlpHidden));
    }
}

/// <summary>
/// Pre-LayerNorm transformer block (GPT-2, CLIP): <c>x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))</c>.
/// Children: <c>ln_1</c>, <c>attn</c>, <c>ln_2</c>, <c>mlp</c>.
/// </summary>
public sealed class TransformerBlock : Module
{
    private readonly Dropout _attentionDropout;
    private readonly Dropout _mlpDropout;
    private Tensor? _residual;
    private Tensor? _output;
    private Tensor? _dResidual;
    private Tensor? _dInput;

    /// <summary>Creates the block.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="options">Its shape and behaviour.</param>
    public TransformerBlock(IComputeBackend backend, TransformerBlockOptions options)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Width = options.Width;
        Norm1 = AddModule("ln_1", new LayerNorm(backend, options.Width, options.LayerNormEpsilon));
        Attention = AddModule("attn", new MultiHeadAttention(backend, options.Width, options.Heads, options.Causal));
        Norm2 = AddModule("ln_2", new LayerNorm(backend, options.Width, options.LayerNormEpsilon));
        Mlp = AddModule("mlp", new Mlp(backend, options.Width, options.MlpHidden == 0 ? 4 * options.Width : options.MlpHidden, options.Activation));
        _attentionDropout = AddModule("attn_dropout", new Dropout(backend, options.Dropout, options.DropoutSeed * 2));
        _mlpDropout = AddModule("mlp_dropout", new Dropout(backend, options.Dropout, (options.DropoutSeed * 2) + 1));
    }

    /// <summary>C.</summary>
    public int Width { get; }

    /// <summary>LayerNorm before attention.</summary>
    public LayerNorm Norm1 { get; }

    /// <summary>Self-attention.</summary>
    public MultiHeadAttention Attention { get; }

    /// <summary>LayerNorm before the MLP.</summary>
    public LayerNorm Norm2 { get; }

    /// <summary>Feed-forward block.</summary>
    public Mlp Mlp { get; }

    /// <summary>Forward pass.</summary>
    /// <param name="input">(B·T, C); kept until <see cref="Backward"/>.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="keyMask">(B·T) 1 = attend, 0 = padding; empty for none.</param>
    /// <returns>(B·T, C), owned by the block.</returns>
    public Tensor Forward(Tensor input, int batch, int time, ReadOnlySpan<byte> keyMask = default)
    {
        var n = RowsOf(input, Width, nameof(input));
        var a = _attentionDropout.Forward(Attention.Forward(Norm1.Forward(input), batch, time, keyMask));
        _residual = Buffer(_residual, n, Width);
        Backend.Add(destination: _residual, x: input, y: a);
        var m = _mlpDropout.Forward(Mlp.Forward(Norm2.Forward(_residual)));
        _output = Buffer(_output, n, Width);
        Backend.Add(destination: _output, x: _residual, y: m);
        return _output;
    }

    /// <summary>A key/value cache for decoding <paramref name="batch"/> sequences of up to <paramref name="maxTime"/> positions with <see cref="Step"/>.</summary>
    /// <param name="batch">B.</param>
    /// <param name="maxTime">Positions the cache holds.</param>
    /// <exception cref="InvalidOperationException">The block's attention is not causal (a later position would change earlier outputs).</exception>
    public KeyValueCache CreateCache(int batch, int maxTime)
    {
        if (!Attention.Causal)
        {
            throw new InvalidOperationException("Only a causal block can decode incrementally.");
        }

        return new KeyValueCache(Backend, batch, maxTime, Width);
    }

    /// <summary>
    /// Runs the block on one new position of each of B sequences given the history in <paramref name="cache"/>: the
    /// same arithmetic as <see cref="Forward"/> on the whole sequence (in evaluation mode), restricted to the last row.
    /// Advances the cache by one position. The step's activations reuse the cache's and the layers' buffers.
    /// </summary>
    /// <param name="input">(B, C) the vectors at the cache's position.</param>
    /// <param name="cache">From <see cref="CreateCache"/> of this block.</param>
    /// <returns>(B, C), owned by the cache.</returns>
    public Tensor Step(Tensor input, KeyValueCache cache)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(cache);
        cache.CheckStep(input, Width);
        var a = Attention.Step(Norm1.Forward(input), cache);
        StepDropout(a, _attentionDropout, cache);
        Backend.Add(x: input, y: a, destination: cache.Residual);
        var m = Mlp.Forward(Norm2.Forward(cache.Residual));
        StepDropout(m, _mlpDropout, cache);
        Backend.Add(x: cache.Residual, y: m, destination: cache.Output);
        cache.Advance();
        return cache.Output;
    }

    // Multiplies the step's (B, C) branch output in place by the rows of the dropout layer's next mask that the
    // cache's teacher-forced layout assigns to this position (see KeyValueCache.SetDropout); rows past DropoutRows
    // keep multiplier 1.
    private void StepDropout(Tensor branch, Dropout dropout, KeyValueCache cache)
    {
        if (cache.DropoutRows == 0 || dropout.Probability == 0f)
        {
            return;
        }

        var host = cache.DropoutHostMask!;
        var c = Width;
        for (var b = 0; b < cache.DropoutRows; b++)
        {
            dropout.WriteNextMask(host.AsSpan(b * c, c), (((long)b * cache.DropoutSequenceTime) + cache.Position) * c);
        }

        host.AsSpan(cache.DropoutRows * c, (cache.Batch - cache.DropoutRows) * c).Fill(1f);
        Backend.Upload(cache.DropoutMask!, host);
        Backend.DropoutBackward(branch, branch, cache.DropoutMask!);
    }

    /// <summary>Backward pass.</summary>
    /// <param name="dOutput">(B·T, C).</param>
    /// <returns>dInput (B·T, C), owned by the block.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        var residual = RequireForward(_residual, nameof(TransformerBlock));
        var dNorm2 = Norm2.Backward(Mlp.Backward(_mlpDropout.Backward(dOutput)));
        _dResidual = Buffer(_dResidual, residual.Shape);
        Backend.Add(destination: _dResidual, x: dNorm2, y: dOutput);
        var dNorm1 = Norm1.Backward(Attention.Backward(_attentionDropout.Backward(_dResidual)));
        _dInput = Buffer(_dInput, residual.Shape);
        Backend.Add(destination: _dInput, x: dNorm1, y: _dResidual);
        return _dInput;
    }
}
