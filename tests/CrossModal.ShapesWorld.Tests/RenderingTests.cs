using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Models.Images;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.Rendering;
using CrossModal.ShapesWorld.World;
using Xunit;
using Xunit.Abstractions;

namespace CrossModal.ShapesWorld.Tests;

public class RenderingTests(ITestOutputHelper output)
{
    private static Scene Single(Shape shape, ShapeColor color, ShapeSize size, float x = 0.5f, float y = 0.5f)
    {
        var o = new ObjectDescription(shape, color, size);
        return new Scene(new SceneDescription([o], []), [new PlacedObject(o, x, y, SceneLayout.Radius(size))]);
    }

    private static (float R, float G, float B) Pixel(ImageData img, int x, int y)
    {
        int p = (y * img.Width + x) * 3;
        return (img.Pixels[p] / 255f, img.Pixels[p + 1] / 255f, img.Pixels[p + 2] / 255f);
    }

    // Nearest palette colour among saturated pixels; null for unsaturated (background-like) pixels.
    private static ShapeColor? Classify((float R, float G, float B) c)
    {
        float max = MathF.Max(c.R, MathF.Max(c.G, c.B));
        float min = MathF.Min(c.R, MathF.Min(c.G, c.B));
        if (max - min < 0.3f)
        {
            return null;
        }

        // Compare chromaticity (colour divided by its maximum), so lighting changes do not move the answer.
        return WorldVocabulary.Colors.MinBy(k =>
        {
            (float r, float g, float b) = ColorPalette.Rgb(k);
            float m = MathF.Max(r, MathF.Max(g, b));
            return Sq(c.R / max - r / m) + Sq(c.G / max - g / m) + Sq(c.B / max - b / m);
        });
    }

    private static float Sq(float v) => v * v;

    [Theory]
    [InlineData(RenderStyle.Photo)]
    [InlineData(RenderStyle.Synthetic)]
    public void Object_colour_dominates_its_bounding_box_for_every_shape_colour_and_size(RenderStyle style)
    {
        var renderer = new ShapesRenderer(32);
        ulong seed = 0;
        foreach (Shape shape in WorldVocabulary.Shapes)
        {
            foreach (ShapeColor color in WorldVocabulary.Colors)
            {
                foreach (ShapeSize size in WorldVocabulary.Sizes)
                {
                    Scene scene = Single(shape, color, size);
                    ImageData img = renderer.Render(scene, style, seed++);
                    int r = (int)(SceneLayout.Radius(size) * 32 * 0.8f);
                    var counts = new Dictionary<ShapeColor, int>();
                    int box = 0;
                    for (int y = 16 - r; y < 16 + r; y++)
                    {
                        for (int x = 16 - r; x < 16 + r; x++)
                        {
                            box++;
                            if (Classify(Pixel(img, x, y)) is ShapeColor k)
                            {
                                counts[k] = counts.GetValueOrDefault(k) + 1;
                            }
                        }
                    }

                    Assert.True(counts.Count > 0, $"{shape} {color} {size} {style}: no saturated pixel");
                    ShapeColor top = counts.MaxBy(kv => kv.Value).Key;
                    Assert.True(top == color, $"{size} {color} {shape} in {style} reads as {top}");
                    Assert.True(counts[color] >= 0.2 * box, $"{size} {color} {shape} in {style}: only {counts[color]} of {box}");

                    // Outside the object (the corners) nothing reads as a palette colour.
                    Assert.Null(Classify(Pixel(img, 1, 1)));
                    Assert.Null(Classify(Pixel(img, 30, 30)));
                }
            }
        }
    }

    [Fact]
    public void Inscribed_and_outer_radii_bound_every_shape()
    {
        foreach (Shape shape in WorldVocabulary.Shapes)
        {
            float inner = ShapeCoverage.InscribedRadius(shape);
            int inside = 0;
            for (int i = -300; i <= 300; i++)
            {
                for (int j = -300; j <= 300; j++)
                {
                    float u = i / 200f;
                    float v = j / 200f;
                    float d = MathF.Sqrt(u * u + v * v);
                    bool isInside = ShapeCoverage.Inside(shape, u, v);
                    inside += isInside ? 1 : 0;
                    if (d <= inner)
                    {
                        Assert.True(isInside, $"{shape}: ({u}, {v}) within the inscribed radius is outside");
                    }

                    if (d > ShapeCoverage.OuterRadius)
                    {
                        Assert.False(isInside, $"{shape}: ({u}, {v}) beyond the outer radius is inside");
                    }
                }
            }

            // Every shape fills a fair part of [−1, 1]² (the cross, the thinnest, about 0.45 of it).
            Assert.InRange(inside / (400.0 * 400.0), 0.25, 0.7);
        }
    }

    [Fact]
    public void Renders_are_deterministic_from_the_seed()
    {
        var renderer = new ShapesRenderer(32);
        Scene scene = new SceneGenerator().Next(new WorldRandom(1));
        Assert.Equal(renderer.Render(scene, RenderStyle.Photo, 5).Pixels, renderer.Render(scene, RenderStyle.Photo, 5).Pixels);
        Assert.NotEqual(renderer.Render(scene, RenderStyle.Photo, 5).Pixels, renderer.Render(scene, RenderStyle.Photo, 6).Pixels);
        Assert.Equal(renderer.Render(scene, RenderStyle.Synthetic, 5).Pixels, renderer.Render(scene, RenderStyle.Synthetic, 6).Pixels);
    }

    [Fact]
    public void Antialiasing_gives_intermediate_values_on_edges_and_none_without_it()
    {
        Scene scene = Single(Shape.Circle, ShapeColor.Blue, ShapeSize.Large, 0.51f, 0.47f);
        ImageData aa = new ShapesRenderer(32, 4).Render(scene, RenderStyle.Synthetic, 1);
        ImageData hard = new ShapesRenderer(32, 1).Render(scene, RenderStyle.Synthetic, 1);

        // Synthetic icons have three pure colours: background 0.94 grey, outline (0.12, 0.12, 0.14), the palette
        // blue. Antialiased edge pixels are mixtures, equal to none of them; with one sample per pixel there are none.
        static bool Near(ImageData img, int i, (float R, float G, float B) c) =>
            Math.Abs(img.Pixels[i * 3] - c.R * 255) <= 1 && Math.Abs(img.Pixels[i * 3 + 1] - c.G * 255) <= 1 && Math.Abs(img.Pixels[i * 3 + 2] - c.B * 255) <= 1;
        static int Intermediate(ImageData img) => Enumerable.Range(0, 32 * 32).Count(i =>
            !Near(img, i, (0.94f, 0.94f, 0.94f)) && !Near(img, i, (0.12f, 0.12f, 0.14f)) && !Near(img, i, ColorPalette.Rgb(ShapeColor.Blue)));
        Assert.True(Intermediate(aa) >= 40, $"only {Intermediate(aa)} edge pixels are intermediate");
        Assert.Equal(0, Intermediate(hard));
    }

    [Fact]
    public void Photo_and_synthetic_styles_differ_measurably()
    {
        var renderer = new ShapesRenderer(32);
        var g = new SceneGenerator();
        var random = new WorldRandom(2);
        double photoBackgroundStd = 0;
        double syntheticBackgroundStd = 0;
        double meanAbsDiff = 0;
        const int N = 50;
        for (int n = 0; n < N; n++)
        {
            Scene s = g.Next(random);
            ImageData p = renderer.Render(s, RenderStyle.Photo, (ulong)n);
            ImageData q = renderer.Render(s, RenderStyle.Synthetic, (ulong)n);
            photoBackgroundStd += BackgroundStd(p, s);
            syntheticBackgroundStd += BackgroundStd(q, s);
            meanAbsDiff += p.Pixels.Zip(q.Pixels).Average(t => Math.Abs(t.First - t.Second));
        }

        output.WriteLine($"background std photo {photoBackgroundStd / N:0.0}, synthetic {syntheticBackgroundStd / N:0.0}; mean |photo − synthetic| {meanAbsDiff / N:0.0}");
        Assert.Equal(0, syntheticBackgroundStd);
        Assert.True(photoBackgroundStd / N > 4, "photo backgrounds should be textured and noisy");
        Assert.True(meanAbsDiff / N > 20, "styles should differ by more than 20 grey levels on average");
    }

    // Standard deviation of the red channel over pixels far from every object.
    private static double BackgroundStd(ImageData img, Scene s)
    {
        var values = new List<double>();
        for (int y = 0; y < img.Height; y++)
        {
            for (int x = 0; x < img.Width; x++)
            {
                float fx = (x + 0.5f) / img.Width;
                float fy = (y + 0.5f) / img.Height;
                if (s.Placements.All(o => MathF.Sqrt(Sq(fx - o.X) + Sq(fy - o.Y)) > o.Radius * 1.6f + 0.06f))
                {
                    values.Add(img.Pixels[(y * img.Width + x) * 3]);
                }
            }
        }

        double mean = values.Average();
        return Math.Sqrt(values.Average(v => (v - mean) * (v - mean)));
    }

    [Fact]
    public void Caption_renderer_draws_what_the_caption_says()
    {
        var t2i = new CaptionRenderer(new ShapesRenderer(48));
        ImageData img = t2i.Render("a large yellow star to the left of a large purple heart", 3);
        Assert.Equal(48, img.Width);
        // Mean x of yellow pixels is left of the mean x of purple pixels.
        double yellowX = 0, purpleX = 0;
        int yellow = 0, purple = 0;
        for (int y = 0; y < 48; y++)
        {
            for (int x = 0; x < 48; x++)
            {
                ShapeColor? k = Classify(Pixel(img, x, y));
                if (k == ShapeColor.Yellow) { yellowX += x; yellow++; }
                if (k == ShapeColor.Purple) { purpleX += x; purple++; }
            }
        }

        Assert.True(yellow > 50 && purple > 50, $"yellow {yellow}, purple {purple}");
        Assert.True(yellowX / yellow < purpleX / purple);
        ImageData empty = t2i.Render("nothing here", 3);
        Assert.Single(empty.Pixels.Distinct());
    }

    [Fact]
    public void Contact_sheet_of_photos_and_synthetic_renders_round_trips_through_png()
    {
        var renderer = new ShapesRenderer(48);
        // Every shape and colour the renderer draws (the figure in docs/shapesworld.md), not only the default world's.
        var g = new SceneGenerator(kinds: ObjectKinds.All);
        var random = new WorldRandom(2026);
        var images = new List<ImageData>();
        var lines = new List<string>();
        for (int i = 0; i < 12; i++)
        {
            Scene s = g.Next(random);
            images.Add(renderer.Render(s, RenderStyle.Photo, (ulong)i));
            images.Add(renderer.Render(s, RenderStyle.Synthetic, (ulong)i));
            lines.Add($"{i / 3 + 1}.{i % 3 + 1} (photo, synthetic): {CaptionGrammar.Sample(s.Description, random)}");
        }

        ImageData sheet = ContactSheet.Compose(images, columns: 6, scale: 3, padding: 6);
        Assert.Equal(6 * (48 * 3 + 6) + 6, sheet.Width);
        Assert.Equal(4 * (48 * 3 + 6) + 6, sheet.Height);
        string dir = Path.Combine(AppContext.BaseDirectory, "shapesworld-contact-sheet");
        Directory.CreateDirectory(dir);
        string png = Path.Combine(dir, "contact_sheet.png");
        PngEncoder.Write(png, sheet);
        File.WriteAllLines(Path.Combine(dir, "captions.txt"), lines);
        output.WriteLine(png);
        ImageData back = new PngDecoder().Decode(File.ReadAllBytes(png), png);
        Assert.Equal(sheet.Pixels, back.Pixels);
        var ex = Assert.Throws<ArgumentException>(() => ContactSheet.Compose([images[0], new ImageData(32, 32, new byte[32 * 32 * 3])], 2));
        Assert.Equal("images", ex.ParamName);
    }
}
