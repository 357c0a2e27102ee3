using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Clip;

/// <summary>
/// CLIP's text tower (Radford et al., 2021, §2.4; OpenAI model.py <c>encode_text</c>): token plus learned position
/// embeddings, a causal pre-LN transformer, <c>final_layer_norm</c> and <c>text_projection</c> (no bias) of the
/// hidden state at the end-of-text position, found as the argmax of the token ids (end-of-text, 49407, is the largest
/// id; the first maximum is taken, so padding with end-of-text ids as Hugging Face does gives the same result).
/// Shapes: B texts, T tokens each, C width, D projection width.
/// </summary>
/// <remarks>
/// Attention is causal, so the pooled state depends only on tokens up to the end-of-text position; each batch is
/// therefore cut to its longest text (max end-of-text position + 1), which gives exactly the same features as the
/// full context and skips the padding. Not thread-safe: forward passes reuse the module's buffers.
/// </remarks>
public sealed class ClipTextEncoder : Module
{
    private readonly ClipTextConfig _config;
    private int[] _ids = [];
    private int[] _poolRows = [];
    private Tensor? _pooled;
    private Tensor? _dHidden;
    private int _batch;
    private int _time;

    /// <summary>Creates the tower; initialise or load its parameters next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="config">Its shape.</param>
    /// <param name="projectionDim">D.</param>
    public ClipTextEncoder(IComputeBackend backend, ClipTextConfig config, int projectionDim)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        var c = config.Width;
        TokenEmbedding = AddModule("token_embedding", new Embedding(backend, config.VocabularySize, c));
        PositionEmbedding = AddModule("position_embedding", new Embedding(backend, config.Context, c));
        Encoder = AddModule("encoder", new TransformerStack(backend, config.Layers, new TransformerBlockOptions
        {
            Width = c,
            Heads = config.Heads,
            MlpHidden = config.MlpHidden,
            Activation = config.Activation,
            Causal = true,
            LayerNormEpsilon = config.LayerNormEpsilon,
        }));
        FinalNorm = AddModule("final_layer_norm", new LayerNorm(backend, c, config.LayerNormEpsilon));
        Projection = AddModule("text_projection", new Linear(backend, c, projectionDim, bias: false));

        // CLIP's initialisation (OpenAI model.py, initialize_parameters): tokens 0.02, positions 0.01, projection C^-0.5.
        PositionEmbedding.Weight.InitStandardDeviation = 0.01f;
        Projection.Weight.InitStandardDeviation = 1f / MathF.Sqrt(c);
    }

    /// <summary>The shape it was built with.</summary>
    public ClipTextConfig Config => _config;

    /// <summary>(V, C).</summary>
    public Embedding TokenEmbedding { get; }

    /// <summary>(context, C).</summary>
    public Embedding PositionEmbedding { get; }

    /// <summary>The causal transformer.</summary>
    public TransformerStack Encoder { get; }

    /// <summary>LayerNorm before pooling.</summary>
    public LayerNorm FinalNorm { get; }

    /// <summary>C → D, no bias.</summary>
    public Linear Projection { get; }

    /// <summary>Forward pass to (unnormalised) text features.</summary>
    /// <param name="tokens">(B, T) token ids with T ≤ context, each row holding its end-of-text id as its largest id
    /// (as <c>ClipTokenizer.EncodeContext</c> produces).</param>
    /// <param name="batch">B.</param>
    /// <returns>(B, D), owned by the tower until its next call.</returns>
    public Tensor Forward(ReadOnlySpan<int> tokens, int batch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        if (tokens.Length % batch != 0 || tokens.Length == 0)
        {
            throw new ArgumentException($"Expected {batch} rows of token ids but got {tokens.Length} ids.", nameof(tokens));
        }

        var context = tokens.Length / batch;
        if (context > _config.Context)
        {
            throw new ArgumentException($"Rows of {context} tokens exceed the model's context of {_config.Context}.", nameof(tokens));
        }

        if (_poolRows.Length != batch)
        {
            _poolRows = new int[batch];
        }

        // End-of-text position = first argmax of each row; the batch runs to the longest of them.
        var time = 0;
        for (var b = 0; b < batch; b++)
        {
            var row = tokens.Slice(b * context, context);
            var best = 0;
            for (var i = 0; i < context; i++)
            {
                if ((uint)row[i] >= (uint)_config.VocabularySize)
                {
                    throw new ArgumentException(
                        $"Token id {row[i]} (row {b}, position {i}) is outside the vocabulary [0, {_config.VocabularySize}).", nameof(tokens));
                }

                if (row[i] > row[best])
                {
                    best = i;
                }
            }

            _poolRows[b] = best;
            time = Math.Max(time, best + 1);
        }

        if (_ids.Length < batch * time)
        {
            _ids = new int[batch * time];
        }

        for (var b = 0; b < batch; b++)
        {
            tokens.Slice(b * context, time).CopyTo(_ids.AsSpan(b * time, time));
            _poolRows[b] += b * time;
        }

        var ids = _ids.AsSpan(0, batch * time);
        var x = TokenEmbedding.Forward(ids);
        Backend.AddPositionEmbedding(x, PositionEmbedding.Weight.Value, batch, time);
        var hidden = Encoder.Forward(x, batch, time);

        // LayerNorm is per row, so normalising only the pooled rows equals HF's norm-then-pool.
        _pooled = Buffer(_pooled, batch, _config.Width);
        Backend.EmbeddingForward(_pooled, _poolRows, hidden);
        (_batch, _time) = (batch, time);
        return Projection.Forward(FinalNorm.Forward(_pooled));
    }

    /// <summary>Backward pass of the last <see cref="Forward"/>: accumulates every parameter gradient.</summary>
    /// <param name="dFeatures">(B, D) gradient of the features.</param>
    public void Backward(Tensor dFeatures)
    {
        ArgumentNullException.ThrowIfNull(dFeatures);
        RequireForward(_pooled, nameof(ClipTextEncoder));
        var dPooled = FinalNorm.Backward(Projection.Backward(dFeatures));
        _dHidden = Buffer(_dHidden, _batch * _time, _config.Width);
        Backend.Fill(_dHidden, 0f);
        Backend.EmbeddingBackward(_dHidden, dPooled, _poolRows);
        var dx = Encoder.Backward(_dHidden);
        Backend.AddPositionEmbeddingBackward(PositionEmbedding.Weight.Gradient, dx, _batch, _time);
        TokenEmbedding.Backward(dx);
    }
}
