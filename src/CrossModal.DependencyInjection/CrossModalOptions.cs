using System;
using System.Collections.Generic;
using CrossModal.Tensors.Cuda;
using CrossModal.Training.Captioning;

namespace CrossModal.DependencyInjection;

/// <summary>
/// Application-wide CrossModal settings: given to <c>services.AddCrossModal(o => …)</c> or bound from a configuration
/// section (<c>services.AddCrossModal(configuration.GetSection("CrossModal"))</c>). Every setting is validated when
/// the host starts; a message names the setting by its configuration path (e.g. <c>CrossModal:Compute:Threads</c>).
/// </summary>
public sealed class CrossModalOptions
{
    /// <summary>The configuration section name the documentation and the error messages use.</summary>
    public const string SectionName = "CrossModal";

    /// <summary>The compute backend every model of the container runs on.</summary>
    public ComputeOptions Compute { get; set; } = new();

    /// <summary>
    /// A bridge state file (written by <c>BridgeStateFile.Save</c>) that the default <c>IModalityBridge</c> is
    /// restored from when it is first resolved, so a shipped captioner's bridge needs no refitting.
    /// </summary>
    /// <value>Default <see langword="null"/>: the default bridge starts unfitted.</value>
    public string? BridgeStatePath { get; set; }

    /// <summary>The CLIP model behind <c>ITextEncoder</c> and <c>IImageEncoder</c>.</summary>
    public ClipEncoderOptions Clip { get; set; } = new();

    /// <summary>The captioner behind <c>ICaptioner</c> and <see cref="ImageCaptioningService"/>.</summary>
    public CaptionerOptions Captioner { get; set; } = new();

    /// <summary>
    /// Tokenizers by name: name → a vocabulary file written by <c>WordTokenizer.Save</c>, or a <c>.tiktoken</c> ranks
    /// file (read by <c>TokenizerRegistry.Load</c>). The names <c>gpt2</c> and <c>clip</c> are built in and cannot be redefined.
    /// </summary>
    public Dictionary<string, string> Tokenizers { get; set; } = new();

    /// <summary>Options of the trainers made by <see cref="CaptionTrainerFactory"/>.</summary>
    public CaptionTrainerOptions Training { get; set; } = new();

    /// <summary>Options of the CgT-GAN adversarial trainers made by <see cref="AdversarialTrainerFactory"/>.</summary>
    public AdversarialOptions Adversarial { get; set; } = new();
}

/// <summary>Which compute backend the container creates, and how.</summary>
public sealed class ComputeOptions
{
    /// <summary>The CPU backend's device name.</summary>
    public const string CpuDevice = "cpu";

    /// <summary>The CUDA backend's device name (device 0; <c>cuda:N</c> picks device N).</summary>
    public const string CudaDevice = "cuda";

    /// <summary>
    /// The device the backend runs on, as PyTorch spells it: <c>"cpu"</c>, <c>"cuda"</c> (device 0) or <c>"cuda:N"</c>.
    /// Another value fails start naming <c>CrossModal:Compute:Device</c>; a CUDA device this machine cannot use (no
    /// driver, no such device, no cuBLAS) makes resolving <see cref="Tensors.IComputeBackend"/> throw
    /// <see cref="InvalidOperationException"/> naming the setting and what is missing.
    /// </summary>
    /// <value>Default <c>"cpu"</c>.</value>
    public string Device { get; set; } = CpuDevice;

    /// <summary>
    /// Options of the CUDA backend (TF32, GEMM provider), used when <see cref="Device"/> is a CUDA device. The device
    /// index is taken from <see cref="Device"/> (<c>cuda:N</c>), not from <see cref="CudaBackendOptions.DeviceIndex"/>.
    /// </summary>
    public CudaBackendOptions Cuda { get; set; } = new();

    /// <summary>Most threads one operation uses; <see langword="null"/> for one per logical processor.</summary>
    /// <value>Default <see langword="null"/>.</value>
    public int? Threads { get; set; }

    /// <summary>The CPU GEMM implementation: <c>Managed</c> (default) or <c>OpenBlas</c> (needs libopenblas0).</summary>
    public Tensors.Cpu.GemmProvider GemmProvider { get; set; } = Tensors.Cpu.GemmProvider.Managed;
}

/// <summary>A CLIP model in a Hugging Face <c>CLIPModel</c> folder (<c>config.json</c> + <c>model.safetensors</c>).</summary>
public sealed class ClipEncoderOptions
{
    /// <summary>The folder; resolving an encoder without it is an error.</summary>
    public string? ModelDirectory { get; set; }

    /// <summary>Texts or images per forward pass.</summary>
    /// <value>Default 32.</value>
    public int BatchSize { get; set; } = 32;
}

/// <summary>A captioner saved by the caption trainer (<c>crossmodal train-captioner</c>), with its bridge.</summary>
public sealed class CaptionerOptions
{
    /// <summary>The captioner checkpoint (<c>.safetensors</c>); resolving a captioner without it is an error.</summary>
    public string? CheckpointPath { get; set; }

    /// <summary>
    /// A bridge state file that replaces the bridge saved in the checkpoint; <see langword="null"/> keeps the
    /// checkpoint's own bridge.
    /// </summary>
    public string? BridgeStatePath { get; set; }

    /// <summary>Beam width; 1 decodes greedily.</summary>
    /// <value>Default 1.</value>
    public int BeamWidth { get; set; } = 1;

    /// <summary>Most tokens per caption; 0 for as many as the model's context allows, at most 30.</summary>
    /// <value>Default 0.</value>
    public int MaxTokens { get; set; }
}
