using System;
using System.Collections.Generic;
using System.CommandLine;
using System.IO;
using System.Globalization;
using CrossModal.ShapesWorld.Data;
using CrossModal.ShapesWorld.Rendering;

namespace CrossModal.Cli.Commands;

/// <summary><c>crossmodal shapes …</c>: the ShapesWorld procedural world.</summary>
internal static class ShapesCommand
{
    public static Command Create()
    {
        var shapes = new Command("shapes", "ShapesWorld: a procedural world of coloured shapes with captions.");
        shapes.Subcommands.Add(CreateRender());
        return shapes;
    }

    private static Command CreateRender()
    {
        var outDir = new Option<string>("--out") { Description = "Folder to write the PNGs, captions.json and contact_sheet.png to.", Required = true };
        var count = new Option<int>("--count") { Description = "Number of scenes (1 to 100000).", DefaultValueFactory = _ => 24 };
        var style = new Option<string>("--style") { Description = "photo or synthetic.", DefaultValueFactory = _ => "photo" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of scenes, captions and renders.", DefaultValueFactory = _ => 1UL };
        var size = new Option<int>("--size") { Description = "Image side in pixels (16 to 512).", DefaultValueFactory = _ => 32 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var command = new Command("render", "Render sample scenes with their captions (five references each) and scenes.")
        {
            outDir, count, style, seed, size, json,
        };
        command.SetAction(parse =>
        {
            string styleName = parse.GetValue(style) ?? "photo";
            RenderStyle renderStyle = styleName switch
            {
                "photo" => RenderStyle.Photo,
                "synthetic" => RenderStyle.Synthetic,
                _ => throw new CommandLineError($"--style must be photo or synthetic, not '{styleName}'."),
            };
            int n = parse.GetValue(count);
            if (n is < 1 or > ShapesWorldExport.MaxCount)
            {
                throw new CommandLineError($"--count must be 1 to {ShapesWorldExport.MaxCount}, not {n}.");
            }

            int side = parse.GetValue(size);
            if (side is < 16 or > 512)
            {
                throw new CommandLineError($"--size must be 16 to 512, not {side}.");
            }

            ShapesWorldExportSummary s = ShapesWorldExport.WriteRenders(parse.GetValue(outDir)!, n, renderStyle, parse.GetValue(seed), side);
            if (parse.GetValue(json))
            {
                Console.WriteLine(System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["out"] = s.Directory,
                    ["count"] = s.Count,
                    ["style"] = styleName,
                    ["captions_json"] = s.CaptionsJson,
                    ["contact_sheet"] = s.ContactSheet,
                }));
            }
            else
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"wrote {s.Count} {styleName} images ({side}×{side}) to {s.Directory}; captions and scenes in {Path.GetFileName(s.CaptionsJson)}, overview in {Path.GetFileName(s.ContactSheet)}"));
            }

            return 0;
        });
        return command;
    }
}
