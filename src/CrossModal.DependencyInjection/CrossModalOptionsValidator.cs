using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Tensors.Cuda;
using Microsoft.Extensions.Options;

namespace CrossModal.DependencyInjection;

/// <summary>
/// Checks every <see cref="CrossModalOptions"/> setting at start, cheaply (files exist, numbers in range; nothing is
/// loaded), and names each bad one by its configuration path.
/// </summary>
internal sealed class CrossModalOptionsValidator : IValidateOptions<CrossModalOptions>
{
    private const string Root = CrossModalOptions.SectionName;

    public ValidateOptionsResult Validate(string? name, CrossModalOptions options)
    {
        var errors = new List<string>();
        var compute = options.Compute ?? new ComputeOptions();
        if (!ComputeDevice.TryParse(compute.Device, out var device))
        {
            errors.Add($"{Root}:Compute:Device is '{compute.Device}'; expected cpu, cuda or cuda:N (N = 0, 1, …).");
        }
        else if (device.Kind == ComputeDeviceKind.Cuda)
        {
            try
            {
                (compute.Cuda ?? new CudaBackendOptions()).Validate();
            }
            catch (ArgumentException e)
            {
                errors.Add($"{Root}:Compute:Cuda: {e.Message}");
            }
        }

        if (compute.Threads is < 1)
        {
            errors.Add($"{Root}:Compute:Threads must be at least 1 (or unset for every core); got {compute.Threads}.");
        }
        else if (ModelFactory.CheckBackend(compute) is { } backendError)
        {
            errors.Add($"{Root}:Compute:GemmProvider: {backendError}");
        }

        RequireFile(errors, options.BridgeStatePath, "BridgeStatePath");
        var clip = options.Clip ?? new ClipEncoderOptions();
        if (clip.ModelDirectory is not null)
        {
            if (!Directory.Exists(clip.ModelDirectory))
            {
                errors.Add($"{Root}:Clip:ModelDirectory '{clip.ModelDirectory}' does not exist.");
            }
            else
            {
                foreach (var file in ModelFactory.ClipFiles)
                {
                    if (!File.Exists(Path.Combine(clip.ModelDirectory, file)))
                    {
                        errors.Add($"{Root}:Clip:ModelDirectory '{clip.ModelDirectory}' holds no {file} (expected a Hugging Face CLIPModel folder).");
                    }
                }
            }
        }

        if (clip.BatchSize < 1)
        {
            errors.Add($"{Root}:Clip:BatchSize must be at least 1; got {clip.BatchSize}.");
        }

        var captioner = options.Captioner ?? new CaptionerOptions();
        RequireFile(errors, captioner.CheckpointPath, "Captioner:CheckpointPath");
        RequireFile(errors, captioner.BridgeStatePath, "Captioner:BridgeStatePath");
        if (captioner.BeamWidth < 1)
        {
            errors.Add($"{Root}:Captioner:BeamWidth must be at least 1; got {captioner.BeamWidth}.");
        }

        if (captioner.MaxTokens < 0)
        {
            errors.Add($"{Root}:Captioner:MaxTokens must be 0 (the model's limit) or more; got {captioner.MaxTokens}.");
        }

        foreach (var (tokenizer, path) in options.Tokenizers ?? new())
        {
            if (TokenizerProvider.IsBuiltIn(tokenizer))
            {
                errors.Add($"{Root}:Tokenizers:{tokenizer}: '{tokenizer}' is a built-in tokenizer and cannot be redefined.");
            }
            else
            {
                RequireFile(errors, path, $"Tokenizers:{tokenizer}", required: true);
            }
        }

        if (options.Training is { } training && ModelFactory.CheckTraining(training) is { } trainingError)
        {
            errors.Add($"{Root}:Training:{trainingError}");
        }

        foreach (var adversarialError in options.Adversarial?.Check() ?? [])
        {
            errors.Add($"{Root}:Adversarial:{adversarialError}");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void RequireFile(List<string> errors, string? path, string setting, bool required = false)
    {
        if (path is null ? required : !File.Exists(path))
        {
            errors.Add(path is null ? $"{Root}:{setting} is not set." : $"{Root}:{setting} '{path}' does not exist.");
        }
    }
}
