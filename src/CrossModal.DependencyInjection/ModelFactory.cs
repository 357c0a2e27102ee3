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
using CrossModal.Tensors.Cuda;
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
    /// <remarks>
    /// CUDA is created eagerly here rather than probed in the start-time validator: probing means creating a CUDA
    /// context, which costs what creating the backend costs; the first resolution fails instead, naming the setting.
    /// </remarks>
    public static IComputeBackend CreateBackend(ComputeOptions options)
    {
        var device = ComputeDevice.TryParse(options.Device, out var parsed)
            ? parsed
            : throw new InvalidOperationException($"{CrossModalOptions.SectionName}:Compute:Device is '{options.Device}'; expected cpu, cuda or cuda:N (N = 0, 1, …).");
        if (device.Kind == ComputeDeviceKind.Cpu)
        {
            return new CpuBackend(new CpuBackendOptions { Threads = options.Threads, GemmProvider = options.GemmProvider });
        }

        var cuda = options.Cuda ?? new CudaBackendOptions();
        var cudaOptions = new CudaBackendOptions { DeviceIndex = device.Index, UseTf32 = cuda.UseTf32, Gemm = cuda.Gemm };
        return CudaBackend.TryCreate(out var backend, out var reason, cudaOptions)
            ? backend
            : throw new InvalidOperationException($"{CrossModalOptions.SectionName}:Compute:Device is '{options.Device}', but the CUDA backend cannot start: {reason}");
    }

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
    public static string? CheckTraining(CaptionTrainerOptions options) => Check(options.Validate);

    /// <summary>Runs a Validate method; its ArgumentException as "ParamName: message", or null when it passes.</summary>
    public static string? Check(Action validate)
    {
        try
        {
            validate();
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
