using System;

namespace CrossModal.Tensors.Nn;

/// <summary>Inverted dropout with a seeded mask; the identity in evaluation mode or when p = 0.</summary>
public sealed class Dropout : Module
{
    private readonly ulong _seed;
    private ulong _calls;
    private Tensor? _output;
    private Tensor? _mask;
    private Tensor? _dInput;
    private bool _active;

    /// <summary>Creates the layer.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="probability">Drop probability p in [0, 1).</param>
    /// <param name="seed">Seed of the masks; each training call advances a counter so masks differ per step.</param>
    public Dropout(IComputeBackend backend, float probability, ulong seed)
        : base(backend)
    {
        if (!(probability >= 0f && probability < 1f))
        {
            throw new ArgumentOutOfRangeException(nameof(probability), probability, "Expected a drop probability in [0, 1).");
        }

        Probability = probability;
        _seed = seed;
    }

    /// <summary>p.</summary>
    public float Probability { get; }

    /// <summary>
    /// Training forward passes so far: the position in the mask stream. A checkpoint that saves and restores it makes
    /// a resumed run draw the masks an uninterrupted run would.
    /// </summary>
    public ulong Calls
    {
        get => _calls;
        set => _calls = value;
    }

    /// <summary>Forward pass.</summary>
    /// <param name="input">Any shape.</param>
    /// <returns><paramref name="input"/> itself when inactive, else a buffer owned by the layer.</returns>
    public Tensor Forward(Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _active = IsTraining && Probability > 0f;
        if (!_active)
        {
            return input;
        }

        _output = Buffer(_output, input.Shape);
        _mask = Buffer(_mask, input.Shape);
        Backend.DropoutForward(_output, _mask, input, Probability, NextSeed);
        _calls++;
        return _output;
    }

    /// <summary>
    /// Writes, without drawing it, the multipliers (0 or 1/(1 − p); all 1 when p = 0) that the next training-mode
    /// <see cref="Forward"/> will apply to elements <c>[firstIndex, firstIndex + N)</c> of its (row-major) input. A
    /// decoding step uses it to run with the very masks a later teacher-forced pass over the same sequences draws.
    /// </summary>
    /// <param name="mask">(N) written.</param>
    /// <param name="firstIndex">Index of <paramref name="mask"/>[0] in the next call's input.</param>
    public void WriteNextMask(Span<float> mask, long firstIndex)
    {
        if (Probability == 0f)
        {
            mask.Fill(1f);
            return;
        }

        Cpu.Kernels.Dropout.Mask(mask, Probability, NextSeed, firstIndex);
    }

    private ulong NextSeed => unchecked((_seed * 0x9E3779B97F4A7C15UL) + _calls);

    /// <summary>Backward pass.</summary>
    /// <param name="dOutput">Same shape as the forward input.</param>
    /// <returns><paramref name="dOutput"/> itself when inactive, else a buffer owned by the layer.</returns>
    public Tensor Backward(Tensor dOutput)
    {
        ArgumentNullException.ThrowIfNull(dOutput);
        if (!_active)
        {
            return dOutput;
        }

        _dInput = Buffer(_dInput, dOutput.Shape);
        Backend.DropoutBackward(_dInput, dOutput, _mask!);
        return _dInput;
    }
}
