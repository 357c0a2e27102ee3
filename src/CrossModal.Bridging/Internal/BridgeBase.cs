using System;
using System.Globalization;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;

namespace CrossModal.Bridging.Internal;

/// <summary>
/// What every strategy shares: options validated and copied at construction, the fitted dimension, input checks
/// (null, dimension, non-finite values with the row index), and the state envelope (name, options, dimension).
/// </summary>
/// <typeparam name="TOptions">The strategy's options.</typeparam>
internal abstract class BridgeBase<TOptions> : IModalityBridge
    where TOptions : BridgeOptions
{
    protected BridgeBase(TOptions options, IComputeBackend? backend = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Backend = backend ?? CpuBackend.Default;

        // A private copy, so changing the caller's options object later cannot change a fitted bridge.
        Options = JsonSerializer.Deserialize<TOptions>(JsonSerializer.Serialize(options))!;
    }

    /// <summary>Where the strategy's bulk work (GEMMs, softmaxes, normalisations over N×D matrices) runs.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>The validated options (a private copy).</summary>
    public TOptions Options { get; }

    public abstract string Name { get; }

    /// <summary>The display name used in error messages, e.g. "Collapse".</summary>
    protected abstract string DisplayName { get; }

    /// <summary>The dimension fitted on; 0 before fitting (or for strategies that accept any dimension).</summary>
    protected int Dimension { get; set; }

    public virtual bool IsFitted => Dimension > 0;

    public void Fit(BridgeFitData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        FitCore(data);
    }

    public EmbeddingMatrix TransformForTraining(EmbeddingMatrix texts, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        EnsureFitted();
        EmbeddingOps.Validate(texts, Dimension, nameof(texts));
        return TrainingCore(texts, rng);
    }

    public EmbeddingMatrix TransformForInference(EmbeddingMatrix images)
    {
        EnsureFitted();
        EmbeddingOps.Validate(images, Dimension, nameof(images));
        return InferenceCore(images);
    }

    public BridgeState ExportState()
    {
        EnsureFitted();
        var state = new BridgeState();
        state.Metadata[BridgeStateKeys.Name] = Name;
        state.Metadata[BridgeStateKeys.Options] = JsonSerializer.Serialize(Options);
        state.Metadata[BridgeStateKeys.Dimension] = Dimension.ToString(CultureInfo.InvariantCulture);
        ExportCore(state);
        return state;
    }

    public void ImportState(BridgeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.Metadata.TryGetValue(BridgeStateKeys.Name, out var name) || name != Name)
        {
            throw new ArgumentException(
                $"The state belongs to bridge '{name ?? "(unnamed)"}' but this bridge is '{Name}'.", nameof(state));
        }

        var dimension = state.Metadata.TryGetValue(BridgeStateKeys.Dimension, out var d)
            ? int.Parse(d, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : 0;
        ImportCore(state, dimension);
        Dimension = dimension;
    }

    protected abstract void FitCore(BridgeFitData data);

    protected abstract EmbeddingMatrix TrainingCore(EmbeddingMatrix texts, Random rng);

    protected abstract EmbeddingMatrix InferenceCore(EmbeddingMatrix images);

    protected abstract void ExportCore(BridgeState state);

    protected abstract void ImportCore(BridgeState state, int dimension);

    /// <summary>A new matrix of the L2-normalised rows of <paramref name="matrix"/>, normalised on <see cref="Backend"/>.</summary>
    protected EmbeddingMatrix NormalizedOnBackend(EmbeddingMatrix matrix)
    {
        using var scope = new TensorScope(Backend);
        return scope.Download(scope.UploadNormalized(matrix));
    }

    /// <summary>Throws <see cref="InvalidOperationException"/> when the bridge is used before Fit or ImportState.</summary>
    protected void EnsureFitted()
    {
        if (!IsFitted)
        {
            throw new InvalidOperationException(
                $"The {DisplayName} bridge is not fitted: call Fit (or ImportState) before transforming embeddings.");
        }
    }

    /// <summary>Returns <paramref name="value"/> checked, or throws naming the missing <see cref="BridgeFitData"/> piece.</summary>
    protected EmbeddingMatrix Require(EmbeddingMatrix? value, string piece, string purpose, int expectedDimension = 0)
    {
        if (value is null || value.Rows == 0)
        {
            throw new ArgumentException(
                $"{DisplayName} needs BridgeFitData.{piece} {purpose}, but it is {(value is null ? "null" : "empty")}.",
                "data");
        }

        EmbeddingOps.Validate(value, expectedDimension, "data." + piece.Split(' ')[0]);
        return value;
    }

    /// <summary>Checks that two paired pieces have the same number of rows and dimension.</summary>
    protected void RequirePaired(EmbeddingMatrix first, string firstName, EmbeddingMatrix second, string secondName)
    {
        if (first.Rows != second.Rows)
        {
            throw new ArgumentException(
                $"{DisplayName} needs paired rows, but BridgeFitData.{firstName} has {first.Rows} rows and BridgeFitData.{secondName} has {second.Rows}.",
                "data");
        }

        if (first.Dimension != second.Dimension)
        {
            throw new ArgumentException(
                $"BridgeFitData.{firstName} has dimension {first.Dimension} but BridgeFitData.{secondName} has {second.Dimension}.",
                "data");
        }
    }

    /// <summary>Reads a tensor from <paramref name="state"/>, checking its element count.</summary>
    protected static float[] ReadTensor(BridgeState state, string name, long expectedLength)
    {
        if (!state.Tensors.TryGetValue(name, out var tensor))
        {
            throw new ArgumentException($"The bridge state lacks the tensor '{name}'.", nameof(state));
        }

        if (expectedLength >= 0 && tensor.Values.LongLength != expectedLength)
        {
            throw new ArgumentException(
                $"The bridge state's tensor '{name}' holds {tensor.Values.LongLength} values; expected {expectedLength}.", nameof(state));
        }

        return (float[])tensor.Values.Clone();
    }
}
