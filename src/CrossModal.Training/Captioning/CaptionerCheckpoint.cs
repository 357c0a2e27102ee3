using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
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
/// A captioner checkpoint: one safetensors file holding the model weights (<c>model.*</c>), optionally the optimiser
/// moments (<c>optimizer.m.{i}</c>, <c>optimizer.v.{i}</c>), the bridge's fitted state (<c>bridge.*</c>), and as metadata
/// the model spec, the tokenizer, the training options and state. Written atomically.
/// </summary>
public sealed class CaptionerCheckpoint
{
    /// <summary>The value of the <c>crossmodal.format</c> metadata key.</summary>
    public const string FormatName = "crossmodal-prefix-captioner";

    // The best validation loss is NaN before the first validation; JSON has no NaN, so allow the named literals.
    private static readonly JsonSerializerOptions Json = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private const string FormatKey = "crossmodal.format";
    private const string VersionKey = "crossmodal.version";
    private const string SpecKey = "model.spec";
    private const string TokenizerKey = "tokenizer.kind";
    private const string TokensKey = "tokenizer.tokens";
    private const string OptionsKey = "training.options";
    private const string StateKey = "training.state";
    private const string BridgeMetadataPrefix = "bridge.";
    private const string ModelPrefix = "model.";
    private const string BridgePrefix = "bridge.";

    private CaptionerCheckpoint(PrefixLanguageModel model, PrefixLanguageModelSpec spec, ITokenizer tokenizer, IModalityBridge? bridge,
        CaptionTrainingState state, string? optionsJson, SafeTensorsContent content)
    {
        Model = model;
        Spec = spec;
        Tokenizer = tokenizer;
        Bridge = bridge;
        State = state;
        OptionsJson = optionsJson;
        Content = content;
    }

    /// <summary>The model with its weights loaded.</summary>
    public PrefixLanguageModel Model { get; }

    /// <summary>The model's spec.</summary>
    public PrefixLanguageModelSpec Spec { get; }

    /// <summary>The tokenizer the model was trained with.</summary>
    public ITokenizer Tokenizer { get; }

    /// <summary>The fitted bridge, or null when trained without one.</summary>
    public IModalityBridge? Bridge { get; }

    /// <summary>The training state at save time.</summary>
    public CaptionTrainingState State { get; }

    /// <summary>The training options as JSON, or null.</summary>
    public string? OptionsJson { get; }

    private SafeTensorsContent Content { get; }

    /// <summary>A captioner over the loaded model, tokenizer and bridge.</summary>
    /// <param name="decoding">Decoding options; greedy when null.</param>
    public PrefixCaptioner ToCaptioner(DecodingOptions? decoding = null) => new(Model, Tokenizer, Bridge, decoding);

    /// <summary>Writes a checkpoint atomically.</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="model">The model.</param>
    /// <param name="spec">Its spec.</param>
    /// <param name="tokenizer">A <see cref="WordTokenizer"/>, <see cref="Gpt2Tokenizer"/> or <see cref="ClipTokenizer"/>.</param>
    /// <param name="bridge">The fitted bridge, or null.</param>
    /// <param name="state">Training state, or null for a finished model.</param>
    /// <param name="optimizer">The optimiser whose moments to keep for resuming, or null.</param>
    /// <param name="optionsJson">Training options as JSON, or null.</param>
    public static void Save(
        string path, PrefixLanguageModel model, PrefixLanguageModelSpec spec, ITokenizer tokenizer, IModalityBridge? bridge,
        CaptionTrainingState? state = null, AdamW? optimizer = null, string? optionsJson = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [FormatKey] = FormatName,
            [VersionKey] = "1",
            [SpecKey] = JsonSerializer.Serialize(spec),
            [StateKey] = JsonSerializer.Serialize(state ?? new CaptionTrainingState { Completed = true }, Json),
        };
        switch (tokenizer)
        {
            case WordTokenizer word:
                metadata[TokenizerKey] = "word";
                metadata[TokensKey] = JsonSerializer.Serialize(word.Tokens);
                break;
            case Gpt2Tokenizer:
                metadata[TokenizerKey] = "gpt2";
                break;
            case ClipTokenizer:
                metadata[TokenizerKey] = "clip";
                break;
            default:
                throw new ArgumentException($"Cannot save a {tokenizer.GetType().Name}; expected a word, GPT-2 or CLIP tokenizer.", nameof(tokenizer));
        }

        if (optionsJson is not null)
        {
            metadata[OptionsKey] = optionsJson;
        }

        foreach (var (name, parameter) in model.NamedParameters())
        {
            tensors[ModelPrefix + name] = new HostArray(parameter.Value.Shape.ToArray(), parameter.Value.ToArray());
        }

        if (optimizer is not null)
        {
            metadata["optimizer.step"] = optimizer.StepCount.ToString(CultureInfo.InvariantCulture);
            for (var i = 0; i < optimizer.FirstMoments.Count; i++)
            {
                var m = optimizer.FirstMoments[i];
                var v = optimizer.SecondMoments[i];
                tensors["optimizer.m." + i.ToString(CultureInfo.InvariantCulture)] = new HostArray(m.Shape.ToArray(), m.ToArray());
                tensors["optimizer.v." + i.ToString(CultureInfo.InvariantCulture)] = new HostArray(v.Shape.ToArray(), v.ToArray());
            }
        }

        if (bridge is not null)
        {
            var bridgeState = bridge.ExportState();
            foreach (var (key, value) in bridgeState.Metadata)
            {
                metadata[BridgeMetadataPrefix + key] = value;
            }

            foreach (var (key, (shape, values)) in bridgeState.Tensors)
            {
                tensors[BridgePrefix + key] = new HostArray(shape, values);
            }
        }

        // SafeTensorsFile.Write goes through a temporary file and a rename, so a crash never leaves a torn checkpoint.
        SafeTensorsFile.Write(path, tensors, metadata);
    }

    /// <summary>Reads a checkpoint and rebuilds the model, tokenizer and bridge.</summary>
    /// <param name="path">A file written by <see cref="Save"/>.</param>
    /// <param name="backend">Where to put the model.</param>
    /// <exception cref="InvalidDataException">The file is not a captioner checkpoint or is incomplete; the message names the file.</exception>
    public static CaptionerCheckpoint Load(string path, IComputeBackend backend)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(backend);
        var content = SafeTensorsFile.Read(path);
        var metadata = content.Metadata;
        if (metadata.GetValueOrDefault(FormatKey) != FormatName)
        {
            throw new InvalidDataException($"{path}: not a CrossModal captioner checkpoint (no '{FormatKey}': '{FormatName}' metadata).");
        }

        try
        {
            var spec = JsonSerializer.Deserialize<PrefixLanguageModelSpec>(Required(metadata, SpecKey, path))
                ?? throw new InvalidDataException($"{path}: the model spec is null.");
            var model = spec.Build(backend);
            foreach (var (name, parameter) in model.NamedParameters())
            {
                if (!content.Tensors.TryGetValue(ModelPrefix + name, out var array))
                {
                    throw new InvalidDataException($"{path}: the tensor '{ModelPrefix + name}' is missing.");
                }

                if (!array.Shape.AsSpan().SequenceEqual(parameter.Value.Shape))
                {
                    throw new InvalidDataException(
                        $"{path}: '{ModelPrefix + name}' has shape {TensorShape.Format(array.Shape)} but the model expects {TensorShape.Format(parameter.Value.Shape)}.");
                }

                parameter.Value.CopyFrom(array.Data);
            }

            ITokenizer tokenizer = Required(metadata, TokenizerKey, path) switch
            {
                "word" => WordTokenizer.FromTokens(JsonSerializer.Deserialize<string[]>(Required(metadata, TokensKey, path)) ?? []),
                "gpt2" => Gpt2Tokenizer.Shared,
                "clip" => ClipTokenizer.Shared,
                var other => throw new InvalidDataException($"{path}: unknown tokenizer kind '{other}'."),
            };
            IModalityBridge? bridge = null;
            var bridgeState = new BridgeState();
            foreach (var (key, value) in metadata)
            {
                if (key.StartsWith(BridgeMetadataPrefix, StringComparison.Ordinal))
                {
                    bridgeState.Metadata[key[BridgeMetadataPrefix.Length..]] = value;
                }
            }

            foreach (var (key, value) in content.Tensors)
            {
                if (key.StartsWith(BridgePrefix, StringComparison.Ordinal))
                {
                    bridgeState.Tensors[key[BridgePrefix.Length..]] = (value.Shape, value.Data);
                }
            }

            if (bridgeState.Metadata.Count > 0)
            {
                bridge = BridgePipeline.FromState(bridgeState);
            }

            var state = JsonSerializer.Deserialize<CaptionTrainingState>(Required(metadata, StateKey, path), Json) ?? new CaptionTrainingState();
            return new CaptionerCheckpoint(model, spec, tokenizer, bridge, state, metadata.GetValueOrDefault(OptionsKey), content);
        }
        catch (Exception e) when (e is JsonException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Restores the optimiser moments and step count saved with the checkpoint.</summary>
    /// <param name="optimizer">An optimiser over the same parameters, in the same order.</param>
    /// <returns>False when the checkpoint holds no optimiser state.</returns>
    internal bool RestoreOptimizer(AdamW optimizer)
    {
        if (!Content.Metadata.TryGetValue("optimizer.step", out var step))
        {
            return false;
        }

        for (var i = 0; i < optimizer.FirstMoments.Count; i++)
        {
            var key = i.ToString(CultureInfo.InvariantCulture);
            if (!Content.Tensors.TryGetValue("optimizer.m." + key, out var m) || !Content.Tensors.TryGetValue("optimizer.v." + key, out var v) ||
                m.Data.Length != optimizer.FirstMoments[i].Length || v.Data.Length != optimizer.SecondMoments[i].Length)
            {
                throw new InvalidDataException($"The checkpoint's optimiser state does not match the model (moment {i}).");
            }

            optimizer.FirstMoments[i].CopyFrom(m.Data);
            optimizer.SecondMoments[i].CopyFrom(v.Data);
        }

        optimizer.StepCount = int.Parse(step, CultureInfo.InvariantCulture);
        return true;
    }

    private static string Required(IReadOnlyDictionary<string, string> metadata, string key, string path) =>
        metadata.TryGetValue(key, out var value) ? value : throw new InvalidDataException($"{path}: the metadata '{key}' is missing.");
}
