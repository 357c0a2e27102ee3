using System;
using CrossModal.Abstractions;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Text;
using CrossModal.Training.Captioning;
using Microsoft.Extensions.Options;

namespace CrossModal.DependencyInjection;

/// <summary>
/// Makes caption models and their text-only trainers on the container's backend, with the validated
/// <see cref="CrossModalOptions.Training"/> options and, unless another is given, the container's default bridge.
/// </summary>
public sealed class CaptionTrainerFactory
{
    private readonly IComputeBackend _backend;
    private readonly IOptions<CrossModalOptions> _options;
    private readonly Func<IModalityBridge> _defaultBridge;

    internal CaptionTrainerFactory(IComputeBackend backend, IOptions<CrossModalOptions> options, Func<IModalityBridge> defaultBridge)
    {
        _backend = backend;
        _options = options;
        _defaultBridge = defaultBridge;
    }

    /// <summary>A new model of the shape <paramref name="options"/> on the container's backend, initialised from <paramref name="seed"/>.</summary>
    /// <param name="options">The mapper and decoder shape.</param>
    /// <param name="seed">Seed of the initial weights.</param>
    public PrefixLanguageModel CreateModel(PrefixLanguageModelOptions options, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        return ModelFactory.BuildModel(options, _backend, seed);
    }

    /// <summary>A trainer of <paramref name="model"/> with a copy of the configured training options.</summary>
    /// <param name="model">The model to train (from <see cref="CreateModel"/>).</param>
    /// <param name="tokenizer">The captions' tokenizer (see <see cref="TokenizerProvider"/>).</param>
    /// <param name="bridge">The gap-bridging strategy; null for the container's default <see cref="IModalityBridge"/>.</param>
    /// <param name="adjust">Changes to this trainer's copy of the options, e.g. its output path.</param>
    public CaptionTrainer Create(
        PrefixLanguageModel model, ITokenizer tokenizer, IModalityBridge? bridge = null,
        Action<CaptionTrainerOptions>? adjust = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var options = ModelFactory.Copy(_options.Value.Training);
        adjust?.Invoke(options);
        return ModelFactory.CreateTrainer(model, tokenizer, bridge ?? _defaultBridge(), options);
    }
}
