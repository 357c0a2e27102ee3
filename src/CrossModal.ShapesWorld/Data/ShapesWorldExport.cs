using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text.Json;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.Rendering;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Data;

/// <summary>What <see cref="ShapesWorldExport.WriteRenders"/> wrote.</summary>
/// <param name="Directory">The output folder (full path).</param>
/// <param name="Count">Images written.</param>
/// <param name="ImageFiles">Their file names, in order.</param>
/// <param name="CaptionsJson">Full path of captions.json.</param>
/// <param name="ContactSheet">Full path of contact_sheet.png (the first 24 images, enlarged).</param>
public sealed record ShapesWorldExportSummary(string Directory, int Count, IReadOnlyList<string> ImageFiles, string CaptionsJson, string ContactSheet);

/// <summary>Writes sample scenes of the world to a folder, to look at: PNGs, their captions and scenes as JSON, and a contact sheet.</summary>
public static class ShapesWorldExport
{
    /// <summary>Maximum images one call writes.</summary>
    public const int MaxCount = 100_000;

    /// <summary>
    /// Writes <paramref name="count"/> scenes: <c>shape_0000.png</c>…, <c>captions.json</c>
    /// (<c>{"style", "seed", "image_size", "items": [{"file", "captions": [5 references], "scene": {"key", "objects":
    /// [{"shape", "color", "size", "x", "y", "radius"}], "relations": [{"subject", "relation", "landmark"}]}}]}</c>,
    /// relation one of <c>left_of</c>, <c>right_of</c>, <c>above</c>, <c>below</c>) and <c>contact_sheet.png</c>.
    /// Every file is written atomically (temporary name, then rename).
    /// </summary>
    /// <param name="directory">Output folder; created if missing.</param>
    /// <param name="count">Number of scenes, 1 to <see cref="MaxCount"/>.</param>
    /// <param name="style">Render style.</param>
    /// <param name="seed">Seed of scenes, captions and renders.</param>
    /// <param name="imageSize">Image side in pixels (16 to 512).</param>
    /// <returns>What was written.</returns>
    public static ShapesWorldExportSummary WriteRenders(string directory, int count, RenderStyle style, ulong seed, int imageSize = 32)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (count is < 1 or > MaxCount)
        {
            throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be 1 to {MaxCount}.");
        }

        var renderer = new ShapesRenderer(imageSize);
        string dir = Path.GetFullPath(directory);
        Directory.CreateDirectory(dir);
        var generator = new SceneGenerator();
        var files = new List<string>(count);
        var sheet = new List<ImageData>();
        string jsonPath = Path.Combine(dir, "captions.json");
        string jsonTemp = Path.Combine(dir, $".captions.json.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(jsonTemp, FileMode.CreateNew, FileAccess.Write))
            using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                json.WriteStartObject();
                json.WriteString("style", style == RenderStyle.Photo ? "photo" : "synthetic");
                json.WriteNumber("seed", seed);
                json.WriteNumber("image_size", imageSize);
                json.WriteStartArray("items");
                for (int i = 0; i < count; i++)
                {
                    ulong itemSeed = WorldRandom.Derive(seed, (ulong)i);
                    var random = new WorldRandom(itemSeed);
                    Scene scene = generator.Next(random);
                    IReadOnlyList<string> captions = CaptionGrammar.SampleDistinct(scene.Description, 5, random);
                    ImageData image = renderer.Render(scene, style, WorldRandom.Derive(itemSeed, 1));
                    string file = "shape_" + i.ToString("D4", CultureInfo.InvariantCulture) + ".png";
                    PngEncoder.Write(Path.Combine(dir, file), image);
                    files.Add(file);
                    if (sheet.Count < 24)
                    {
                        sheet.Add(image);
                    }

                    WriteItem(json, file, captions, scene);
                }

                json.WriteEndArray();
                json.WriteEndObject();
            }

            File.Move(jsonTemp, jsonPath, overwrite: true);
        }
        finally
        {
            if (File.Exists(jsonTemp))
            {
                File.Delete(jsonTemp);
            }
        }

        string sheetPath = Path.Combine(dir, "contact_sheet.png");
        PngEncoder.Write(sheetPath, ContactSheet.Compose(sheet, columns: 6, scale: Math.Max(1, 128 / imageSize), padding: 4));
        return new ShapesWorldExportSummary(dir, count, files, jsonPath, sheetPath);
    }

    private static void WriteItem(Utf8JsonWriter json, string file, IReadOnlyList<string> captions, Scene scene)
    {
        json.WriteStartObject();
        json.WriteString("file", file);
        json.WriteStartArray("captions");
        foreach (string c in captions)
        {
            json.WriteStringValue(c);
        }

        json.WriteEndArray();
        json.WriteStartObject("scene");
        json.WriteString("key", scene.Description.Key);
        json.WriteStartArray("objects");
        foreach (PlacedObject o in scene.Placements)
        {
            json.WriteStartObject();
            json.WriteString("shape", WorldVocabulary.Word(o.Object.Shape));
            json.WriteString("color", WorldVocabulary.Word(o.Object.Color));
            json.WriteString("size", WorldVocabulary.Word(o.Object.Size));
            json.WriteNumber("x", Math.Round(o.X, 4));
            json.WriteNumber("y", Math.Round(o.Y, 4));
            json.WriteNumber("radius", Math.Round(o.Radius, 4));
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteStartArray("relations");
        foreach (RelationDescription r in scene.Description.Relations)
        {
            json.WriteStartObject();
            json.WriteNumber("subject", r.Subject);
            json.WriteString("relation", r.Relation switch
            {
                SpatialRelation.LeftOf => "left_of",
                SpatialRelation.RightOf => "right_of",
                SpatialRelation.Above => "above",
                _ => "below",
            });
            json.WriteNumber("landmark", r.Landmark);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
