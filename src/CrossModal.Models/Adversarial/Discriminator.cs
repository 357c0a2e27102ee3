using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Adversarial;

/// <summary>
/// CgT-GAN's caption discriminator (Yu et al., ACM MM 2023, §3.3): a RoBERTa-like bidirectional transformer encoder
/// over caption tokens whose first position is pooled (dense + tanh) and scored by a two-layer MLP to one logit,
/// "real corpus sentence" versus "generated caption". Blocks are pre-LayerNorm (the project's
/// <see cref="TransformerBlock"/> with bidirectional attention and a key padding mask), followed by a final LayerNorm.
/// </summary>
/// <remarks>
/// Parameter names (as in a PyTorch <c>state_dict</c>): <c>wte.weight</c> (V, C), <c>wpe.weight</c> (T, C),
/// <c>h.{i}.ln_1</c>, <c>h.{i}.attn.c_attn</c> (3C, C), <c>h.{i}.attn.c_proj</c>, <c>h.{i}.ln_2</c>,
/// <c>h.{i}.mlp.c_fc</c> (4C, C), <c>h.{i}.mlp.c_proj</c>, <c>ln_f</c>, <c>pooler</c> (C, C), <c>fc1</c> (C/2, C) and
/// <c>fc2</c> (1, C/2), each Linear with <c>.weight</c> (out, in) and <c>.bias</c>, each LayerNorm with
/// <c>.weight</c> and <c>.bias</c>. Logit = <c>fc2(tanh(fc1(tanh(pooler(ln_f(h(wte[x] + wpe))[:, 0])))))</c>.
/// The first position should hold a start token the caller chooses (the captioner's end-of-text id, as GPT-2 uses it).
/// </remarks>
public sealed class Discriminator : Module
{
    private int[] _firstRows = [];
    private Tensor? _pooled;
    private Tensor? _poolerActivation;
    private Tensor? _hiddenActivation;
    private Tensor? _dPoolerActivation;
    private Tensor? _dHiddenActivation;
    private Tensor? _dNormed;
    private Tensor? _poolerPre;
    private Tensor? _hiddenPre;
    private int _batch;
    private int _time;
    private bool _forwardDone;

    /// <summary>Creates a discriminator with zero parameters; call <see cref="Module.ResetParameters"/> or load weights.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="options">Its shape; validated.</param>
    public Discriminator(IComputeBackend backend, DiscriminatorOptions options)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        TokenEmbedding = AddModule("wte", new Embedding(backend, options.VocabularySize, options.Width));
        PositionEmbedding = AddModule("wpe", new Embedding(backend, options.Context, options.Width)).Weight;
        Blocks = AddModule("h", new TransformerStack(backend, options.Layers, new TransformerBlockOptions
        {
            Width = options.Width,
            Heads = options.Heads,
            Causal = false,
            Activation = Activation.Gelu,
            LayerNormEpsilon = options.LayerNormEpsilon,
            Dropout = options.Dropout,
            DropoutSeed = options.DropoutSeed,
        }));
        FinalNorm = AddModule("ln_f", new LayerNorm(backend, options.Width, options.LayerNormEpsilon));
        Pooler = AddModule("pooler", new Linear(backend, options.Width, options.Width));
        Hidden = AddModule("fc1", new Linear(backend, options.Width, options.Width / 2));
        Output = AddModule("fc2", new Linear(backend, options.Width / 2, 1));
    }

    /// <summary>The options it was built with.</summary>
    public DiscriminatorOptions Options { get; }

    /// <summary>Token embeddings <c>wte</c>.</summary>
    public Embedding TokenEmbedding { get; }

    /// <summary>Learned position embeddings <c>wpe.weight</c>.</summary>
    public Parameter PositionEmbedding { get; }

    /// <summary>The bidirectional blocks <c>h</c>.</summary>
    public TransformerStack Blocks { get; }

    /// <summary>Final LayerNorm <c>ln_f</c>.</summary>
    public LayerNorm FinalNorm { get; }

    /// <summary>Dense layer on the first position (followed by tanh), RoBERTa's pooler.</summary>
    public Linear Pooler { get; }

    /// <summary>First layer of the scoring MLP (C → C/2, followed by tanh).</summary>
    public Linear Hidden { get; }

    /// <summary>Second layer of the scoring MLP (C/2 → 1).</summary>
    public Linear Output { get; }

    /// <summary>Scores B token sequences.</summary>
    /// <param name="tokens">(B·T) token ids in [0, V); padded positions may hold any valid id.</param>
    /// <param name="keyMask">(B·T) 1 = real token, 0 = padding (never attended to); empty when nothing is padded.</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T, at most <see cref="DiscriminatorOptions.Context"/>.</param>
    /// <returns>(B, 1) raw logits (before the sigmoid), owned by the module until its next call.</returns>
    public Tensor Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<byte> keyMask, int batch, int time)
    {
        if (batch <= 0 || time <= 0 || time > Options.Context)
        {
            throw new ArgumentException($"Expected B > 0 and 0 < T ≤ {Options.Context}; got B = {batch}, T = {time}.", nameof(time));
        }

        var n = batch * time;
        if (tokens.Length != n)
        {
            throw new ArgumentException($"Expected {batch}×{time} tokens but got {tokens.Length}.", nameof(tokens));
        }

        if (!keyMask.IsEmpty && keyMask.Length != n)
        {
            throw new ArgumentException($"Expected an empty mask or {batch}×{time} mask bytes but got {keyMask.Length}.", nameof(keyMask));
        }

        foreach (var id in tokens)
        {
            if ((uint)id >= (uint)Options.VocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(tokens), id, $"Token ids must be in [0, {Options.VocabularySize}).");
            }
        }

        var c = Options.Width;

        // The embedding's output is the module's own buffer, so the positions are added in place.
        var x = TokenEmbedding.Forward(tokens);
        Backend.AddPositionEmbedding(x, PositionEmbedding.Value, batch, time);
        var normed = FinalNorm.Forward(Blocks.Forward(x, batch, time, keyMask));
        if (_firstRows.Length < batch)
        {
            _firstRows = new int[batch];
        }

        for (var b = 0; b < batch; b++)
        {
            _firstRows[b] = b * time;
        }

        // Gathering rows b·T with the embedding lookup picks the first position of every sequence on the backend.
        _pooled = Buffer(_pooled, batch, c);
        Backend.EmbeddingForward(_pooled, _firstRows.AsSpan(0, batch), normed);
        _poolerPre = Pooler.Forward(_pooled);
        _poolerActivation = Buffer(_poolerActivation, batch, c);
        Backend.ActivationForward(Activation.Tanh, _poolerActivation, _poolerPre);
        _hiddenPre = Hidden.Forward(_poolerActivation);
        _hiddenActivation = Buffer(_hiddenActivation, batch, c / 2);
        Backend.ActivationForward(Activation.Tanh, _hiddenActivation, _hiddenPre);
        _batch = batch;
        _time = time;
        _forwardDone = true;
        return Output.Forward(_hiddenActivation);
    }

    /// <summary>Backpropagates the gradient of the logits into every parameter gradient (accumulated).</summary>
    /// <param name="dLogits">(B, 1) gradient of the loss with respect to the logits of the last <see cref="Forward"/>.</param>
    public void Backward(Tensor dLogits)
    {
        ArgumentNullException.ThrowIfNull(dLogits);
        if (!_forwardDone)
        {
            throw new InvalidOperationException("Discriminator.Backward was called before Forward.");
        }

        if (dLogits.Length != _batch)
        {
            throw new ArgumentException($"Expected ({_batch}, 1) logit gradients but got {dLogits}.", nameof(dLogits));
        }

        var c = Options.Width;
        var dHidden = Output.Backward(dLogits);
        _dHiddenActivation = Buffer(_dHiddenActivation, _batch, c / 2);
        Backend.ActivationBackward(Activation.Tanh, _dHiddenActivation, dHidden, _hiddenPre!, _hiddenActivation!);
        var dPooler = Hidden.Backward(_dHiddenActivation);
        _dPoolerActivation = Buffer(_dPoolerActivation, _batch, c);
        Backend.ActivationBackward(Activation.Tanh, _dPoolerActivation, dPooler, _poolerPre!, _poolerActivation!);
        var dPooled = Pooler.Backward(_dPoolerActivation);
        _dNormed = Buffer(_dNormed, _batch * _time, c);
        Backend.Fill(_dNormed, 0f);
        Backend.EmbeddingBackward(_dNormed, dPooled, _firstRows);
        var dx = Blocks.Backward(FinalNorm.Backward(_dNormed));
        Backend.AddPositionEmbeddingBackward(PositionEmbedding.Gradient, dx, _batch, _time);
        TokenEmbedding.Backward(dx);
        _forwardDone = false;
    }
}
