using System;
using System.Collections.Generic;
using System.Globalization;

namespace CrossModal.Tensors.Nn;

/// <summary>A stack of identical pre-LN <see cref="TransformerBlock"/>s named <c>0</c>, <c>1</c>, … (so, registered as <c>h</c>, <c>h.0.attn…</c>).</summary>
public sealed class TransformerStack : Module
{
    private readonly TransformerBlock[] _blocks;

    /// <summary>Creates the stack.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="layers">Number of blocks L.</param>
    /// <param name="options">Options of every block.</param>
    public TransformerStack(IComputeBackend backend, int layers, TransformerBlockOptions options)
        : base(backend)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(layers);
        ArgumentNullException.ThrowIfNull(options);
        _blocks = new TransformerBlock[layers];
        for (var i = 0; i < layers; i++)
        {
            var blockOptions = new TransformerBlockOptions
            {
                Width = options.Width,
                Heads = options.Heads,
                MlpHidden = options.MlpHidden,
                Activation = options.Activation,
                Causal = options.Causal,
                LayerNormEpsilon = options.LayerNormEpsilon,
                Dropout = options.Dropout,
                DropoutSeed = (options.DropoutSeed * 1000) + (ulong)i,
            };
            _blocks[i] = AddModule(i.ToString(CultureInfo.InvariantCulture), new TransformerBlock(backend, blockOptions));
        }
    }

    /// <summary>The blocks, first to last.</summary>
    public IReadOnlyList<TransformerBlock> Blocks => _blocks;

    /// <summary>Forward pass through every block.</summary>
    /// <param name="input">(B·T, C).</param>
    /// <param name="batch">B.</param>
    /// <param name="time">T.</param>
    /// <param name="keyMask">(B·T) 1 = attend, 0 = padding; empty for none.</param>
    /// <returns>(B·T, C), owned by the last block.</returns>
    public Tensor Forward(Tensor input, int batch, int time, ReadOnlySpan<byte> keyMask = default)
    {
        var x = input;
        foreach (var block in _blocks)
        {
            x = block.Forward(x, batch, time, keyMask);
        }

        return x;
    }

    /// <summary>Backward pass through every block, last to first.</summary>
    /// <param name="dOutput">(B·T, C).</param>
    /// <returns>dInput (B·T, C), owned by the first block.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        var d = dOutput;
        for (var i = _blocks.Length - 1; i >= 0; i--)
        {
            d = _blocks[i].Backward(d);
        }

        return d;
    }
}
