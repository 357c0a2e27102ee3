using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Captioning;
using CrossModal.Tensors;
using CrossModal.Tensors.Cpu;
using CrossModal.Testing;
using CrossModal.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CrossModal.DependencyInjection.Tests;

/// <summary>
/// <c>AddCrossModal(configuration)</c> registers the whole library — backend, tokenizers, CLIP encoders, captioner,
/// trainers — from a configuration section, and rejects bad settings at start by their configuration path.
/// </summary>
public sealed class LibraryRegistrationTests : IDisposable
{
    internal static readonly string[] Captions =
    [
        "a red circle above a blue square",
        "a green triangle left of a red circle",
        "two blue squares",
        "a small yellow circle",
        "a big green square below a triangle",
        "three red triangles",
    ];

    internal static readonly string ClipDirectory = Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "clip", "tiny");

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("crossmodal-di-");

    public void Dispose() => _folder.Delete(recursive: true);

    private static ServiceProvider Container(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddCrossModal(configuration.GetSection("CrossModal"));
        var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();
        return provider;
    }

    /// <summary>Trains a tiny captioner through the container (tokenizer by name, CLIP text encoder, trainer factory).</summary>
    internal static string TrainTinyCaptioner(DirectoryInfo folder)
    {
        var vocabulary = Path.Combine(folder.FullName, "words.json");
        WordTokenizer.Build(Captions).Save(vocabulary);
        var checkpoint = Path.Combine(folder.FullName, "captioner.safetensors");
        using var provider = Container(new()
        {
            ["CrossModal:Compute:Threads"] = "1",
            ["CrossModal:Clip:ModelDirectory"] = ClipDirectory,
            ["CrossModal:Tokenizers:words"] = vocabulary,
            ["CrossModal:Training:Epochs"] = "2",
            ["CrossModal:Training:BatchSize"] = "3",
            ["CrossModal:Training:WarmupSteps"] = "0",
            ["CrossModal:Training:ValidationFraction"] = "0",
        });

        var tokenizer = provider.GetRequiredKeyedService<ITokenizer>("words");
        var encoder = provider.GetRequiredService<ITextEncoder>();
        var shape = new PrefixLanguageModelOptions
        {
            Mapper = PrefixMapperKind.Mlp,
            EmbeddingDimension = encoder.Dimension,
            PrefixLength = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = tokenizer.VocabularySize, Context = 16, Width = 16, Layers = 1, Heads = 2 },
        };
        var factory = provider.GetRequiredService<CaptionTrainerFactory>();
        var model = factory.CreateModel(shape, seed: 3);
        var trainer = factory.Create(model, tokenizer, adjust: o => o.BestModelPath = checkpoint);
        var result = trainer.Train(Captions, encoder);

        Assert.Equal(4, result.Steps);
        Assert.Equal(1, ((CpuBackend)provider.GetRequiredService<IComputeBackend>()).Threads);
        Assert.Null(provider.GetRequiredService<IOptions<CrossModalOptions>>().Value.Training.BestModelPath);
        Assert.True(File.Exists(checkpoint));
        return checkpoint;
    }

    [Fact]
    public void A_captioner_configured_by_section_captions_embeddings_and_images()
    {
        var checkpoint = TrainTinyCaptioner(_folder);
        using var provider = Container(new()
        {
            ["CrossModal:Clip:ModelDirectory"] = ClipDirectory,
            ["CrossModal:Captioner:CheckpointPath"] = checkpoint,
            ["CrossModal:Captioner:BeamWidth"] = "2",
        });

        var captioner = provider.GetRequiredService<ICaptioner>();
        var embedding = provider.GetRequiredService<ITextEncoder>().EncodeTexts([Captions[0], Captions[3]]);
        var captions = captioner.Caption(embedding);
        Assert.Equal(2, captions.Count);
        var words = Captions.SelectMany(c => c.Split(' ')).ToHashSet(StringComparer.Ordinal);
        Assert.All(captions, c => Assert.All(c.Split(' ', StringSplitOptions.RemoveEmptyEntries), w => Assert.Contains(w, words)));

        var png = File.ReadAllBytes(Path.Combine(RepositoryPaths.Root, "tests", "reference", "images", "png", "pillow_rgb_83x61.png"));
        var service = provider.GetRequiredService<ImageCaptioningService>();
        var caption = service.Caption(png, "pillow_rgb_83x61.png");
        Assert.All(caption.Split(' ', StringSplitOptions.RemoveEmptyEntries), w => Assert.Contains(w, words));
        Assert.Equal(caption, service.Caption(png, "again.png"));
        Assert.Contains("notes.txt", Assert.Throws<InvalidDataException>(() => service.Caption("hello"u8, "notes.txt")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_options_fail_at_start_naming_each_option()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CrossModal:Compute:Threads"] = "0",
            ["CrossModal:Compute:Device"] = "tpu",
            ["CrossModal:Clip:ModelDirectory"] = Path.Combine(_folder.FullName, "no-such-clip"),
            ["CrossModal:Captioner:CheckpointPath"] = Path.Combine(_folder.FullName, "no-such.safetensors"),
            ["CrossModal:Captioner:BeamWidth"] = "0",
            ["CrossModal:Tokenizers:gpt2"] = "x.json",
            ["CrossModal:Training:Epochs"] = "0",
        }).Build();
        var services = new ServiceCollection();
        services.AddCrossModal(configuration.GetSection("CrossModal"));
        using var provider = services.BuildServiceProvider();

        var e = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var messages = string.Join("\n", Flatten(e).Select(x => x.Message));
        foreach (var setting in new[]
                 {
                     "CrossModal:Compute:Threads", "CrossModal:Compute:Device", "CrossModal:Clip:ModelDirectory", "CrossModal:Captioner:CheckpointPath",
                     "CrossModal:Captioner:BeamWidth", "CrossModal:Tokenizers:gpt2", "CrossModal:Training:Epochs",
                 })
        {
            Assert.Contains(setting, messages, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Tokenizers_resolve_by_name_and_an_unknown_name_lists_the_known_ones()
    {
        using var provider = Container(new());

        Assert.Same(Gpt2Tokenizer.Shared, provider.GetRequiredKeyedService<ITokenizer>("gpt2"));
        Assert.Same(ClipTokenizer.Shared, provider.GetRequiredService<TokenizerProvider>().Get("clip"));
        var e = Assert.Throws<ArgumentException>(() => provider.GetRequiredKeyedService<ITokenizer>("words"));
        Assert.Contains("gpt2, clip", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_configured_tiktoken_file_resolves_by_name_as_an_ml_tokenizer()
    {
        var tiktoken = Path.Combine(CrossModal.Testing.RepositoryPaths.Root, "tests", "reference", "fixtures", "tiktoken", "gpt2_first_1024.tiktoken");
        using var provider = Container(new() { ["CrossModal:Tokenizers:small"] = tiktoken });

        var tokenizer = Assert.IsType<MLTokenizerAdapter>(provider.GetRequiredKeyedService<ITokenizer>("small"));
        Assert.Equal(1025, tokenizer.VocabularySize);
        Assert.Same(tokenizer, provider.GetRequiredService<TokenizerProvider>().Get("small"));
        Assert.Equal(MLTokenizerAdapter.FromTiktokenFile(tiktoken).Encode("a dog runs"), tokenizer.Encode("a dog runs"));
    }

    [Fact]
    public void A_service_whose_setting_is_missing_names_the_setting()
    {
        using var provider = Container(new());

        var e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<ICaptioner>());
        Assert.Contains("CrossModal:Captioner:CheckpointPath", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IImageEncoder>());
        Assert.Contains("CrossModal:Clip:ModelDirectory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Services_the_application_registered_first_are_kept()
    {
        using var backend = new CpuBackend(new CpuBackendOptions { Threads = 1 });
        var services = new ServiceCollection();
        services.AddSingleton<IComputeBackend>(backend);
        services.AddCrossModal();
        using var provider = services.BuildServiceProvider();

        Assert.Same(backend, provider.GetRequiredService<IComputeBackend>());
    }

    private static IEnumerable<Exception> Flatten(Exception e) =>
        e is AggregateException aggregate ? aggregate.InnerExceptions.SelectMany(Flatten) : [e];
}
