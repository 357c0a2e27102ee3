using System;

namespace CrossModal.Tensors.Nn;

/// <summary>Shape of a <see cref="TransformerLanguageModel"/>.</summary>
public sealed class TransformerLanguageModelOptions
{
    /// <summary>Vocabulary size V.</summary>
    public int VocabularySize { get; set; }

    /// <summary>Maximum sequence length (positions).</summary>
    public int Context { get; set; }

    /// <summary>Width C.</summary>
    public int Width { get; set; }

    /// <summary>Number of blocks L.</summary>
    public int Layers { get; set; }

    /// <summary>Attention heads NH.</summary>
    public int Heads { get; set; }

    /// <summary>LayerNorm ε.</summary>
    /// <value>1e-5, as GPT-2.</value>
    public float LayerNormEpsilon { get; set; } = 1e-5f;

    /// <summary>Residual dropout.</summary>
    /// <value>0.</value>
    public float Dropout { get; set; }

    /// <summary>Targets equal to this are not scored.</summary>
    /// <value>−100, PyTorch's default.</value>
    public int IgnoreIndex { get; set; } = -100;

    /// <summary>Label smoothing ε of the loss.</summary>
    /// <value>0.</value>
    public float LabelSmoothing { get; set; }

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(VocabularySize, nameof(VocabularySize));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Context, nameof(Context));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Width, nameof(Width));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Layers, nameof(Layers));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(Heads, nameof(Heads));
    }
}

/// <summary>
/// A GPT-2-style decoder (Radford et al., 2019): token and learned position embeddings, a causal pre-LN
/// <see cref="TransformerStack"/>, a final LayerNorm and an LM head tied to the token embedding, trained with fused
/// softmax cross-entropy. Parameter names: <c>wte.weight</c>, <c>wpe.weight</c>, <c>h.{i}.…</c>, <c>ln_f.…</c>.
/// </summary>
public sealed class TransformerLanguageModel : Module
{
    private readonly Parameter _positions;
    private readonly int _ignoreIndex;
    private readonly float _labelSmoothing;
    private Tensor? _hidden;
    private Tensor? _logits;
    private Tensor? _losses;
    private Tensor? _logSumExp;
    private Tensor? _dHidden;
    private int[] _targets = [];
    private int _batch;
    private int _time;
    private bool _lossReady;

    /// <summary>Creates the model; call <see cref="Module.ResetParameters"/> or load weights next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="options">Its shape.</param>
    public TransformerLanguageModel(IComputeBackend backend, TransformerLanguageModelOptions options)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        _ignoreIndex = options.IgnoreIndex;
        _labelSmoothing = options.LabelSmoothing;
        TokenEmbedding = AddModule("wte", new Embedding(backend, options.VocabularySize, options.Width));
        var wpe = AddModule("wpe", new Embedding(backend, options.Context, options.Width));
        _positions = wpe.Weight;
        Blocks = AddModule("h", new TransformerStack(backend, options.Layers, new TransformerBlockOptions
        {
            Width = options.Width,
            Heads = options.Heads,
            Causal = true,
            Activation = Activation.Gelu,
            LayerNormEpsilon = options.LayerNormEpsilon,
            Dropout = options.Dropout,
        }));
        FinalNorm = AddModule("ln_f", new LayerNorm(backend, options.Width, options.LayerNormEpsilon));
    }

    /// <summary>The shape it was built with.</summary>
    public TransformerLanguageModelOptions Options { get; }

    /// <summary>Token embedding, also the LM head.</summary>
    public Embedding TokenEmbedding { get; }

    /// <summary>The transformer blocks.</summary>
    public TransformerStack Blocks { get; }

    /// <summary>Final LayerNorm.</summary>
    public LayerNorm FinalNorm { get; }

    /// <summary>Forward pass to logits.</summary>
    /// <param name="tokens">(B·T) token ids.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T ≤ context.</param>
    /// <returns>Logits (B·T, V), owned by the model and overwritten by <see cref="Backward"/>.</returns>
    public Tensor Forward(ReadOnlySpan<int> tokens, int batch, int time)
    {
        if (time <= 0 || time > Options.Context || batch <= 0 || tokens.Length != (long)batch * time)
        {
            throw new ArgumentException($"Expected {batch}×{time} tokens with 0 < T ≤ {Options.Context}; got {tokens.Length}.", nameof(tokens));
        }

        var x = TokenEmbedding.Forward(tokens);
        Backend.AddPositionEmbedding(x, _positions.Value, batch, time);
        _hidden = FinalNorm.Forward(Blocks.Forward(x, batch, time));
        _logits = Buffer(_logits, tokens.Length, Options.VocabularySize);
        Backend.LinearForward(_logits, _hidden, TokenEmbedding.Weight.Value, null);
        _batch = batch;
        _time = time;
        _lossReady = false;
        return _logits;
    }

    /// <summary>Forward pass and mean cross-entropy of next-token <paramref name="targets"/>.</summary>
    /// <param name="tokens">(B·T) inputs.</param>
    /// <param name="targets">(B·T) targets; <see cref="TransformerLanguageModelOptions.IgnoreIndex"/> skips a position.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <returns>The mean loss.</returns>
    public float ForwardLoss(ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, int batch, int time)
    {
        var logits = Forward(tokens, batch, time);
        if (targets.Length != tokens.Length)
        {
            throw new ArgumentException($"Expected {tokens.Length} targets but got {targets.Length}.", nameof(targets));
        }

        if (_targets.Length < targets.Length)
        {
            _targets = new int[targets.Length];
        }

        targets.CopyTo(_targets);
        _losses = Buffer(_losses, targets.Length);
        _logSumExp = Buffer(_logSumExp, targets.Length);
        var loss = Backend.CrossEntropyForward(_losses, _logSumExp, logits, targets, _ignoreIndex, _labelSmoothing);
        _lossReady = true;
        return loss;
    }

    /// <summary>Backward pass of the last <see cref="ForwardLoss"/>: accumulates every parameter gradient (overwrites the logits).</summary>
    public void Backward()
    {
        if (!_lossReady)
        {
            throw new InvalidOperationException("TransformerLanguageModel.Backward needs a ForwardLoss first.");
        }

        var n = _batch * _time;
        var logits = _logits!;
        var targets = _targets.AsSpan(0, n);
        Backend.CrossEntropyBackward(logits, logits, _logSumExp!, targets, _ignoreIndex, _labelSmoothing, 1f);
        _dHidden = Buffer(_dHidden, n, Options.Width);
        Backend.LinearBackward(_dHidden, TokenEmbedding.Weight.Gradient, null, logits, _hidden!, TokenEmbedding.Weight.Value);
        var dx = Blocks.Backward(FinalNorm.Backward(_dHidden));
        Backend.AddPositionEmbeddingBackward(_positions.Gradient, dx, _batch, _time);
        TokenEmbedding.Backward(dx);
        _lossReady = false;
    }
}
