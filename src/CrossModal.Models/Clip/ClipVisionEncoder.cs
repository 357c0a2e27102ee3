using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Clip;

/// <summary>
/// CLIP's image tower, a ViT (Dosovitskiy et al., 2021; Radford et al., 2021, §2.4): the image is cut into p×p
/// patches, each flattened (channel, row, column) and mapped by a linear layer without bias — the same as CLIP's
/// stride-p convolution, whose (C, 3, p, p) weight is that linear weight reshaped —, a learned class token is put
/// first, learned positions are added, then <c>pre_layrnorm</c>, a bidirectional pre-LN transformer,
/// <c>post_layernorm</c> on the class token and <c>visual_projection</c> (no bias).
/// Shapes: B images, P = (S/p)² patches, T = P + 1 tokens, C width, K = 3p², D projection width.
/// </summary>
/// <remarks>Not thread-safe: forward passes reuse the module's buffers.</remarks>
public sealed class ClipVisionEncoder : ClipImageTower
{
    private readonly ClipVisionConfig _config;
    private float[] _patchHost = [];
    private int[] _classRows = [];
    private Tensor? _patches;
    private Tensor? _tokens;
    private Tensor? _pooled;
    private Tensor? _dHidden;
    private Tensor? _dPatches;
    private int _batch;

    /// <summary>Creates the tower; initialise or load its parameters next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="config">Its shape.</param>
    /// <param name="projectionDim">D.</param>
    public ClipVisionEncoder(IComputeBackend backend, ClipVisionConfig config, int projectionDim)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        _config = config;
        var c = config.Width;
        PatchEmbedding = AddModule("patch_embedding", new Linear(backend, 3 * config.PatchSize * config.PatchSize, c, bias: false));
        ClassEmbedding = AddParameter("class_embedding", ParameterInit.Normal, c);
        PositionEmbedding = AddModule("position_embedding", new Embedding(backend, config.Patches + 1, c));
        PreNorm = AddModule("pre_layrnorm", new LayerNorm(backend, c, config.LayerNormEpsilon));
        Encoder = AddModule("encoder", new TransformerStack(backend, config.Layers, new TransformerBlockOptions
        {
            Width = c,
            Heads = config.Heads,
            MlpHidden = config.MlpHidden,
            Activation = config.Activation,
            Causal = false,
            LayerNormEpsilon = config.LayerNormEpsilon,
        }));
        PostNorm = AddModule("post_layernorm", new LayerNorm(backend, c, config.LayerNormEpsilon));
        Projection = AddModule("visual_projection", new Linear(backend, c, projectionDim, bias: false));

        // CLIP's initialisation scales (OpenAI model.py, VisionTransformer: scale = width^-0.5).
        ClassEmbedding.InitStandardDeviation = 1f / MathF.Sqrt(c);
        PositionEmbedding.Weight.InitStandardDeviation = 1f / MathF.Sqrt(c);
        Projection.Weight.InitStandardDeviation = 1f / MathF.Sqrt(c);
    }

    /// <summary>The shape it was built with.</summary>
    public ClipVisionConfig Config => _config;

    /// <summary>(C, 3p²): the patch convolution as a linear map.</summary>
    public Linear PatchEmbedding { get; }

    /// <summary>(C) the class token.</summary>
    public Parameter ClassEmbedding { get; }

    /// <summary>(P + 1, C) learned positions.</summary>
    public Embedding PositionEmbedding { get; }

    /// <summary>LayerNorm before the transformer.</summary>
    public LayerNorm PreNorm { get; }

    /// <summary>The bidirectional transformer.</summary>
    public TransformerStack Encoder { get; }

    /// <summary>LayerNorm on the class token's output.</summary>
    public LayerNorm PostNorm { get; }

    /// <summary>C → D, no bias.</summary>
    public Linear Projection { get; }

    /// <inheritdoc />
    public override int PixelsPerImage => 3 * _config.ImageSize * _config.ImageSize;

    /// <inheritdoc />
    public override Tensor Forward(ReadOnlySpan<float> pixels, int batch)
    {
        CheckPixels(pixels, batch, _config.ImageSize);

        int p = _config.Patches, t = p + 1, c = _config.Width, k = PatchEmbedding.InFeatures;
        if (_patchHost.Length != batch * p * k)
        {
            _patchHost = new float[batch * p * k];
        }

        ExtractPatches(pixels, _patchHost, batch, _config.ImageSize, _config.PatchSize);
        _patches = Buffer(_patches, batch * p, k);
        Backend.Upload(_patches, _patchHost);
        var patchFeatures = PatchEmbedding.Forward(_patches); // (B·P, C)

        // tokens[b] = [class; patches of image b] + positions (HF CLIPVisionEmbeddings).
        _tokens = Buffer(_tokens, batch * t, c);
        for (var b = 0; b < batch; b++)
        {
            Backend.Copy(destination: _tokens.View((long)b * t * c, c), source: ClassEmbedding.Value);
            Backend.Copy(destination: _tokens.View(((long)b * t + 1) * c, p, c), source: patchFeatures.View((long)b * p * c, p, c));
        }

        Backend.AddPositionEmbedding(_tokens, PositionEmbedding.Weight.Value, batch, t);
        var hidden = Encoder.Forward(PreNorm.Forward(_tokens), batch, t);

        if (_classRows.Length != batch)
        {
            _classRows = new int[batch];
            for (var b = 0; b < batch; b++)
            {
                _classRows[b] = b * t;
            }
        }

        // Gathering rows is an embedding lookup into the hidden states.
        _pooled = Buffer(_pooled, batch, c);
        Backend.EmbeddingForward(_pooled, _classRows, hidden);
        _batch = batch;
        return Projection.Forward(PostNorm.Forward(_pooled));
    }

    /// <inheritdoc />
    public override void Backward(Tensor dFeatures)
    {
        ArgumentNullException.ThrowIfNull(dFeatures);
        var patches = RequireForward(_patches, nameof(ClipVisionEncoder));
        int batch = _batch, p = _config.Patches, t = p + 1, c = _config.Width;
        var dPooled = PostNorm.Backward(Projection.Backward(dFeatures));
        _dHidden = Buffer(_dHidden, batch * t, c);
        Backend.Fill(_dHidden, 0f);
        Backend.EmbeddingBackward(_dHidden, dPooled, _classRows);
        var dTokens = PreNorm.Backward(Encoder.Backward(_dHidden));
        Backend.AddPositionEmbeddingBackward(PositionEmbedding.Weight.Gradient, dTokens, batch, t);
        _dPatches = Buffer(_dPatches, batch * p, c);
        for (var b = 0; b < batch; b++)
        {
            Backend.Axpy(ClassEmbedding.Gradient, 1f, dTokens.View((long)b * t * c, c));
            Backend.Copy(destination: _dPatches.View((long)b * p * c, p, c), source: dTokens.View(((long)b * t + 1) * c, p, c));
        }

        // The pixels need no gradient: call the backend directly so dInput is not computed.
        Backend.LinearBackward(null, PatchEmbedding.Weight.Gradient, null, _dPatches, patches, PatchEmbedding.Weight.Value);
    }

    /// <summary>
    /// Cuts images into flattened patches, the im2col of a stride-p convolution: row (b, gy, gx) (patches row-major,
    /// as HF's <c>flatten(2).transpose(1, 2)</c>) holds pixels[b, ch, gy·p + y, gx·p + x] at column ch·p² + y·p + x,
    /// the element order of the (C, 3, p, p) convolution weight.
    /// </summary>
    /// <param name="pixels">(B, 3, S, S).</param>
    /// <param name="patches">(B·P, 3p²) written.</param>
    /// <param name="batch">B.</param>
    /// <param name="size">S.</param>
    /// <param name="patch">p.</param>
    internal static void ExtractPatches(ReadOnlySpan<float> pixels, Span<float> patches, int batch, int size, int patch)
    {
        var grid = size / patch;
        var k = 3 * patch * patch;
        for (var b = 0; b < batch; b++)
        {
            for (var gy = 0; gy < grid; gy++)
            {
                for (var gx = 0; gx < grid; gx++)
                {
                    var row = patches.Slice((((b * grid) + gy) * grid + gx) * k, k);
                    for (var ch = 0; ch < 3; ch++)
                    {
                        for (var y = 0; y < patch; y++)
                        {
                            var source = pixels.Slice((((b * 3) + ch) * size + (gy * patch) + y) * size + (gx * patch), patch);
                            source.CopyTo(row.Slice((ch * patch + y) * patch, patch));
                        }
                    }
                }
            }
        }
    }
}
