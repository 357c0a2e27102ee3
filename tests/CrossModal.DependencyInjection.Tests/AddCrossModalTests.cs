using System;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace CrossModal.DependencyInjection.Tests;

/// <summary>CrossModal registered in a real <see cref="ServiceCollection"/>.</summary>
public class AddCrossModalTests
{
    private static (EmbeddingMatrix Images, EmbeddingMatrix Texts) Data()
    {
        var rng = new Random(1);
        var images = new EmbeddingMatrix(30, 8);
        var texts = new EmbeddingMatrix(30, 8);
        for (var i = 0; i < images.Span.Length; i++)
        {
            images.Span[i] = (float)rng.NextDouble() + 0.5f;
            texts.Span[i] = (float)rng.NextDouble() - 0.5f;
        }

        return (images, texts);
    }

    [Fact]
    public void Default_pipeline_has_the_stages_and_options_given()
    {
        var services = new ServiceCollection();
        services.AddCrossModal().AddCollapse().AddGaussianNoise(o => o.Sigma = 0.2);
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        var bridge = provider.GetRequiredService<IModalityBridge>();
        Assert.Same(bridge, provider.GetRequiredService<BridgePipeline>());
        Assert.Equal("collapse+gaussian_noise", bridge.Name);
        var (images, texts) = Data();
        var fit = new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images };
        bridge.Fit(fit);

        // Same as the plain builder with the same options.
        var plain = new BridgePipelineBuilder().AddCollapse().AddGaussianNoise(new GaussianNoiseOptions { Sigma = 0.2 }).Build();
        plain.Fit(fit);
        Assert.Equal(plain.TransformForTraining(texts, new Random(4)).Array, bridge.TransformForTraining(texts, new Random(4)).Array);

        // …and different from the default σ, so the configured value really arrived.
        var defaults = new BridgePipelineBuilder().AddCollapse().AddGaussianNoise().Build();
        defaults.Fit(fit);
        Assert.NotEqual(defaults.TransformForTraining(texts, new Random(4)).Array, bridge.TransformForTraining(texts, new Random(4)).Array);
    }

    [Fact]
    public void No_stages_means_the_identity()
    {
        var services = new ServiceCollection();
        services.AddCrossModal();
        using var provider = services.BuildServiceProvider();
        Assert.Equal("identity", provider.GetRequiredService<IModalityBridge>().Name);
    }

    [Fact]
    public void Named_pipelines_are_keyed_services()
    {
        var services = new ServiceCollection();
        services.AddCrossModal()
            .AddPreset(BridgePreset.C3)
            .AddPipeline("decap", p => p.AddSupportSetProjection(o => o.Temperature = 0.05))
            .AddPipeline("close", p => p.AddLinearAdapter(o => o.Lambda = 1).AddGaussianNoise(o => o.Sigma = 0.08));
        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal("collapse+gaussian_noise", provider.GetRequiredService<IModalityBridge>().Name);
        var decap = provider.GetRequiredKeyedService<IModalityBridge>("decap");
        Assert.Equal("support_set_projection", decap.Name);
        Assert.Same(decap, provider.GetRequiredKeyedService<IModalityBridge>("decap"));
        Assert.Equal("linear_adapter+gaussian_noise", provider.GetRequiredKeyedService<IModalityBridge>("close").Name);
        Assert.Null(provider.GetKeyedService<IModalityBridge>("missing"));

        // The option reached the strategy: its saved state records it.
        var (_, texts) = Data();
        decap.Fit(new BridgeFitData { SupportTexts = texts });
        Assert.Contains("\"Temperature\":0.05", decap.ExportState().Metadata["stage0.crossmodal.bridge.options"], StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_fail_at_start_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddCrossModal()
            .AddGaussianNoise(o => o.Sigma = -1)
            .AddPipeline("bad", p => p.AddSupportSetProjection(o => o.TopK = -3));
        using var provider = services.BuildServiceProvider();
        var e = Assert.Throws<AggregateException>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        var messages = string.Join("\n", e.InnerExceptions.OfType<OptionsValidationException>().SelectMany(x => x.Failures));
        Assert.Contains("Sigma must be", messages, StringComparison.Ordinal);
        Assert.Contains("TopK must be", messages, StringComparison.Ordinal);

        // Without a host, first use fails the same way.
        Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IModalityBridge>());
    }

    [Fact]
    public void Missing_state_file_fails_at_start()
    {
        var services = new ServiceCollection();
        services.AddCrossModal(o => o.BridgeStatePath = "/nonexistent/c3.bridge.safetensors").AddPreset(BridgePreset.C3);
        using var provider = services.BuildServiceProvider();
        var e = Assert.ThrowsAny<Exception>(() => provider.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("BridgeStatePath", e.Message + (e.InnerException?.Message ?? string.Empty), StringComparison.Ordinal);
    }

    [Fact]
    public void Default_and_named_pipelines_restore_from_state_files()
    {
        var (images, texts) = Data();
        var fitted = BridgePresets.Create(BridgePreset.C3);
        fitted.Fit(new BridgeFitData { UnpairedTexts = texts, UnpairedImages = images });
        var path = Path.Combine(Path.GetTempPath(), $"crossmodal-di-{Guid.NewGuid():N}.bridge.safetensors");
        BridgeStateFile.Save(path, fitted);
        try
        {
            var services = new ServiceCollection();
            services.AddCrossModal(o => o.BridgeStatePath = path).AddPreset(BridgePreset.C3)
                .AddPipeline("shipped", p => p.AddCollapse().AddGaussianNoise(), statePath: path);
            using var provider = services.BuildServiceProvider();
            provider.GetRequiredService<IStartupValidator>().Validate();
            foreach (var bridge in new[] { provider.GetRequiredService<IModalityBridge>(), provider.GetRequiredKeyedService<IModalityBridge>("shipped") })
            {
                Assert.True(bridge.IsFitted);
                Assert.Equal(fitted.TransformForInference(images).Array, bridge.TransformForInference(images).Array);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Duplicate_registration_is_an_error()
    {
        var services = new ServiceCollection();
        var builder = services.AddCrossModal().AddPipeline("x", p => p.AddCollapse());
        Assert.Throws<InvalidOperationException>(() => builder.AddPipeline("x", p => p.AddCollapse()));
        Assert.Throws<InvalidOperationException>(() => services.AddCrossModal());
        Assert.Throws<InvalidOperationException>(() => builder.AddPipeline("y", p => p.AddPipeline("z", q => q.AddCollapse())));
    }
}
