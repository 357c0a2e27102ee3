using System;
using System.Collections.Generic;
using System.Globalization;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Clip;

/// <summary>
/// A convolutional image tower for CLIPs trained from scratch on small images: a VGG-style stack (Simonyan and
/// Zisserman, 2015) of 3×3 convolutions (stride 1, padding 1, bias) each followed by GELU, with 2×2 max pooling where
/// <see cref="ClipVisionConfig.ConvLayers"/> says <c>M</c>; the last feature map (C_L, s, s) is flattened, normalised by
/// <c>post_layernorm</c> (as the ViT's pooled token is) and mapped by <c>visual_projection</c> (no bias) to D. Flattening instead of pooling globally keeps where things are, which
/// relations ("left of", "above") need. The LayerNorm removes the component every image shares at initialisation
/// (GELU features are mostly positive, so untrained embeddings all point one way), without which training at a fixed
/// logit scale of 100 does not start. Parameter names: <c>layers.{i}.weight</c> / <c>.bias</c> for the i-th
/// convolution, <c>post_layernorm.weight</c> / <c>.bias</c>, <c>visual_projection.weight</c>.
/// </summary>
/// <remarks>
/// Why convolution: a ViT with 8-pixel patches over 32-pixel photos must learn shape from how 16 patch vectors relate,
/// and at the ShapesWorld budget it does not (a linear probe finds shape at chance). Convolutions share one local
/// filter over every position, the inductive bias for edges and corners that shape is made of. Not thread-safe:
/// forward passes reuse the module's buffers.
/// </remarks>
public sealed class ClipConvVisionEncoder : ClipImageTower
{
    private readonly ClipVisionConfig _config;
    private readonly Module[] _stages;
    private readonly Tensor?[] _preActivations;
    private readonly Tensor?[] _activations;
    private readonly Tensor?[] _dActivations;
    private Tensor? _pixels;
    private Tensor? _flatSource;
    private Tensor? _flat;
    private Tensor? _dFlatSource;
    private Tensor? _dFlat;
    private Tensor? _pooledSource;
    private Tensor? _pooledFlat;
    private Tensor? _dPooledSource;
    private Tensor? _dPooled;
    private Tensor? _features;
    private Tensor? _dMap;

    /// <summary>Creates the tower; initialise or load its parameters next.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="config">Its shape; <see cref="ClipVisionConfig.Tower"/> must be <see cref="ClipVisionTower.Convolutional"/>.</param>
    /// <param name="projectionDim">D.</param>
    public ClipConvVisionEncoder(IComputeBackend backend, ClipVisionConfig config, int projectionDim)
        : base(backend)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(projectionDim);
        if (config.Tower != ClipVisionTower.Convolutional)
        {
            throw new ArgumentException($"vision_config.tower is {config.Tower}; this tower is {ClipVisionTower.Convolutional}.", nameof(config));
        }

        _config = config;
        var plan = config.ConvolutionPlan();
        var stages = new List<Module>();
        var convolutions = new List<Conv2d>();
        int channels = 3, side = config.ImageSize;
        foreach (var item in plan)
        {
            if (item == ClipVisionConfig.PoolMarker)
            {
                stages.Add(new MaxPool2d(backend, 2));
                side /= 2;
                continue;
            }

            var conv = AddModule(string.Create(CultureInfo.InvariantCulture, $"layers.{convolutions.Count}"), new Conv2d(backend, channels, item, kernel: 3, stride: 1, padding: 1));
            stages.Add(conv);
            convolutions.Add(conv);
            channels = item;
        }

        _stages = [.. stages];
        _preActivations = new Tensor?[_stages.Length];
        _activations = new Tensor?[_stages.Length];
        _dActivations = new Tensor?[_stages.Length];
        Convolutions = convolutions;
        FinalChannels = channels;
        FinalSide = side;
        PostNorm = AddModule("post_layernorm", new LayerNorm(backend, channels * side * side, config.LayerNormEpsilon));
        Projection = AddModule("visual_projection", new Linear(backend, channels * side * side, projectionDim, bias: false));
        Projection.Weight.InitStandardDeviation = 1f / MathF.Sqrt(channels * side * side);
        if (config.ConvGlobalMaxPool)
        {
            GlobalPool = new MaxPool2d(backend, side);
            PoolNorm = AddModule("pool_layernorm", new LayerNorm(backend, channels, config.LayerNormEpsilon));
            PoolProjection = AddModule("pool_projection", new Linear(backend, channels, projectionDim, bias: false));
            PoolProjection.Weight.InitStandardDeviation = 1f / MathF.Sqrt(channels);
        }
    }

    /// <summary>The shape it was built with.</summary>
    public ClipVisionConfig Config => _config;

    /// <summary>The convolutions in order.</summary>
    public IReadOnlyList<Conv2d> Convolutions { get; }

    /// <summary>Channels of the last feature map.</summary>
    public int FinalChannels { get; }

    /// <summary>Side of the last feature map.</summary>
    public int FinalSide { get; }

    /// <summary>LayerNorm over the flattened feature map.</summary>
    public LayerNorm PostNorm { get; }

    /// <summary>(D, C_L·s²) flattened feature map → D, no bias.</summary>
    public Linear Projection { get; }

    /// <summary>The s×s max pooling of the position-free branch, or null without it (<see cref="ClipVisionConfig.ConvGlobalMaxPool"/>).</summary>
    public MaxPool2d? GlobalPool { get; }

    /// <summary>LayerNorm over the pooled channels, or null.</summary>
    public LayerNorm? PoolNorm { get; }

    /// <summary>(D, C_L) pooled channels → D, no bias, or null.</summary>
    public Linear? PoolProjection { get; }

    /// <inheritdoc />
    public override int PixelsPerImage => 3 * _config.ImageSize * _config.ImageSize;

    /// <inheritdoc />
    public override Tensor Forward(ReadOnlySpan<float> pixels, int batch)
    {
        CheckPixels(pixels, batch, _config.ImageSize);
        _pixels = Buffer(_pixels, batch, 3, _config.ImageSize, _config.ImageSize);
        Backend.Upload(destination: _pixels, source: pixels);
        var x = _pixels;
        for (var i = 0; i < _stages.Length; i++)
        {
            if (_stages[i] is Conv2d conv)
            {
                var pre = conv.Forward(x);
                _preActivations[i] = pre;
                _activations[i] = Buffer(_activations[i], pre.Shape);
                Backend.ActivationForward(Activation.Gelu, _activations[i]!, pre);
                x = _activations[i]!;
            }
            else
            {
                x = ((MaxPool2d)_stages[i]).Forward(x);
            }
        }

        // The flattened view is cached: a new Tensor object per call would allocate in the training loop.
        if (!ReferenceEquals(_flatSource, x))
        {
            _flatSource = x;
            _flat = x.Reshape(batch, FinalChannels * FinalSide * FinalSide);
        }

        var projected = Projection.Forward(PostNorm.Forward(_flat!));
        if (GlobalPool is null)
        {
            return projected;
        }

        var pooled = GlobalPool.Forward(x);
        if (!ReferenceEquals(_pooledSource, pooled))
        {
            _pooledSource = pooled;
            _pooledFlat = pooled.Reshape(batch, FinalChannels);
        }

        var pooledProjected = PoolProjection!.Forward(PoolNorm!.Forward(_pooledFlat!));
        _features = Buffer(_features, projected.Shape);
        Backend.Add(_features, projected, pooledProjected);
        return _features;
    }

    /// <inheritdoc />
    public override void Backward(Tensor dFeatures)
    {
        ArgumentNullException.ThrowIfNull(dFeatures);
        RequireForward(_flat, nameof(ClipConvVisionEncoder));
        var dFlat = PostNorm.Backward(Projection.Backward(dFeatures));
        if (!ReferenceEquals(_dFlatSource, dFlat))
        {
            _dFlatSource = dFlat;
            _dFlat = dFlat.Reshape(_flatSource!.Shape.ToArray());
        }

        var d = _dFlat!;
        if (GlobalPool is not null)
        {
            var dPooled = PoolNorm!.Backward(PoolProjection!.Backward(dFeatures));
            if (!ReferenceEquals(_dPooledSource, dPooled))
            {
                _dPooledSource = dPooled;
                _dPooled = dPooled.Reshape(_pooledSource!.Shape.ToArray());
            }

            var dMap = GlobalPool.Backward(_dPooled!);
            _dMap = Buffer(_dMap, d.Shape);
            Backend.Add(_dMap, d, dMap);
            d = _dMap;
        }

        for (var i = _stages.Length - 1; i >= 0; i--)
        {
            if (_stages[i] is Conv2d conv)
            {
                var activation = _activations[i]!;
                _dActivations[i] = Buffer(_dActivations[i], activation.Shape);
                Backend.ActivationBackward(Activation.Gelu, _dActivations[i]!, d, _preActivations[i]!, activation);
                // The first stage is always a convolution (validated); the pixels need no gradient.
                var dInput = conv.Backward(_dActivations[i]!, inputGradient: i > 0);
                if (dInput is null)
                {
                    return;
                }

                d = dInput;
            }
            else
            {
                d = ((MaxPool2d)_stages[i]).Backward(d);
            }
        }
    }
}
