using System;
using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Captioning;

/// <summary>
/// ClipCap's transformer mapper (Mokady et al., 2021, §3; <c>TransformerMapper</c> in its code): a linear layer maps the
/// embedding to k' vectors, k learned constants are appended, a small bidirectional transformer mixes the k' + k
/// vectors, and the last k outputs are the prefix. ClipCap pairs it with a frozen GPT-2. Children: <c>linear</c>,
/// <c>prefix_const</c>, <c>transformer</c>. Our blocks use GELU where ClipCap's use ReLU (the nn layer has no ReLU);
/// the MLP ratio is ClipCap's 2.
/// </summary>
public sealed class TransformerMapper : PrefixMapper
{
    private readonly Linear _linear;
    private readonly Parameter _constants;
    private readonly TransformerStack _transformer;
    private readonly int _clipLength;
    private Tensor? _sequence;
    private Tensor? _output;
    private Tensor? _dSequence;
    private Tensor? _dLinear;
    private Tensor[] _views = [];
    private int _viewBatch;

    /// <summary>Creates the mapper.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="embeddingDimension">D.</param>
    /// <param name="prefixLength">k.</param>
    /// <param name="width">d.</param>
    /// <param name="clipLength">k', the vectors made from the embedding (ClipCap: 10).</param>
    /// <param name="layers">Transformer blocks (ClipCap: 8).</param>
    /// <param name="heads">Attention heads, dividing d (ClipCap: 8).</param>
    public TransformerMapper(IComputeBackend backend, int embeddingDimension, int prefixLength, int width, int clipLength = 10, int layers = 8, int heads = 8)
        : base(backend, embeddingDimension, prefixLength, width)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clipLength);
        _clipLength = clipLength;
        ClipLength = clipLength;
        Layers = layers;
        Heads = heads;
        _linear = AddModule("linear", new Linear(backend, embeddingDimension, clipLength * width));
        var constants = AddModule("prefix_const", new ConstantVectors(backend, prefixLength, width));
        _constants = constants.Weight;
        _transformer = AddModule("transformer", new TransformerStack(backend, layers, new TransformerBlockOptions
        {
            Width = width,
            Heads = heads,
            MlpHidden = 2 * width,
            Causal = false,
        }));
    }

    /// <inheritdoc />
    public override PrefixMapperKind Kind => PrefixMapperKind.Transformer;

    /// <summary>k'.</summary>
    public int ClipLength { get; }

    /// <summary>Transformer blocks.</summary>
    public int Layers { get; }

    /// <summary>Attention heads.</summary>
    public int Heads { get; }

    /// <inheritdoc />
    public override Tensor Forward(Tensor embeddings)
    {
        var b = BatchOf(embeddings);
        var (k, d, s) = (PrefixLength, Width, _clipLength + PrefixLength);
        var mapped = _linear.Forward(embeddings);
        _sequence = Buffer(_sequence, b * s, d);
        _output = Buffer(_output, b * k, d);
        Prepare(b, mapped);
        for (var i = 0; i < b; i++)
        {
            Backend.Copy(destination: _views[(i * 6) + 1], source: _views[(i * 6) + 0]);
            Backend.Copy(destination: _views[(i * 6) + 2], source: _constants.Value);
        }

        var y = _transformer.Forward(_sequence, b, s);
        PrepareOutput(b, y);
        for (var i = 0; i < b; i++)
        {
            Backend.Copy(destination: _outputViews[(i * 2) + 1], source: _outputViews[(i * 2) + 0]);
        }

        return _output;
    }

    /// <inheritdoc />
    public override void Backward(Tensor dPrefix)
    {
        var sequence = RequireForward(_sequence, nameof(TransformerMapper));
        var b = _viewBatch;
        _dSequence = Buffer(_dSequence, sequence.Shape);
        Backend.Fill(_dSequence, 0f);
        PrepareGradient(b, dPrefix);
        for (var i = 0; i < b; i++)
        {
            Backend.Copy(destination: _gradientViews[(i * 2) + 1], source: _gradientViews[(i * 2) + 0]);
        }

        var dx = _transformer.Backward(_dSequence);
        PrepareInputGradient(b, dx);
        for (var i = 0; i < b; i++)
        {
            Backend.Copy(destination: _inputGradientViews[(i * 3) + 1], source: _inputGradientViews[(i * 3) + 0]);
            Backend.Axpy(_constants.Gradient, 1f, _inputGradientViews[(i * 3) + 2]);
        }

        _linear.Backward(_dLinear!);
    }

    private Tensor[] _outputViews = [];
    private Tensor[] _gradientViews = [];
    private Tensor[] _inputGradientViews = [];
    private (Tensor?, Tensor?) _outputKey;
    private (Tensor?, Tensor?) _gradientKey;
    private (Tensor?, Tensor?) _inputGradientKey;
    private (Tensor?, Tensor?) _inputKey;

    // The views below are rebuilt only when a buffer changes (a new batch size), so steady-state steps allocate nothing.
    private void Prepare(int b, Tensor mapped)
    {
        if (_inputKey == (mapped, _sequence) && _viewBatch == b)
        {
            return;
        }

        var (k, d, s, kc) = (PrefixLength, Width, _clipLength + PrefixLength, _clipLength);
        _views = new Tensor[b * 6];
        for (var i = 0; i < b; i++)
        {
            _views[(i * 6) + 0] = mapped.View((long)i * kc * d, kc, d);
            _views[(i * 6) + 1] = _sequence!.View((long)i * s * d, kc, d);
            _views[(i * 6) + 2] = _sequence!.View(((long)i * s + kc) * d, k, d);
        }

        _inputKey = (mapped, _sequence);
        _viewBatch = b;
    }

    private void PrepareOutput(int b, Tensor y)
    {
        if (_outputKey == (y, _output) && _outputViews.Length == 2 * b)
        {
            return;
        }

        var (k, d, s, kc) = (PrefixLength, Width, _clipLength + PrefixLength, _clipLength);
        _outputViews = new Tensor[b * 2];
        for (var i = 0; i < b; i++)
        {
            _outputViews[(i * 2) + 0] = y.View(((long)i * s + kc) * d, k, d);
            _outputViews[(i * 2) + 1] = _output!.View((long)i * k * d, k, d);
        }

        _outputKey = (y, _output);
    }

    private void PrepareGradient(int b, Tensor dPrefix)
    {
        if (dPrefix.Length != (long)b * PrefixLength * Width)
        {
            throw new ArgumentException($"Expected ({b}·{PrefixLength}, {Width}) prefix gradients but got {dPrefix}.", nameof(dPrefix));
        }

        if (_gradientKey == (dPrefix, _dSequence) && _gradientViews.Length == 2 * b)
        {
            return;
        }

        var (k, d, s, kc) = (PrefixLength, Width, _clipLength + PrefixLength, _clipLength);
        _gradientViews = new Tensor[b * 2];
        for (var i = 0; i < b; i++)
        {
            _gradientViews[(i * 2) + 0] = dPrefix.View((long)i * k * d, k, d);
            _gradientViews[(i * 2) + 1] = _dSequence!.View(((long)i * s + kc) * d, k, d);
        }

        _gradientKey = (dPrefix, _dSequence);
    }

    private void PrepareInputGradient(int b, Tensor dx)
    {
        _dLinear = Buffer(_dLinear, b, _clipLength * Width);
        if (_inputGradientKey == (dx, _dLinear) && _inputGradientViews.Length == 3 * b)
        {
            return;
        }

        var (k, d, s, kc) = (PrefixLength, Width, _clipLength + PrefixLength, _clipLength);
        _inputGradientViews = new Tensor[b * 3];
        for (var i = 0; i < b; i++)
        {
            _inputGradientViews[(i * 3) + 0] = dx.View((long)i * s * d, kc, d);
            _inputGradientViews[(i * 3) + 1] = _dLinear.View((long)i * kc * d, kc, d);
            _inputGradientViews[(i * 3) + 2] = dx.View(((long)i * s + kc) * d, k, d);
        }

        _inputGradientKey = (dx, _dLinear);
    }

    /// <summary>ClipCap's <c>prefix_const</c>: k learned vectors, initialised N(0, 1) as <c>torch.randn</c>.</summary>
    private sealed class ConstantVectors : Module
    {
        public ConstantVectors(IComputeBackend backend, int count, int width)
            : base(backend)
        {
            Weight = AddParameter("weight", ParameterInit.Normal, count, width);
            Weight.InitStandardDeviation = 1f;
        }

        public Parameter Weight { get; }
    }
}
