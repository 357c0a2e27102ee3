using System;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Tasks;
using CrossModal.Samples.CaptioningService;
using CrossModal.Testing;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace CrossModal.DependencyInjection.Tests;

/// <summary>samples/CaptioningService started on 127.0.0.1 with a tiny captioner, captioning an uploaded PNG.</summary>
public sealed class CaptioningServiceSampleTests : IDisposable
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("crossmodal-sample-");

    public void Dispose() => _folder.Delete(recursive: true);

    [Fact]
    public async Task Posting_a_png_returns_its_caption_and_a_text_file_is_a_400()
    {
        var checkpoint = LibraryRegistrationTests.TrainTinyCaptioner(_folder);
        await using var app = CaptioningServiceApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--CrossModal:Clip:ModelDirectory={LibraryRegistrationTests.ClipDirectory}",
            $"--CrossModal:Captioner:CheckpointPath={checkpoint}",
            "--CrossModal:Compute:Threads=1",
            "--Logging:LogLevel:Default=Warning",
        ]);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            var png = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.Root, "tests", "reference", "images", "png", "pillow_rgb_83x61.png"));

            using var form = new MultipartFormDataContent();
            var file = new ByteArrayContent(png);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "image", "photo.png");
            using var response = await client.PostAsync(new Uri("/caption", UriKind.Relative), form);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            var caption = json.RootElement.GetProperty("caption").GetString()!;
            var words = LibraryRegistrationTests.Captions.SelectMany(c => c.Split(' ')).ToHashSet(StringComparer.Ordinal);
            Assert.All(caption.Split(' ', StringSplitOptions.RemoveEmptyEntries), w => Assert.Contains(w, words));

            // The raw body works too, and gives the same caption.
            using var raw = new ByteArrayContent(png);
            raw.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            using var rawResponse = await client.PostAsync(new Uri("/caption", UriKind.Relative), raw);
            using var rawJson = JsonDocument.Parse(await rawResponse.Content.ReadAsStringAsync());
            Assert.Equal(caption, rawJson.RootElement.GetProperty("caption").GetString());

            using var text = new StringContent("not an image");
            using var bad = await client.PostAsync(new Uri("/caption", UriKind.Relative), text);
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("not an image format", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task A_missing_checkpoint_stops_the_service_at_start_naming_the_setting()
    {
        await using var app = CaptioningServiceApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--CrossModal:Clip:ModelDirectory={LibraryRegistrationTests.ClipDirectory}",
            $"--CrossModal:Captioner:CheckpointPath={Path.Combine(_folder.FullName, "missing.safetensors")}",
            "--Logging:LogLevel:Default=None",
        ]);

        var e = await Assert.ThrowsAnyAsync<Exception>(() => app.StartAsync());
        Assert.Contains("CrossModal:Captioner:CheckpointPath", e.ToString(), StringComparison.Ordinal);
    }
}
