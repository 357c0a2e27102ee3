using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Tensors.Optim;
using CrossModal.Text;

namespace CrossModal.Training.Captioning;

/// <summary>Where a training run stood when its checkpoint was written (for resuming).</summary>
public sealed class CaptionTrainingState
{
    /// <summary>Epoch in progress (zero-based).</summary>
    public int Epoch { get; set; }

    /// <summary>Batches of <see cref="Epoch"/> already done.</summary>
    public int BatchInEpoch { get; set; }

    /// <summary>Optimiser steps done in total.</summary>
    public long Step { get; set; }

    /// <summary>Best validation loss so far (NaN before the first validation).</summary>
    public double BestValidationLoss { get; set; } = double.NaN;

    /// <summary>Epochs since the validation loss last improved.</summary>
    public int EpochsWithoutImprovement { get; set; }

    /// <summary>Whether the run finished (all epochs, or early stopping).</summary>
    public bool Completed { get; set; }
}

/// <summary>
/// A trained (or training) captioner as one object: the model, the tokenizer it was trained with, the fitted bridge,
/// and for resuming the training options, the position in the run and the optimiser. Saved as one safetensors file
/// (<see cref="Save"/>, written to a temporary file and renamed) holding the model weights (<c>model.*</c>), optionally
/// the AdamW moments (<c>optimizer.m.{i}</c>, <c>optimizer.v.{i}</c>) and the bridge's fitted state (<c>bridge.*</c>),
/// and as metadata the model options, the tokenizer with its vocabulary (see <see cref="TokenizerRegistry"/>), the
/// training options and state. See docs/io.md for the format and its versions.
/// </summary>
public sealed class CaptionerCheckpoint
{
    /// <summary>The value of the <c>crossmodal.format</c> metadata key.</summary>
    public const string FormatName = "crossmodal-prefix-captioner";

    /// <summary>The format version <see cref="Save"/> writes; <see cref="Load"/> reads it and version 1.</summary>
    /// <remarks>Version 2 stores the vocabulary of a GPT-2 or CLIP tokenizer loaded from files (version 1 stored only the
    /// name, so such a model reloaded with the embedded vocabulary) and writes the training options' supervision as
    /// <c>"Supervision"</c> (version 1: <c>"Paired": true|false</c>, still read).</remarks>
    public const int FormatVersion = 2;

    // The best validation loss is NaN before the first validation; JSON has no NaN, so allow the named literals.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private const string FormatKey = "crossmodal.format";
    private const string VersionKey = "crossmodal.version";
    private const string OptionsKey = "model.spec";
    private const string DecoderSourceKey = "model.decoder_source";
    private const string TokenizerPrefix = "tokenizer.";
    private const string TrainingOptionsKey = "training.options";
    private const string StateKey = "training.state";
    private const string OptimizerStepKey = "optimizer.step";
    private const string BridgeMetadataPrefix = "bridge.";
    private const string ModelPrefix = "model.";
    private const string BridgePrefix = "bridge.";

    // The AdamW moments and step read by Load, kept until a resumed trainer restores them (null for a finished model).
    private (HostArray First, HostArray Second)[]? _moments;
    private int _optimizerStep;

    /// <summary>Creates a checkpoint of a model and the tokenizer it is trained with.</summary>
    /// <param name="model">The model; its <see cref="PrefixLanguageModel.Options"/> are saved with the weights.</param>
    /// <param name="tokenizer">A <see cref="WordTokenizer"/>, <see cref="Gpt2Tokenizer"/> or <see cref="ClipTokenizer"/>.</param>
    /// <exception cref="ArgumentException">The tokenizer has more ids than the decoder's vocabulary, or is of a type that cannot be saved.</exception>
    public CaptionerCheckpoint(PrefixLanguageModel model, ITokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabularySize > model.Decoder.Options.VocabularySize)
        {
            throw new ArgumentException(
                $"The tokenizer has {tokenizer.VocabularySize} ids but the decoder only {model.Decoder.Options.VocabularySize}.", nameof(tokenizer));
        }

        // Refuse now, not at the first save hours later, a tokenizer no file could rebuild.
        TokenizerRegistry.Export(tokenizer);
        Model = model;
        Tokenizer = tokenizer;
    }

    /// <summary>The model.</summary>
    public PrefixLanguageModel Model { get; }

    /// <summary>The tokenizer the model was trained with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The fitted bridge, or null when trained without one.</summary>
    public IModalityBridge? Bridge { get; init; }

    /// <summary>The training options of the run, or null.</summary>
    public CaptionTrainerOptions? TrainingOptions { get; init; }

    /// <summary>Where the run stood.</summary>
    /// <value>A finished run.</value>
    public CaptionTrainingState State { get; init; } = new() { Completed = true };

    /// <summary>The optimiser whose moments <see cref="Save"/> writes for resuming, or null for a finished model.</summary>
    public AdamW? Optimizer { get; init; }

    /// <summary>Whether the checkpoint holds optimiser moments, so a run can resume exactly.</summary>
    public bool HasOptimizerState => Optimizer is not null || _moments is not null;

    /// <summary>A captioner over the model, tokenizer and bridge.</summary>
    /// <param name="decoding">Decoding options; greedy when null.</param>
    public PrefixCaptioner ToCaptioner(DecodingOptions? decoding = null) => new(Model, Tokenizer, Bridge, decoding);

    /// <summary>Writes the checkpoint to <paramref name="path"/> (a temporary file, then renamed).</summary>
    /// <param name="path">Destination file.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatName,
            [VersionKey] = FormatVersion.ToString(CultureInfo.InvariantCulture),
            [OptionsKey] = JsonSerializer.Serialize(Model.Options, Json),
            [StateKey] = JsonSerializer.Serialize(State, Json),
        };
        if (Model.Decoder.Source is { } source)
        {
            metadata[DecoderSourceKey] = source;
        }

        foreach (var (key, value) in TokenizerRegistry.Export(Tokenizer))
        {
            metadata[TokenizerPrefix + key] = value;
        }

        if (TrainingOptions is not null)
        {
            metadata[TrainingOptionsKey] = JsonSerializer.Serialize(TrainingOptions, Json);
        }

        foreach (var (name, parameter) in Model.NamedParameters())
        {
            tensors[ModelPrefix + name] = new HostArray(parameter.Value.Shape.ToArray(), parameter.Value.ToArray());
        }

        if (Optimizer is not null)
        {
            metadata[OptimizerStepKey] = Optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < Optimizer.FirstMoments.Count; i++)
            {
                var m = Optimizer.FirstMoments[i];
                var v = Optimizer.SecondMoments[i];
                tensors[MomentName("m", i)] = new HostArray(m.Shape.ToArray(), m.ToArray());
                tensors[MomentName("v", i)] = new HostArray(v.Shape.ToArray(), v.ToArray());
            }
        }
        else if (_moments is not null)
        {
            metadata[OptimizerStepKey] = _optimizerStep.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < _moments.Length; i++)
            {
                tensors[MomentName("m", i)] = _moments[i].First;
                tensors[MomentName("v", i)] = _moments[i].Second;
            }
        }

        if (Bridge is not null)
        {
            var bridgeState = Bridge.ExportState();
            foreach (var (key, value) in bridgeState.Metadata)
            {
                metadata[BridgeMetadataPrefix + key] = value;
            }

            foreach (var (key, (shape, values)) in bridgeState.Tensors)
            {
                tensors[BridgePrefix + key] = new HostArray(shape, values);
            }
        }

        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>
    /// Reads a checkpoint written by <see cref="Save"/> (format version 1 or 2) and rebuilds the model, tokenizer and
    /// bridge. Tensors are read one at a time straight into the model and the file is closed before returning; only
    /// the optimiser moments, when the file has them, stay on the host for <see cref="CaptionTrainer.Resume"/>.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="backend">Where to put the model; the process-wide CPU backend by default.</param>
    /// <exception cref="InvalidDataException">The file is not a captioner checkpoint, has an unknown format version, or
    /// is incomplete or inconsistent; the message names the file and what was expected.</exception>
    public static CaptionerCheckpoint Load(string path, IComputeBackend? backend = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        backend ??= Tensors.Cpu.CpuBackend.Default;
        using var reader = SafeTensorsReader.Open(path);
        var metadata = reader.Metadata;
        if (metadata.GetValueOrDefault(FormatKey) != FormatName)
        {
            throw new InvalidDataException($"{path}: not a CrossModal captioner checkpoint (no '{FormatKey}': '{FormatName}' metadata).");
        }

        var version = metadata.GetValueOrDefault(VersionKey);
        if (version is not ("1" or "2"))
        {
            throw new InvalidDataException($"{path}: captioner checkpoint format version '{version}' is not supported; this library reads versions 1 and 2.");
        }

        try
        {
            var options = JsonSerializer.Deserialize<PrefixLanguageModelOptions>(Required(metadata, OptionsKey, path), Json)
                ?? throw new InvalidDataException($"{path}: the model options ('{OptionsKey}') are null.");
            var model = new PrefixLanguageModel(backend, options);
            model.Decoder.Source = metadata.GetValueOrDefault(DecoderSourceKey);
            var host = Array.Empty<float>();
            foreach (var (name, parameter) in model.NamedParameters())
            {
                var stored = ModelPrefix + name;
                if (!reader.Contains(stored))
                {
                    throw new InvalidDataException($"{path}: the tensor '{stored}' is missing.");
                }

                var shape = reader.GetShape(stored);
                if (!shape.AsSpan().SequenceEqual(parameter.Value.Shape))
                {
                    throw new InvalidDataException(
                        $"{path}: '{stored}' has shape {TensorShape.Format(shape)} but the model expects {TensorShape.Format(parameter.Value.Shape)}.");
                }

                if (host.Length < parameter.Length)
                {
                    host = new float[parameter.Length];
                }

                var values = host.AsSpan(0, (int)parameter.Length);
                reader.Read(stored, values);
                parameter.Value.CopyFrom(values);
            }

            var tokenizerEntries = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in metadata)
            {
                if (key.StartsWith(TokenizerPrefix, StringComparison.Ordinal))
                {
                    tokenizerEntries[key[TokenizerPrefix.Length..]] = value;
                }
            }

            var tokenizer = TokenizerRegistry.Import(tokenizerEntries, path);
            var checkpoint = new CaptionerCheckpoint(model, tokenizer)
            {
                Bridge = ReadBridge(reader, metadata),
                TrainingOptions = metadata.TryGetValue(TrainingOptionsKey, out var trainingOptions) ? ReadTrainingOptions(trainingOptions) : null,
                State = JsonSerializer.Deserialize<CaptionTrainingState>(Required(metadata, StateKey, path), Json) ?? new CaptionTrainingState(),
            };
            checkpoint.ReadMoments(reader, metadata, path);
            return checkpoint;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException or FormatException or OverflowException
                                       or InvalidOperationException or KeyNotFoundException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Restores the optimiser moments and step count saved with the checkpoint.</summary>
    /// <param name="optimizer">An optimiser over the same parameters, in the same order.</param>
    /// <returns>False when the checkpoint holds no optimiser state.</returns>
    internal bool RestoreOptimizer(AdamW optimizer)
    {
        if (Optimizer is not null && !ReferenceEquals(Optimizer, optimizer))
        {
            throw new InvalidOperationException("The checkpoint holds a live optimiser; resume from a loaded checkpoint.");
        }

        if (_moments is null)
        {
            return Optimizer is not null;
        }

        if (_moments.Length != optimizer.FirstMoments.Count)
        {
            throw new InvalidDataException($"The checkpoint's optimiser state has {_moments.Length} moments but the model {optimizer.FirstMoments.Count} parameters.");
        }

        for (var i = 0; i < _moments.Length; i++)
        {
            if (_moments[i].First.Data.Length != optimizer.FirstMoments[i].Length || _moments[i].Second.Data.Length != optimizer.SecondMoments[i].Length)
            {
                throw new InvalidDataException($"The checkpoint's optimiser state does not match the model (moment {i}).");
            }

            optimizer.FirstMoments[i].CopyFrom(_moments[i].First.Data);
            optimizer.SecondMoments[i].CopyFrom(_moments[i].Second.Data);
        }

        optimizer.StepCount = _optimizerStep;
        return true;
    }

    private static string MomentName(string which, int i) => "optimizer." + which + "." + i.ToString(CultureInfo.InvariantCulture);

    private static CaptionTrainerOptions? ReadTrainingOptions(string json)
    {
        // Version 1 wrote the supervision as "Paired": true|false.
        if (JsonNode.Parse(json) is JsonObject obj && obj["Paired"] is JsonValue paired && paired.TryGetValue<bool>(out var isPaired))
        {
            obj.Remove("Paired");
            obj["Supervision"] ??= isPaired ? nameof(CaptionSupervision.Paired) : nameof(CaptionSupervision.TextOnly);
            return obj.Deserialize<CaptionTrainerOptions>(Json);
        }

        return JsonSerializer.Deserialize<CaptionTrainerOptions>(json, Json);
    }

    private static IModalityBridge? ReadBridge(SafeTensorsReader reader, IReadOnlyDictionary<string, string> metadata)
    {
        var bridgeState = new BridgeState();
        foreach (var (key, value) in metadata)
        {
            if (key.StartsWith(BridgeMetadataPrefix, StringComparison.Ordinal))
            {
                bridgeState.Metadata[key[BridgeMetadataPrefix.Length..]] = value;
            }
        }

        if (bridgeState.Metadata.Count == 0)
        {
            return null;
        }

        foreach (var name in reader.Names)
        {
            if (name.StartsWith(BridgePrefix, StringComparison.Ordinal))
            {
                var array = reader.Read(name);
                bridgeState.Tensors[name[BridgePrefix.Length..]] = (array.Shape, array.Data);
            }
        }

        return BridgePipeline.FromState(bridgeState);
    }

    private void ReadMoments(SafeTensorsReader reader, IReadOnlyDictionary<string, string> metadata, string path)
    {
        if (!metadata.TryGetValue(OptimizerStepKey, out var step))
        {
            return;
        }

        _optimizerStep = int.Parse(step, NumberStyles.None, CultureInfo.InvariantCulture);
        var moments = new List<(HostArray, HostArray)>();
        for (var i = 0; reader.Contains(MomentName("m", i)); i++)
        {
            if (!reader.Contains(MomentName("v", i)))
            {
                throw new InvalidDataException($"{path}: the tensor '{MomentName("v", i)}' is missing.");
            }

            moments.Add((reader.Read(MomentName("m", i)), reader.Read(MomentName("v", i))));
        }

        _moments = [.. moments];
    }

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{path}: the metadata '{key}' is missing.");
}
