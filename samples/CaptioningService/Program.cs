using System;
using System.IO;
using System.Threading.Tasks;
using CrossModal.DependencyInjection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace CrossModal.Samples.CaptioningService;

/// <summary>
/// <c>POST /caption</c> with an image (a multipart form file, or the raw bytes as the body) answers
/// <c>{"caption": "…"}</c>. The CLIP model and the captioner come from the "CrossModal" section of the configuration
/// (appsettings.json, or <c>--CrossModal:Clip:ModelDirectory=…</c> on the command line); bad settings stop the
/// service at start with a message naming the setting.
/// </summary>
public static class CaptioningServiceApp
{
    /// <summary>Largest upload accepted, in bytes.</summary>
    public const long MaxImageBytes = 16L * 1024 * 1024;

    /// <summary>The configured application, not yet started.</summary>
    /// <param name="args">Command-line arguments (ASP.NET Core's: <c>--urls</c>, configuration overrides).</param>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        builder.Services.AddCrossModal(builder.Configuration.GetSection(CrossModalOptions.SectionName));
        var app = builder.Build();
        app.MapPost("/caption", CaptionAsync).DisableAntiforgery();
        app.MapGet("/", () => Results.Text("POST an image (PNG, PNM, or JPEG with libturbojpeg) to /caption.\n"));
        return app;
    }

    private static async Task<IResult> CaptionAsync(HttpRequest request, ImageCaptioningService captioner)
    {
        if (request.ContentLength > MaxImageBytes)
        {
            return Results.Problem($"The image is larger than {MaxImageBytes} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        string name;
        using var buffer = new MemoryStream();
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(request.HttpContext.RequestAborted);
            if (form.Files.Count != 1)
            {
                return Results.Problem("Send exactly one image file in the form.", statusCode: StatusCodes.Status400BadRequest);
            }

            name = form.Files[0].FileName;
            await form.Files[0].CopyToAsync(buffer, request.HttpContext.RequestAborted);
        }
        else
        {
            name = "request body";
            await request.Body.CopyToAsync(buffer, request.HttpContext.RequestAborted);
        }

        try
        {
            return Results.Ok(new { caption = captioner.Caption(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), name) });
        }
        catch (InvalidDataException e)
        {
            return Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest);
        }
        catch (DllNotFoundException e)
        {
            // A JPEG upload on a machine without libturbojpeg: the format is valid but this server cannot read it.
            return Results.Problem(e.Message, statusCode: StatusCodes.Status415UnsupportedMediaType);
        }
    }
}

/// <summary>Entry point.</summary>
internal static class Program
{
    private static void Main(string[] args) => CaptioningServiceApp.Build(args).Run();
}
