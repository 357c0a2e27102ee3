using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Language;

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
/// The GPT-2 body (Radford et al., 2019): token and learned position embeddings, a causal pre-LN
/// <see cref="TransformerStack"/>, a final LayerNorm and an LM head tied to the token embedding, trained with fused
/// softmax cross-entropy. Parameter names are Hugging Face <c>GPT2Model</c>'s: <c>wte.weight</c>, <c>wpe.weight</c>,
/// <c>h.{i}.…</c>, <c>ln_f.…</c>. It reads either token ids (<see cref="Forward(ReadOnlySpan{int}, int, int)"/>) or input
/// embeddings (<see cref="ForwardEmbeddings"/>, Hugging Face's <c>inputs_embeds</c>, which a prefix captioner fills
/// with mapped prefix vectors followed by token embeddings), and decodes one position at a time with a key/value cache
/// (<see cref="Step(DecoderCache, Tensor)"/>). It is the only GPT-2 implementation; <c>Gpt2Decoder</c> wraps it.
/// </summary>
/// <remarks>Buffers are allocated once per shape and reused, so a training step in steady state allocates nothing.</remarks>
public sealed class TransformerLanguageModel : Module
{
    private readonly Parameter _positions;
    private Tensor? _input;
    private Tensor? _hidden;
    private Tensor? _logits;
    private Tensor? _losses;
    private Tensor? _logSumExp;
    private Tensor? _dHidden;
    private int[] _targets = [];
    private int _batch;
    private int _time;
    private bool _fromTokens;
    private bool _lossReady;
    private int _ignoreIndex;
    private float _labelSmoothing;
    private float[] _rowWeights = [];
    private bool _weighted;

    /// <summary>Creates the model; call <see cref="Module.ResetParameters"/> or load weights next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="options">Its shape.</param>
    public TransformerLanguageModel(IComputeBackend backend, TransformerLanguageModelOptions options)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
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

    /// <summary>Learned position embedding (context, C).</summary>
    public Parameter PositionEmbedding => _positions;

    /// <summary>The transformer blocks.</summary>
    public TransformerStack Blocks { get; }

    /// <summary>Final LayerNorm.</summary>
    public LayerNorm FinalNorm { get; }

    /// <summary>
    /// The gradient with respect to the input embeddings from the last <see cref="Backward"/>: (B·T, C), owned by the
    /// model (the first block's buffer) and valid until the next call.
    /// </summary>
    public Tensor? InputGradient { get; private set; }

    /// <summary>(B·T) per-position unweighted losses −log p(target) of the last loss computed (0 on ignored positions), or null.</summary>
    public Tensor? PositionLosses => _losses;

    /// <summary>Forward pass to logits.</summary>
    /// <param name="tokens">(B·T) token ids in [0, V).</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T ≤ context.</param>
    /// <returns>Logits (B·T, V), owned by the model and overwritten by <see cref="Backward"/>.</returns>
    public Tensor Forward(ReadOnlySpan<int> tokens, int batch, int time)
    {
        CheckShape(batch, time);
        if (tokens.Length != (long)batch * time)
        {
            throw new ArgumentException($"Expected {batch}×{time} tokens with 0 < T ≤ {Options.Context}; got {tokens.Length}.", nameof(tokens));
        }

        CheckTokens(tokens, nameof(tokens));

        // The embedding's output is the model's own buffer, so the positions are added in place.
        var x = TokenEmbedding.Forward(tokens);
        Body(x, batch, time, fromTokens: true);
        return _logits!;
    }

    /// <summary>Forward pass from input embeddings (Hugging Face's <c>inputs_embeds</c>): positions are added to a copy.</summary>
    /// <param name="inputEmbeddings">(B·T, C); not modified.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T ≤ context.</param>
    /// <returns>Logits (B·T, V), owned by the model and overwritten by <see cref="Backward"/>.</returns>
    public Tensor ForwardEmbeddings(Tensor inputEmbeddings, int batch, int time)
    {
        ArgumentNullException.ThrowIfNull(inputEmbeddings);
        CheckShape(batch, time);
        if (inputEmbeddings.Length != (long)batch * time * Options.Width)
        {
            throw new ArgumentException($"Expected ({batch}·{time}, {Options.Width}) input embeddings but got {inputEmbeddings}.", nameof(inputEmbeddings));
        }

        _input = Buffer(_input, batch * time, Options.Width);
        Backend.Copy(source: inputEmbeddings, destination: _input);
        Body(_input, batch, time, fromTokens: false);
        return _logits!;
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
        return Loss(logits, targets, Options.IgnoreIndex, Options.LabelSmoothing);
    }

    /// <summary>Forward pass from input embeddings and mean cross-entropy over the positions whose target is not <paramref name="ignoreIndex"/>.</summary>
    /// <param name="inputEmbeddings">(B·T, C).</param>
    /// <param name="targets">(B·T) next-element targets.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="ignoreIndex">The target value that is not scored (never a real token id).</param>
    /// <param name="labelSmoothing">ε of label smoothing in [0, 1).</param>
    /// <returns>The mean loss over scored positions.</returns>
    public float ForwardEmbeddingsLoss(Tensor inputEmbeddings, ReadOnlySpan<int> targets, int batch, int time, int ignoreIndex, float labelSmoothing)
    {
        var logits = ForwardEmbeddings(inputEmbeddings, batch, time);
        return Loss(logits, targets, ignoreIndex, labelSmoothing);
    }

    /// <summary>
    /// Backward pass of the last loss: accumulates every parameter gradient (the token embedding's too when the input
    /// was token ids) and writes <see cref="InputGradient"/>. Overwrites the logits.
    /// </summary>
    public void Backward()
    {
        if (!_lossReady)
        {
            throw new InvalidOperationException("TransformerLanguageModel.Backward needs a ForwardLoss first.");
        }

        var n = _batch * _time;
        var logits = _logits!;
        if (_weighted)
        {
            Backend.WeightedCrossEntropyBackward(logits, logits, _logSumExp!, _targets.AsSpan(0, n), _rowWeights.AsSpan(0, n), _ignoreIndex, 1f);
        }
        else
        {
            Backend.CrossEntropyBackward(logits, logits, _logSumExp!, _targets.AsSpan(0, n), _ignoreIndex, _labelSmoothing, 1f);
        }

        _dHidden = Buffer(_dHidden, n, Options.Width);
        Backend.LinearBackward(_dHidden, TokenEmbedding.Weight.Gradient, null, logits, _hidden!, TokenEmbedding.Weight.Value);
        var dx = Blocks.Backward(FinalNorm.Backward(_dHidden));
        Backend.AddPositionEmbeddingBackward(_positions.Gradient, dx, _batch, _time);
        if (_fromTokens)
        {
            TokenEmbedding.Backward(dx);
        }

        InputGradient = dx;
        _lossReady = false;
    }

    /// <summary>Allocates a key/value cache for incremental decoding of <paramref name="batch"/> sequences.</summary>
    /// <param name="batch">Number of sequences decoded together.</param>
    /// <param name="maxTime">Longest sequence; at most the context.</param>
    public DecoderCache CreateCache(int batch, int maxTime)
    {
        if (maxTime <= 0 || maxTime > Options.Context)
        {
            throw new ArgumentOutOfRangeException(nameof(maxTime), maxTime, $"The cache length must be in [1, {Options.Context}].");
        }

        return new DecoderCache(this, batch, maxTime);
    }

    /// <summary>
    /// Runs one position for every sequence of <paramref name="cache"/>, given input vectors (a prefix vector or a token
    /// embedding), and returns the next-element logits (B, V), owned by the cache. Each block runs its own cached
    /// <see cref="TransformerBlock.Step"/>; nothing is allocated.
    /// </summary>
    /// <param name="cache">The sequences' cache; its position advances by one.</param>
    /// <param name="input">(B, C) the vectors at the current position.</param>
    public Tensor Step(DecoderCache cache, Tensor input) => Step(cache, input, logits: true);

    /// <summary>
    /// Runs one position (see <see cref="Step(DecoderCache, Tensor)"/>); with <paramref name="logits"/> false only the
    /// keys and values are cached and the final norm and vocabulary projection are skipped (a prefix position whose
    /// prediction nobody reads: the projection costs 2·B·C·V of the step's FLOPs). <see cref="DecoderCache.Logits"/> then
    /// keeps the values of the last step that computed them.
    /// </summary>
    /// <param name="cache">The sequences' cache; its position advances by one.</param>
    /// <param name="input">(B, C) the vectors at the current position.</param>
    /// <param name="logits">Whether to compute the next-element logits.</param>
    public Tensor Step(DecoderCache cache, Tensor input, bool logits)
    {
        ArgumentNullException.ThrowIfNull(cache);
        ArgumentNullException.ThrowIfNull(input);
        if (!ReferenceEquals(cache.Model, this))
        {
            throw new ArgumentException("The cache belongs to another model.", nameof(cache));
        }

        if (cache.Position >= cache.MaxTime)
        {
            throw new InvalidOperationException($"The cache is full ({cache.MaxTime} positions).");
        }

        var c = Options.Width;
        if (input.Length != (long)cache.Batch * c)
        {
            throw new ArgumentException($"Expected ({cache.Batch}, {c}) input vectors but got {input}.", nameof(input));
        }

        var x = cache.Input;
        Backend.Copy(source: input, destination: x);
        Backend.AddPositionEmbedding(x, cache.PositionRow(cache.Position), cache.Batch, 1);
        var blocks = Blocks.Blocks;
        for (var l = 0; l < blocks.Count; l++)
        {
            x = blocks[l].Step(x, cache.Layers[l]);
        }

        if (logits)
        {
            var hidden = FinalNorm.Forward(x);
            Backend.LinearForward(cache.Logits, hidden, TokenEmbedding.Weight.Value, null);
        }

        cache.Advance();
        return cache.Logits;
    }

    /// <summary>Runs one position given token ids (see <see cref="Step(DecoderCache, Tensor)"/>).</summary>
    /// <param name="cache">The sequences' cache.</param>
    /// <param name="tokens">(B) one id per sequence.</param>
    public Tensor Step(DecoderCache cache, ReadOnlySpan<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(cache);
        if (tokens.Length != cache.Batch)
        {
            throw new ArgumentException($"Expected {cache.Batch} token ids but got {tokens.Length}.", nameof(tokens));
        }

        CheckTokens(tokens, nameof(tokens));
        Backend.EmbeddingForward(cache.TokenInput, tokens, TokenEmbedding.Weight.Value);
        return Step(cache, cache.TokenInput);
    }

    /// <summary>Throws unless every id is in [0, V).</summary>
    /// <param name="tokens">The ids.</param>
    /// <param name="name">The argument's name.</param>
    internal void CheckTokens(ReadOnlySpan<int> tokens, string name)
    {
        foreach (var id in tokens)
        {
            if ((uint)id >= (uint)Options.VocabularySize)
            {
                throw new ArgumentOutOfRangeException(name, id, $"Token ids must be in [0, {Options.VocabularySize}).");
            }
        }
    }

    private void CheckShape(int batch, int time)
    {
        if (time <= 0 || time > Options.Context || batch <= 0)
        {
            throw new ArgumentException($"Expected B > 0 and 0 < T ≤ {Options.Context}; got B = {batch}, T = {time}.", nameof(time));
        }
    }

    private void Body(Tensor x, int batch, int time, bool fromTokens)
    {
        Backend.AddPositionEmbedding(x, _positions.Value, batch, time);
        _hidden = FinalNorm.Forward(Blocks.Forward(x, batch, time));
        _logits = Buffer(_logits, batch * time, Options.VocabularySize);
        Backend.LinearForward(_logits, _hidden, TokenEmbedding.Weight.Value, null);
        _batch = batch;
        _time = time;
        _fromTokens = fromTokens;
        _lossReady = false;
    }

    private float Loss(Tensor logits, ReadOnlySpan<int> targets, int ignoreIndex, float labelSmoothing, bool computeMean = true)
    {
        var n = _batch * _time;
        if (targets.Length != n)
        {
            throw new ArgumentException($"Expected {n} targets (one per position) but got {targets.Length}.", nameof(targets));
        }

        if (_targets.Length < n)
        {
            _targets = new int[n];
        }

        targets.CopyTo(_targets);
        _losses = Buffer(_losses, n);
        _logSumExp = Buffer(_logSumExp, n);
        _ignoreIndex = ignoreIndex;
        _labelSmoothing = labelSmoothing;
        if (!computeMean)
        {
            return 0f;
        }

        var loss = Backend.CrossEntropyForward(_losses, _logSumExp, logits, targets, ignoreIndex, labelSmoothing);
        _weighted = false;
        _lossReady = true;
        return loss;
    }

    /// <summary>
    /// The weighted sum of the per-position cross-entropies of the logits of the last forward pass,
    /// <c>Σ_i w_i·(−log p(targets_i))</c> (see <see cref="IComputeBackend.WeightedCrossEntropyForward"/>); the next
    /// <see cref="Backward"/> backpropagates it. With <c>w = (r − b)/(L·n)</c> on a sampled caption's positions this is the
    /// self-critical policy-gradient loss.
    /// </summary>
    /// <param name="targets">(B·T) target ids, or <paramref name="ignoreIndex"/> for positions that do not count.</param>
    /// <param name="rowWeights">(B·T) weights, any sign.</param>
    /// <param name="ignoreIndex">Targets to skip.</param>
    /// <returns>The weighted sum.</returns>
    /// <exception cref="InvalidOperationException">No forward pass came before.</exception>
    public float WeightedLoss(ReadOnlySpan<int> targets, ReadOnlySpan<float> rowWeights, int ignoreIndex = -100)
    {
        var logits = _logits ?? throw new InvalidOperationException("TransformerLanguageModel.WeightedLoss needs a forward pass first.");
        var n = _batch * _time;
        if (rowWeights.Length != n)
        {
            throw new ArgumentException($"Expected {n} row weights (one per position) but got {rowWeights.Length}.", nameof(rowWeights));
        }

        Loss(logits, targets, ignoreIndex, 0f, computeMean: false);
        if (_rowWeights.Length < n)
        {
            _rowWeights = new float[n];
        }

        rowWeights.CopyTo(_rowWeights);
        var loss = Backend.WeightedCrossEntropyForward(_losses!, _logSumExp!, logits, targets, rowWeights, ignoreIndex);
        _weighted = true;
        _lossReady = true;
        return loss;
    }
}
