using System;
using System.IO;
using CrossModal.Models.Language;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Captioning;

/// <summary>
/// A GPT-2-architecture causal decoder (Radford et al., 2019) that reads a sequence of <em>prefix vectors</em> followed
/// by tokens, as ClipCap (Mokady et al., 2021) conditions GPT-2 on a mapped image or text embedding. Input and output
/// embeddings are tied as in GPT-2. The body is a <see cref="TransformerLanguageModel"/> registered under
/// <c>transformer</c> and fed through its input-embeddings entry point; this class only lays out the prefix and the
/// token embeddings and splits the gradient back. Parameter names are exactly Hugging Face <c>GPT2LMHeadModel</c>'s
/// (<c>transformer.wte.weight</c>, <c>transformer.h.0.attn.c_attn.weight</c>, …; see <see cref="Gpt2Checkpoint"/>).
/// </summary>
/// <remarks>
/// Shapes: B sequences, k prefix vectors, Tc token positions, T = k + Tc, width C, vocabulary V. The sequence layout is
/// <c>[prefix_0 … prefix_{k−1}, token_0 … token_{Tc−1}]</c>; position t predicts the element at t + 1, so the logits at
/// position k − 1 + j score caption token j. Training buffers are allocated once per shape and reused.
/// </remarks>
public sealed class Gpt2Decoder : Module
{
    private Tensor? _input;
    private Tensor? _dTokens;
    private Tensor? _dPrefix;
    private Tensor[] _prefixRowsIn = [];
    private Tensor[] _prefixRowsX = [];
    private Tensor[] _tokenRowsIn = [];
    private Tensor[] _tokenRowsX = [];
    private Tensor[] _dPrefixRows = [];
    private Tensor[] _dTokenRows = [];
    private (Tensor?, Tensor?, Tensor?, int, int, int) _layoutKey;
    private (Tensor?, Tensor?, Tensor?, int, int, int) _gradientLayoutKey;
    private int _batch;
    private int _prefixLength;
    private int _tokenTime;

    /// <summary>Creates the decoder; call <see cref="Module.ResetParameters"/> or load weights next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="options">Its shape.</param>
    public Gpt2Decoder(IComputeBackend backend, Gpt2DecoderOptions options)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Options = options;
        Transformer = AddModule("transformer", new TransformerLanguageModel(backend, new TransformerLanguageModelOptions
        {
            VocabularySize = options.VocabularySize,
            Context = options.Context,
            Width = options.Width,
            Layers = options.Layers,
            Heads = options.Heads,
            LayerNormEpsilon = options.LayerNormEpsilon,
            Dropout = options.Dropout,
        }));
    }

    /// <summary>
    /// Loads a Hugging Face GPT-2 checkpoint: <paramref name="path"/> is a folder holding <c>config.json</c> and
    /// <c>model.safetensors</c>, or the safetensors file itself with <c>config.json</c> beside it (see <see cref="Gpt2Checkpoint"/>).
    /// </summary>
    /// <param name="path">Folder or safetensors file.</param>
    /// <param name="backend">Where to put the weights; the process-wide CPU backend by default.</param>
    /// <exception cref="FileNotFoundException">The configuration or the weights are missing.</exception>
    /// <exception cref="InvalidDataException">The files do not hold a GPT-2 checkpoint; the message names the file and what was expected.</exception>
    public static Gpt2Decoder Load(string path, IComputeBackend? backend = null) => Gpt2Checkpoint.Read(path, backend ?? Tensors.Cpu.CpuBackend.Default);

    /// <summary>Writes the decoder as a Hugging Face <c>GPT2LMHeadModel</c> folder (<c>config.json</c>, <c>model.safetensors</c>), loadable by <see cref="Load"/> and <c>transformers</c>.</summary>
    /// <param name="path">The folder; created if missing.</param>
    public void Save(string path) => Gpt2Checkpoint.Write(path, this);

    /// <summary>The shape it was built with.</summary>
    public Gpt2DecoderOptions Options { get; }

    /// <summary>
    /// Where the decoder's initial weights came from: the full path of the checkpoint <see cref="Load"/> read, or null
    /// for a decoder initialised at random. A captioner checkpoint records it (<c>model.decoder_source</c>), so a
    /// fine-tuned model says which GPT-2 it started from.
    /// </summary>
    public string? Source { get; set; }

    /// <summary>The underlying layers (token and position embeddings, blocks, final LayerNorm).</summary>
    public TransformerLanguageModel Transformer { get; }

    /// <summary>Width C, which prefix vectors must have.</summary>
    public int Width => Options.Width;

    /// <summary>Token embedding (V, C), also the output projection.</summary>
    public Parameter TokenEmbedding => Transformer.TokenEmbedding.Weight;

    /// <summary>Learned position embedding (context, C).</summary>
    public Parameter PositionEmbedding => Transformer.PositionEmbedding;

    /// <summary>
    /// The gradient with respect to the prefix vectors from the last <see cref="Backward"/>: (B·k, C), owned by the decoder.
    /// Null when the last pass had no prefix.
    /// </summary>
    public Tensor? PrefixGradient { get; private set; }

    /// <summary>Forward pass to logits.</summary>
    /// <param name="prefix">(B·k, C) prefix vectors, or null when <paramref name="prefixLength"/> is 0.</param>
    /// <param name="prefixLength">k ≥ 0.</param>
    /// <param name="tokens">(B·Tc) token ids in [0, V).</param>
    /// <param name="batch">B.</param>
    /// <param name="tokenTime">Tc ≥ 0, with k + Tc in [1, context].</param>
    /// <returns>Logits (B·T, V), owned by the decoder and overwritten by <see cref="Backward"/>.</returns>
    public Tensor Forward(Tensor? prefix, int prefixLength, ReadOnlySpan<int> tokens, int batch, int tokenTime) =>
        Transformer.ForwardEmbeddings(LayOut(prefix, prefixLength, tokens, batch, tokenTime), batch, prefixLength + tokenTime);

    /// <summary>Forward pass and mean cross-entropy over the positions whose target is not <paramref name="ignoreIndex"/>.</summary>
    /// <param name="prefix">(B·k, C) or null.</param>
    /// <param name="prefixLength">k.</param>
    /// <param name="tokens">(B·Tc) inputs.</param>
    /// <param name="targets">(B·T) next-element targets; <paramref name="ignoreIndex"/> skips a position.</param>
    /// <param name="batch">B.</param>
    /// <param name="tokenTime">Tc.</param>
    /// <param name="ignoreIndex">The target value that is not scored (never a real token id).</param>
    /// <param name="labelSmoothing">ε of label smoothing in [0, 1).</param>
    /// <returns>The mean loss over scored positions.</returns>
    public float ForwardLoss(
        Tensor? prefix, int prefixLength, ReadOnlySpan<int> tokens, ReadOnlySpan<int> targets, int batch, int tokenTime,
        int ignoreIndex = -100, float labelSmoothing = 0f) =>
        Transformer.ForwardEmbeddingsLoss(
            LayOut(prefix, prefixLength, tokens, batch, tokenTime), targets, batch, prefixLength + tokenTime, ignoreIndex, labelSmoothing);

    // Checks the arguments and writes [prefix rows, token embedding rows] of every sequence into the input buffer.
    private Tensor LayOut(Tensor? prefix, int prefixLength, ReadOnlySpan<int> tokens, int batch, int tokenTime)
    {
        var c = Options.Width;
        var time = prefixLength + tokenTime;
        if (batch <= 0 || prefixLength < 0 || tokenTime < 0 || time <= 0 || time > Options.Context)
        {
            throw new ArgumentException(
                $"Expected B > 0 and 0 < k + Tc ≤ {Options.Context}; got B = {batch}, k = {prefixLength}, Tc = {tokenTime}.", nameof(tokenTime));
        }

        if (tokens.Length != (long)batch * tokenTime)
        {
            throw new ArgumentException($"Expected {batch}×{tokenTime} tokens but got {tokens.Length}.", nameof(tokens));
        }

        if (prefixLength > 0 && (prefix is null || prefix.Length != (long)batch * prefixLength * c))
        {
            throw new ArgumentException($"Expected ({batch}·{prefixLength}, {c}) prefix vectors but got {prefix?.ToString() ?? "null"}.", nameof(prefix));
        }

        Transformer.CheckTokens(tokens, nameof(tokens));
        _input = Buffer(_input, batch * time, c);
        Tensor? tokenEmbeddings = null;
        if (tokenTime > 0)
        {
            tokenEmbeddings = Transformer.TokenEmbedding.Forward(tokens);
        }

        PrepareLayout(prefix, tokenEmbeddings, batch, prefixLength, tokenTime);
        for (var b = 0; b < batch; b++)
        {
            if (prefixLength > 0)
            {
                Backend.Copy(source: _prefixRowsIn[b], destination: _prefixRowsX[b]);
            }

            if (tokenTime > 0)
            {
                Backend.Copy(source: _tokenRowsIn[b], destination: _tokenRowsX[b]);
            }
        }

        _batch = batch;
        _prefixLength = prefixLength;
        _tokenTime = tokenTime;
        return _input;
    }

    /// <summary>
    /// Backward pass of the last <see cref="ForwardLoss"/>: accumulates every parameter gradient and writes
    /// <see cref="PrefixGradient"/>. Overwrites the logits.
    /// </summary>
    public void Backward()
    {
        Transformer.Backward();
        var dx = Transformer.InputGradient!;
        PrepareGradientLayout(dx);
        for (var b = 0; b < _batch; b++)
        {
            if (_prefixLength > 0)
            {
                Backend.Copy(source: _dPrefixRows[b * 2], destination: _dPrefixRows[(b * 2) + 1]);
            }

            if (_tokenTime > 0)
            {
                Backend.Copy(source: _dTokenRows[b * 2], destination: _dTokenRows[(b * 2) + 1]);
            }
        }

        if (_tokenTime > 0)
        {
            Transformer.TokenEmbedding.Backward(_dTokens!);
        }

        PrefixGradient = _prefixLength > 0 ? _dPrefix : null;
    }

    /// <summary>Allocates a key/value cache for incremental decoding of <paramref name="batch"/> sequences.</summary>
    /// <param name="batch">Number of sequences decoded together.</param>
    /// <param name="maxTime">Longest sequence (prefix included); at most the context.</param>
    public DecoderCache CreateCache(int batch, int maxTime) => Transformer.CreateCache(batch, maxTime);

    /// <summary>
    /// Runs one position for every sequence of <paramref name="cache"/>, given input vectors (a prefix vector or a token
    /// embedding), and returns the next-element logits (B, V), owned by the cache (see
    /// <see cref="TransformerLanguageModel.Step(DecoderCache, Tensor)"/>).
    /// </summary>
    /// <param name="cache">The sequences' cache; its position advances by one.</param>
    /// <param name="input">(B, C) the vectors at the current position.</param>
    public Tensor Step(DecoderCache cache, Tensor input) => Transformer.Step(cache, input);

    /// <summary>Runs one position given token ids (see <see cref="TransformerLanguageModel.Step(DecoderCache, ReadOnlySpan{int})"/>).</summary>
    /// <param name="cache">The sequences' cache.</param>
    /// <param name="tokens">(B) one id per sequence.</param>
    public Tensor Step(DecoderCache cache, ReadOnlySpan<int> tokens) => Transformer.Step(cache, tokens);

    private void PrepareLayout(Tensor? prefix, Tensor? tokenEmbeddings, int batch, int k, int tc)
    {
        var key = (prefix, tokenEmbeddings, _input, batch, k, tc);
        if (_layoutKey.Equals(key))
        {
            return;
        }

        // Views are built once per shape and buffer, so that a training step in steady state allocates nothing.
        var c = Options.Width;
        var time = k + tc;
        _prefixRowsIn = new Tensor[k > 0 ? batch : 0];
        _prefixRowsX = new Tensor[k > 0 ? batch : 0];
        _tokenRowsIn = new Tensor[tc > 0 ? batch : 0];
        _tokenRowsX = new Tensor[tc > 0 ? batch : 0];
        for (var b = 0; b < batch; b++)
        {
            if (k > 0)
            {
                _prefixRowsIn[b] = prefix!.View((long)b * k * c, k, c);
                _prefixRowsX[b] = _input!.View((long)b * time * c, k, c);
            }

            if (tc > 0)
            {
                _tokenRowsIn[b] = tokenEmbeddings!.View((long)b * tc * c, tc, c);
                _tokenRowsX[b] = _input!.View(((long)b * time + k) * c, tc, c);
            }
        }

        _layoutKey = key;
    }

    private void PrepareGradientLayout(Tensor dx)
    {
        var c = Options.Width;
        var (batch, k, tc) = (_batch, _prefixLength, _tokenTime);
        var time = k + tc;
        _dPrefix = k > 0 ? Buffer(_dPrefix, batch * k, c) : _dPrefix;
        _dTokens = tc > 0 ? Buffer(_dTokens, batch * tc, c) : _dTokens;
        var key = (dx, _dPrefix, _dTokens, batch, k, tc);
        if (_gradientLayoutKey.Equals(key))
        {
            return;
        }

        _dPrefixRows = new Tensor[k > 0 ? 2 * batch : 0];
        _dTokenRows = new Tensor[tc > 0 ? 2 * batch : 0];
        for (var b = 0; b < batch; b++)
        {
            if (k > 0)
            {
                _dPrefixRows[b * 2] = dx.View((long)b * time * c, k, c);
                _dPrefixRows[(b * 2) + 1] = _dPrefix!.View((long)b * k * c, k, c);
            }

            if (tc > 0)
            {
                _dTokenRows[b * 2] = dx.View(((long)b * time + k) * c, tc, c);
                _dTokenRows[(b * 2) + 1] = _dTokens!.View((long)b * tc * c, tc, c);
            }
        }

        _gradientLayoutKey = key;
    }
}
