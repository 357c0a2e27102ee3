using CrossModal.Tensors;
using CrossModal.Tensors.Nn;

namespace CrossModal.Models.Captioning;

/// <summary>
/// ClipCap's MLP mapper (Mokady et al., 2021; <c>MLP((D, k·d/2, k·d))</c> in its code): D → k·d/2 → k·d with tanh
/// between, the output read as k prefix vectors. Children: <c>fc1</c>, <c>fc2</c>.
/// </summary>
public sealed class MlpMapper : PrefixMapper
{
    private readonly Linear _fc1;
    private readonly Linear _fc2;
    private Tensor? _pre;
    private Tensor? _hidden;
    private Tensor? _dHidden;
    private readonly (Tensor? Source, Tensor? View)[] _outputViews = new (Tensor?, Tensor?)[4];
    private int _nextOutputView;
    private Tensor? _gradientSource;
    private Tensor? _gradientView;

    /// <summary>Creates the mapper.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="embeddingDimension">D.</param>
    /// <param name="prefixLength">k.</param>
    /// <param name="width">d.</param>
    public MlpMapper(IComputeBackend backend, int embeddingDimension, int prefixLength, int width)
        : base(backend, embeddingDimension, prefixLength, width)
    {
        var hidden = System.Math.Max(1, prefixLength * width / 2);
        _fc1 = AddModule("fc1", new Linear(backend, embeddingDimension, hidden));
        _fc2 = AddModule("fc2", new Linear(backend, hidden, prefixLength * width));
    }

    /// <inheritdoc />
    public override PrefixMapperKind Kind => PrefixMapperKind.Mlp;

    /// <inheritdoc />
    public override Tensor Forward(Tensor embeddings)
    {
        var b = BatchOf(embeddings);
        _pre = _fc1.Forward(embeddings);
        _hidden = Buffer(_hidden, _pre.Shape);
        Backend.ActivationForward(Activation.Tanh, _hidden, _pre);
        var output = _fc2.Forward(_hidden);
        // The (B, k·d) → (B·k, d) view is cached with its buffer (one per buffer shape the layer alternates between,
        // e.g. a decoding batch's and a training batch's): steady-state steps allocate nothing.
        for (var i = 0; i < _outputViews.Length; i++)
        {
            if (ReferenceEquals(_outputViews[i].Source, output))
            {
                return _outputViews[i].View!;
            }
        }

        var view = output.Reshape(b * PrefixLength, Width);
        _outputViews[_nextOutputView] = (output, view);
        _nextOutputView = (_nextOutputView + 1) % _outputViews.Length;
        return view;
    }

    /// <inheritdoc />
    public override void Backward(Tensor dPrefix)
    {
        var hidden = RequireForward(_hidden, nameof(MlpMapper));
        if (!ReferenceEquals(dPrefix, _gradientSource))
        {
            _gradientSource = dPrefix;
            _gradientView = dPrefix.Reshape(hidden.Dim(0), PrefixLength * Width);
        }

        var dh = _fc2.Backward(_gradientView!);
        _dHidden = Buffer(_dHidden, hidden.Shape);
        Backend.ActivationBackward(Activation.Tanh, _dHidden, dh, _pre!, hidden);
        _fc1.Backward(_dHidden);
    }
}
