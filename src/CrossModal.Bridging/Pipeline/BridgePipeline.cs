using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging.Internal;

namespace CrossModal.Bridging;

/// <summary>
/// Strategies applied in order (C3 = Collapse then GaussianNoise). Every stage is fitted on the same
/// <see cref="BridgeFitData"/>; each transform feeds the previous stage's output to the next. With no stages it is
/// the identity on L2-normalised rows (the "C1" baseline).
/// </summary>
public sealed class BridgePipeline : IModalityBridge
{
    /// <summary>The <see cref="Name"/> of a pipeline's saved state.</summary>
    public const string PipelineName = "pipeline";

    private readonly IModalityBridge[] _stages;

    /// <summary>Creates a pipeline over <paramref name="stages"/>, applied in order.</summary>
    /// <param name="stages">The stages; none may be null.</param>
    public BridgePipeline(IEnumerable<IModalityBridge> stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        _stages = stages.ToArray();
        for (var i = 0; i < _stages.Length; i++)
        {
            if (_stages[i] is null)
            {
                throw new ArgumentException($"Stage {i} is null.", nameof(stages));
            }
        }
    }

    /// <summary>The stages, in application order.</summary>
    public IReadOnlyList<IModalityBridge> Stages => _stages;

    /// <summary>The stage names joined by '+', or "identity" for an empty pipeline.</summary>
    public string Name => _stages.Length == 0 ? "identity" : string.Join("+", _stages.Select(s => s.Name));

    /// <inheritdoc />
    public bool IsFitted => _stages.All(s => s.IsFitted);

    /// <summary>Fits every stage on <paramref name="data"/>, in order.</summary>
    /// <param name="data">The fitting data; each stage takes what it needs.</param>
    public void Fit(BridgeFitData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        foreach (var stage in _stages)
        {
            stage.Fit(data);
        }
    }

    /// <summary>Applies every stage's training transform in order, sharing <paramref name="rng"/>.</summary>
    /// <param name="texts">Text embeddings.</param>
    /// <param name="rng">Randomness for the noise stages.</param>
    public EmbeddingMatrix TransformForTraining(EmbeddingMatrix texts, Random rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (_stages.Length == 0)
        {
            EmbeddingOps.Validate(texts, 0, nameof(texts));
            return EmbeddingOps.Normalized(texts);
        }

        var x = texts;
        foreach (var stage in _stages)
        {
            x = stage.TransformForTraining(x, rng);
        }

        return x;
    }

    /// <summary>Applies every stage's inference transform in order.</summary>
    /// <param name="images">Image embeddings.</param>
    public EmbeddingMatrix TransformForInference(EmbeddingMatrix images)
    {
        if (_stages.Length == 0)
        {
            EmbeddingOps.Validate(images, 0, nameof(images));
            return EmbeddingOps.Normalized(images);
        }

        var x = images;
        foreach (var stage in _stages)
        {
            x = stage.TransformForInference(x);
        }

        return x;
    }

    /// <summary>
    /// The state of every stage: tensors prefixed <c>stage{i}.</c>, each stage's metadata likewise, plus the
    /// pipeline's own name and stage count.
    /// </summary>
    public BridgeState ExportState()
    {
        var state = new BridgeState();
        state.Metadata[BridgeStateKeys.Name] = PipelineName;
        state.Metadata[BridgeStateKeys.StageCount] = _stages.Length.ToString(CultureInfo.InvariantCulture);
        for (var i = 0; i < _stages.Length; i++)
        {
            var prefix = StagePrefix(i);
            var stageState = _stages[i].ExportState();
            foreach (var (key, value) in stageState.Metadata)
            {
                state.Metadata[prefix + key] = value;
            }

            foreach (var (key, value) in stageState.Tensors)
            {
                state.Tensors[prefix + key] = value;
            }
        }

        return state;
    }

    /// <summary>Restores state exported by a pipeline with the same stages (checked by name).</summary>
    /// <param name="state">Previously exported state.</param>
    public void ImportState(BridgeState state)
    {
        var stages = SplitStages(state);
        if (stages.Count != _stages.Length)
        {
            throw new ArgumentException($"The state holds {stages.Count} stages but this pipeline has {_stages.Length}.", nameof(state));
        }

        for (var i = 0; i < _stages.Length; i++)
        {
            _stages[i].ImportState(stages[i]);
        }
    }

    /// <summary>
    /// Rebuilds a fitted pipeline from saved state alone: each stage is recreated from its recorded name and
    /// options, then given its tensors. Works for the built-in strategies.
    /// </summary>
    /// <param name="state">State written by <see cref="ExportState"/> (of a pipeline or of a single built-in strategy).</param>
    /// <param name="backend">Where the strategies' bulk work runs; <see cref="Tensors.Cpu.CpuBackend.Default"/> when null.</param>
    /// <exception cref="ArgumentException">A stage is not a built-in strategy, or the state is incomplete.</exception>
    public static BridgePipeline FromState(BridgeState state, Tensors.IComputeBackend? backend = null)
    {
        var stages = new List<IModalityBridge>();
        foreach (var stageState in SplitStages(state))
        {
            var name = stageState.Metadata.GetValueOrDefault(BridgeStateKeys.Name)
                ?? throw new ArgumentException("A stage of the bridge state has no name.", nameof(state));
            var options = stageState.Metadata.GetValueOrDefault(BridgeStateKeys.Options) ?? "{}";
            var bridge = BridgeFactory.Create(name, options, backend);
            bridge.ImportState(stageState);
            stages.Add(bridge);
        }

        return new BridgePipeline(stages);
    }

    private static List<BridgeState> SplitStages(BridgeState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var name = state.Metadata.GetValueOrDefault(BridgeStateKeys.Name);
        if (name != PipelineName)
        {
            // A single strategy's state is a one-stage pipeline.
            return name is null
                ? throw new ArgumentException("The bridge state has no name; it was not written by CrossModal.", nameof(state))
                : new List<BridgeState> { state };
        }

        if (!int.TryParse(state.Metadata.GetValueOrDefault(BridgeStateKeys.StageCount), NumberStyles.Integer, CultureInfo.InvariantCulture, out var count)
            || count < 0)
        {
            throw new ArgumentException("The pipeline state lacks a valid stage count.", nameof(state));
        }

        var result = new List<BridgeState>(count);
        for (var i = 0; i < count; i++)
        {
            var prefix = StagePrefix(i);
            var stage = new BridgeState();
            foreach (var (key, value) in state.Metadata.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)))
            {
                stage.Metadata[key[prefix.Length..]] = value;
            }

            foreach (var (key, value) in state.Tensors.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal)))
            {
                stage.Tensors[key[prefix.Length..]] = value;
            }

            result.Add(stage);
        }

        return result;
    }

    private static string StagePrefix(int index) => BridgeStateKeys.StagePrefix + index.ToString(CultureInfo.InvariantCulture) + ".";
}
