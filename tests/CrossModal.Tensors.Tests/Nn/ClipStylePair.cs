using System;
using CrossModal.Tensors.Nn;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>
/// The CLIP-style pair of make_nn_fixtures.py built from the nn modules: a causal text transformer with key padding
/// (QuickGELU) pooled at the end-of-text position, an MLP image tower, projections, L2 normalisation and the symmetric
/// contrastive loss with a learnable log temperature.
/// </summary>
internal sealed class ClipStylePair : Module
{
    private readonly TextTower _text;
    private readonly ImageTower _image;
    private Tensor? _textFeatures;
    private Tensor? _textNorms;
    private Tensor? _imageFeatures;
    private Tensor? _imageNorms;
    private Tensor? _logits;
    private Tensor? _rowLse;
    private Tensor? _columnLse;
    private Tensor? _dLogits;
    private Tensor? _dText;
    private Tensor? _dImage;
    private Tensor? _dTextRaw;
    private Tensor? _dImageRaw;

    public ClipStylePair(IComputeBackend backend, int vocabulary, int context, int width, int heads, int layers, int embed, int imageInput, int imageHidden)
        : base(backend)
    {
        _text = AddModule("text", new TextTower(backend, vocabulary, context, width, heads, layers, embed));
        _image = AddModule("image", new ImageTower(backend, imageInput, imageHidden, width, embed));
        LogitScale = AddParameter("logit_scale", ParameterInit.Zeros, 1);
    }

    public Parameter LogitScale { get; }

    public Tensor ImageFeatures => _imageFeatures!;

    public Tensor TextFeatures => _textFeatures!;

    public Tensor Logits => _logits!;

    public float ForwardLoss(ReadOnlySpan<int> tokens, ReadOnlySpan<byte> keyMask, ReadOnlySpan<int> eot, Tensor images, int batch, int time)
    {
        var t = _text.Forward(tokens, keyMask, eot, batch, time);
        var i = _image.Forward(images);
        _textFeatures = Buffer(_textFeatures, t.Shape);
        _imageFeatures = Buffer(_imageFeatures, i.Shape);
        _textNorms = Buffer(_textNorms, batch);
        _imageNorms = Buffer(_imageNorms, batch);
        Backend.L2NormalizeForward(_textFeatures, _textNorms, t, 1e-12f);
        Backend.L2NormalizeForward(_imageFeatures, _imageNorms, i, 1e-12f);
        _logits = Buffer(_logits, batch, batch);
        _rowLse = Buffer(_rowLse, batch);
        _columnLse = Buffer(_columnLse, batch);
        return Backend.ContrastiveLossForward(_logits, _rowLse, _columnLse, _imageFeatures, _textFeatures, LogitScale.Value);
    }

    public void Backward()
    {
        var n = _logits!.Dim(0);
        _dLogits = Buffer(_dLogits, n, n);
        _dText = Buffer(_dText, _textFeatures!.Shape);
        _dImage = Buffer(_dImage, _imageFeatures!.Shape);
        _dTextRaw = Buffer(_dTextRaw, _textFeatures.Shape);
        _dImageRaw = Buffer(_dImageRaw, _imageFeatures.Shape);
        Backend.ContrastiveLossBackward(_dImage, _dText, LogitScale.Gradient, _dLogits, _logits, _rowLse!, _columnLse!, _imageFeatures, _textFeatures, LogitScale.Value, 1f);
        Backend.L2NormalizeBackward(_dTextRaw, _dText, _textFeatures, _textNorms!, 1e-12f);
        Backend.L2NormalizeBackward(_dImageRaw, _dImage, _imageFeatures, _imageNorms!, 1e-12f);
        _text.Backward(_dTextRaw);
        _image.Backward(_dImageRaw);
    }

    private sealed class TextTower : Module
    {
        private readonly Embedding _tokens;
        private readonly Embedding _positions;
        private readonly TransformerStack _transformer;
        private readonly LayerNorm _final;
        private readonly Linear _projection;
        private int[] _pool = [];
        private Tensor? _pooled;
        private Tensor? _dHidden;
        private int _batch;
        private int _time;

        public TextTower(IComputeBackend backend, int vocabulary, int context, int width, int heads, int layers, int embed)
            : base(backend)
        {
            _tokens = AddModule("token_embedding", new Embedding(backend, vocabulary, width));
            _positions = AddModule("positional_embedding", new Embedding(backend, context, width));
            _transformer = AddModule("transformer", new TransformerStack(backend, layers, new TransformerBlockOptions
            {
                Width = width,
                Heads = heads,
                Activation = Activation.QuickGelu,
                Causal = true,
            }));
            _final = AddModule("ln_final", new LayerNorm(backend, width));
            _projection = AddModule("text_projection", new Linear(backend, width, embed, bias: false));
        }

        public Tensor Forward(ReadOnlySpan<int> tokens, ReadOnlySpan<byte> keyMask, ReadOnlySpan<int> eot, int batch, int time)
        {
            var x = _tokens.Forward(tokens);
            Backend.AddPositionEmbedding(x, _positions.Weight.Value, batch, time);
            var h = _final.Forward(_transformer.Forward(x, batch, time, keyMask));
            if (_pool.Length != batch)
            {
                _pool = new int[batch];
            }

            for (var b = 0; b < batch; b++)
            {
                _pool[b] = (b * time) + eot[b];
            }

            _pooled = Buffer(_pooled, batch, h.Dim(1));
            Backend.EmbeddingForward(_pooled, _pool, h);
            (_batch, _time) = (batch, time);
            return _projection.Forward(_pooled);
        }

        public void Backward(Tensor dFeatures)
        {
            var dPooled = _projection.Backward(dFeatures);
            _dHidden = Buffer(_dHidden, _batch * _time, dPooled.Dim(1));
            Backend.Fill(_dHidden, 0f);
            Backend.EmbeddingBackward(_dHidden, dPooled, _pool);
            var dx = _transformer.Backward(_final.Backward(_dHidden));
            Backend.AddPositionEmbeddingBackward(_positions.Weight.Gradient, dx, _batch, _time);
            _tokens.Backward(dx);
        }
    }

    private sealed class ImageTower : Module
    {
        private readonly Linear _fc1;
        private readonly Linear _fc2;
        private readonly LayerNorm _norm;
        private readonly Linear _projection;
        private Tensor? _pre;
        private Tensor? _hidden;
        private Tensor? _dHidden;

        public ImageTower(IComputeBackend backend, int input, int hidden, int width, int embed)
            : base(backend)
        {
            _fc1 = AddModule("fc1", new Linear(backend, input, hidden));
            _fc2 = AddModule("fc2", new Linear(backend, hidden, width));
            _norm = AddModule("ln", new LayerNorm(backend, width));
            _projection = AddModule("visual_projection", new Linear(backend, width, embed, bias: false));
        }

        public Tensor Forward(Tensor images)
        {
            _pre = _fc1.Forward(images);
            _hidden = Buffer(_hidden, _pre.Shape);
            Backend.ActivationForward(Activation.QuickGelu, _hidden, _pre);
            return _projection.Forward(_norm.Forward(_fc2.Forward(_hidden)));
        }

        public void Backward(Tensor dFeatures)
        {
            var dh = _fc2.Backward(_norm.Backward(_projection.Backward(dFeatures)));
            _dHidden = Buffer(_dHidden, dh.Shape);
            Backend.ActivationBackward(Activation.QuickGelu, _dHidden, dh, _pre!, _hidden!);
            _fc1.Backward(_dHidden);
        }
    }
}
