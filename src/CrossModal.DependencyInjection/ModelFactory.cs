using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Models.Captioning;
using CrossModal.Models.Clip;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Text;
using CrossModal.Training.Captioning;

namespace CrossModal.DependencyInjection;

/// <summary>
/// Every call the container makes into the model, checkpoint and trainer APIs, kept in one file so that a change of
/// those APIs (load signatures, type names) is adapted here only.
/// </summary>
internal static class ModelFactory
{
    /// <summary>The files of a Hugging Face CLIPModel folder.</summary>
    public static readonly IReadOnlyList<string> ClipFiles = [ClipCheckpoint.ConfigFileName, ClipCheckpoint.WeightsFileName];

    /// <summary>The backend <paramref name="options"/> describe; the one place that maps a device name to a backend.</summary>
    public static IComputeBackend CreateBackend(ComputeOptions options) =>
        new CpuBackend(new CpuBackendOptions { Threads = options.Threads, GemmProvider = options.GemmProvider });

    /// <summary>Why the backend of <paramref name="options"/> cannot be made on this machine, or null.</summary>
    public static string? CheckBackend(ComputeOptions options)
    {
        try
        {
            new CpuBackendOptions { Threads = options.Threads, GemmProvider = options.GemmProvider }.Validate();
            return null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    /// <summary>The first invalid trainer option as "Name: message", or null.</summary>
    public static string? CheckTraining(CaptionTrainerOptions options)
    {
        try
        {
            options.Validate();
            return null;
        }
        catch (ArgumentException e)
        {
            var message = e is ArgumentOutOfRangeException range ? range.Message.Split(Environment.NewLine)[0] : e.Message;
            return $"{e.ParamName}: {message}";
        }
    }

    public static IImageDecoder ImageDecoder => Models.Images.ImageDecoder.Default;

    /// <summary>The container's CLIP model as its text and image encoders.</summary>
    public static (ITextEncoder Text, IImageEncoder Image) ClipEncoders(IServiceProvider provider)
    {
        var model = (ClipModel)provider.GetService(typeof(ClipModel))!;
        return (model, model);
    }

    public static ClipModel LoadClip(ClipEncoderOptions options, IComputeBackend backend)
    {
        var model = ClipModel.Load(options.ModelDirectory!, backend);
        model.EncodeBatchSize = options.BatchSize;
        return model;
    }

    /// <summary>A captioner over a saved checkpoint, with the checkpoint's bridge or the one in <see cref="CaptionerOptions.BridgeStatePath"/>.</summary>
    public static ICaptioner LoadCaptioner(CaptionerOptions options, IComputeBackend backend, out int embeddingDimension)
    {
        var checkpoint = CaptionerCheckpoint.Load(options.CheckpointPath!, backend);
        var maxTokens = checkpoint.Model.MaxCaptionTokens;
        var decoding = new DecodingOptions
        {
            Strategy = options.BeamWidth > 1 ? DecodingStrategy.Beam : DecodingStrategy.Greedy,
            BeamWidth = options.BeamWidth,
            MaxTokens = options.MaxTokens > 0 ? Math.Min(options.MaxTokens, maxTokens) : Math.Min(30, maxTokens),
        };
        IModalityBridge? bridge = options.BridgeStatePath is { } path ? BridgeStateFile.LoadPipeline(path) : checkpoint.Bridge;
        embeddingDimension = checkpoint.Model.EmbeddingDimension;
        return new PrefixCaptioner(checkpoint.Model, checkpoint.Tokenizer, bridge, decoding);
    }

    public static ITokenizer BuiltInTokenizer(string name) => name switch
    {
        "gpt2" => Gpt2Tokenizer.Shared,
        "clip" => ClipTokenizer.Shared,
        _ => throw new ArgumentException($"'{name}' is not a built-in tokenizer.", nameof(name)),
    };

    public static ITokenizer LoadWordTokenizer(string path) => WordTokenizer.Load(path);

    public static PrefixLanguageModel BuildModel(PrefixLanguageModelOptions options, IComputeBackend backend, int seed)
    {
        var model = new PrefixLanguageModel(backend, options);
        model.ResetParameters(seed);
        return model;
    }

    public static CaptionTrainer CreateTrainer(
        PrefixLanguageModel model, ITokenizer tokenizer, IModalityBridge? bridge, CaptionTrainerOptions options) =>
        new(model, tokenizer, bridge, options);

    /// <summary>A copy, so one trainer's adjustments (e.g. its output path) never reach the shared options.</summary>
    public static CaptionTrainerOptions Copy(CaptionTrainerOptions options) =>
        JsonSerializer.Deserialize<CaptionTrainerOptions>(JsonSerializer.Serialize(options))!;
}
