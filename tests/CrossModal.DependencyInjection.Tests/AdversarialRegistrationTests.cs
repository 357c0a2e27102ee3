using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Captioning;
using CrossModal.Text;
using CrossModal.Training.Adversarial;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CrossModal.DependencyInjection.Tests;

/// <summary>
/// <c>AddCrossModal</c> registers the CgT-GAN adversarial trainer's pieces: the <c>CrossModal:Adversarial</c> options
/// (bound, validated at start by path) and <see cref="AdversarialTrainerFactory"/> (discriminator, CLIP rewards,
/// caption embedder through the container's CLIP text encoder, trainer).
/// </summary>
public sealed class AdversarialRegistrationTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("crossmodal-di-adversarial-");

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

    [Fact]
    public void The_adversarial_section_binds_into_the_factory_options()
    {
        using var provider = Container(new()
        {
            ["CrossModal:Adversarial:Trainer:Steps"] = "42",
            ["CrossModal:Adversarial:Trainer:SamplesPerImage"] = "3",
            ["CrossModal:Adversarial:Trainer:SampleWithDropout"] = "false",
            ["CrossModal:Adversarial:Trainer:Baseline"] = "LeaveOneOut",
            ["CrossModal:Adversarial:Trainer:Schedule:WarmupSteps"] = "7",
            ["CrossModal:Adversarial:Discriminator:Width"] = "64",
            ["CrossModal:Adversarial:ClipReward"] = "Cosine",
            ["CrossModal:Adversarial:LogitScale"] = "50",
        });

        var factory = provider.GetRequiredService<AdversarialTrainerFactory>();
        var o = factory.Options;
        Assert.Equal((42, 3, false, PolicyBaseline.LeaveOneOut, 7), (o.Trainer.Steps, o.Trainer.SamplesPerImage, o.Trainer.SampleWithDropout, o.Trainer.Baseline, o.Trainer.Schedule.WarmupSteps));
        Assert.Equal((64, AdversarialClipReward.Cosine, 50f), (o.Discriminator.Width, o.ClipReward, o.LogitScale));

        // A copy: changing it changes nothing in the container.
        o.Trainer.Steps = 1;
        Assert.Equal(42, factory.Options.Trainer.Steps);
        Assert.Same(factory, provider.GetRequiredService<AdversarialTrainerFactory>());

        var discriminator = factory.CreateDiscriminator(vocabularySize: 11, seed: 2);
        Assert.Equal((11, 64), (discriminator.Options.VocabularySize, discriminator.Options.Width));
        var reward = Assert.IsType<ClipCosineReward>(factory.CreateClipReward(new EmbeddingMatrix(2, 4)));
        Assert.Equal(50f, reward.LogitScale);
    }

    [Fact]
    public void Defaults_are_the_authors_and_aggregate_needs_the_corpus()
    {
        using var provider = Container(new());
        var factory = provider.GetRequiredService<AdversarialTrainerFactory>();
        var o = factory.Options;
        Assert.Equal((AdversarialClipReward.Aggregate, true, 0.01f, 0.5f, 100f), (o.ClipReward, o.Naturalness, o.AggregateTemperature, o.AggregateCosineWeight, o.LogitScale));
        Assert.True(o.Trainer.SampleWithDropout);
        Assert.Equal((5, 150), (o.Trainer.SamplesPerImage, o.Trainer.Schedule.WarmupSteps));

        var images = new EmbeddingMatrix([1f, 0f, 0f, 1f], 2, 2);
        var error = Assert.Throws<ArgumentException>(() => factory.CreateClipReward(images));
        Assert.Contains("CrossModal:Adversarial:ClipReward", error.Message, StringComparison.Ordinal);
        var aggregate = Assert.IsType<ClipAggregateReward>(factory.CreateClipReward(images, new EmbeddingMatrix([1f, 0f, 0.6f, 0.8f], 2, 2)));
        Assert.Equal(2, aggregate.Aggregates.Rows);
    }

    [Fact]
    public void Bad_adversarial_options_fail_at_start_naming_each_option()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CrossModal:Adversarial:Trainer:SamplesPerImage"] = "0",
            ["CrossModal:Adversarial:Discriminator:Heads"] = "3",
            ["CrossModal:Adversarial:ClipReward"] = "None",
            ["CrossModal:Adversarial:Naturalness"] = "false",
            ["CrossModal:Adversarial:AggregateCosineWeight"] = "2",
            ["CrossModal:Adversarial:LogitScale"] = "0",
        }).Build();
        var services = new ServiceCollection();
        services.AddCrossModal(configuration.GetSection("CrossModal"));
        using var provider = services.BuildServiceProvider();

        var e = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var messages = e is AggregateException a ? string.Join("\n", a.Flatten().InnerExceptions.Select(x => x.Message)) : e.Message;
        foreach (var setting in new[]
                 {
                     "CrossModal:Adversarial:Trainer:SamplesPerImage", "CrossModal:Adversarial:Discriminator:Heads", "CrossModal:Adversarial:Naturalness",
                     "CrossModal:Adversarial:AggregateCosineWeight", "CrossModal:Adversarial:LogitScale",
                 })
        {
            Assert.Contains(setting, messages, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_trainer_from_the_container_trains_a_captioner_with_the_clip_text_encoder()
    {
        var vocabulary = Path.Combine(_folder.FullName, "words.json");
        WordTokenizer.Build(LibraryRegistrationTests.Captions).Save(vocabulary);
        using var provider = Container(new()
        {
            ["CrossModal:Compute:Threads"] = "1",
            ["CrossModal:Clip:ModelDirectory"] = LibraryRegistrationTests.ClipDirectory,
            ["CrossModal:Tokenizers:words"] = vocabulary,
            ["CrossModal:Adversarial:Trainer:ImagesPerStep"] = "2",
            ["CrossModal:Adversarial:Trainer:SamplesPerImage"] = "2",
            ["CrossModal:Adversarial:Trainer:MaxTokens"] = "6",
            ["CrossModal:Adversarial:Trainer:Schedule:WarmupSteps"] = "0",
            ["CrossModal:Adversarial:Trainer:Schedule:RampSteps"] = "0",
            ["CrossModal:Adversarial:Discriminator:Width"] = "16",
            ["CrossModal:Adversarial:Discriminator:Heads"] = "2",
            ["CrossModal:Adversarial:Discriminator:Layers"] = "1",
        });

        var tokenizer = provider.GetRequiredKeyedService<ITokenizer>("words");
        var encoder = provider.GetRequiredService<ITextEncoder>();
        var generator = provider.GetRequiredService<CaptionTrainerFactory>().CreateModel(new PrefixLanguageModelOptions
        {
            Mapper = PrefixMapperKind.Mlp,
            EmbeddingDimension = encoder.Dimension,
            PrefixLength = 2,
            Decoder = new Gpt2DecoderOptions { VocabularySize = tokenizer.VocabularySize, Context = 16, Width = 16, Layers = 1, Heads = 2, Dropout = 0.1f },
        }, seed: 3);

        // The captions' text embeddings stand in for the unpaired images (same space, same dimension).
        var corpus = encoder.EncodeTexts(LibraryRegistrationTests.Captions);
        var factory = provider.GetRequiredService<AdversarialTrainerFactory>();
        var trainer = factory.Create(generator, tokenizer, corpus, corpus, seed: 1, adjust: o => o.Steps = 3);
        var steps = trainer.Train(corpus, LibraryRegistrationTests.Captions.Select(c => tokenizer.Encode(c)).ToList());

        Assert.Equal(3, steps.Count);
        Assert.All(steps, s => Assert.True(float.IsFinite(s.PolicyLoss) && float.IsFinite(s.DiscriminatorLoss) && s.Lambda == 0.5f));
        Assert.True(trainer.LastStepTimings.CaptionEmbedding > 0, "the CLIP text encoder should have embedded the samples");
        Assert.Equal(1000, provider.GetRequiredService<IOptions<CrossModalOptions>>().Value.Adversarial.Trainer.Steps);

        var embedder = factory.CreateCaptionEmbedder(tokenizer);
        var ids = tokenizer.Encode(LibraryRegistrationTests.Captions[0]);
        var one = new EmbeddingMatrix(1, embedder.Dimension);
        embedder.Embed(new RewardBatch([ids], [0]), one);
        Assert.Equal(corpus.Row(0).ToArray(), one.Row(0).ToArray());
    }
}
