using System;
using System.IO;
using System.Linq;
using System.Text.Json;
using CrossModal.Models.Images;
using CrossModal.ShapesWorld.Data;
using CrossModal.ShapesWorld.Rendering;
using Xunit;

namespace CrossModal.ShapesWorld.Tests;

public class ExportTests
{
    [Fact]
    public void WriteRenders_writes_pngs_captions_json_and_a_contact_sheet()
    {
        string dir = Path.Combine(Path.GetTempPath(), "crossmodal-shapes-export-" + Guid.NewGuid().ToString("N"));
        try
        {
            ShapesWorldExportSummary s = ShapesWorldExport.WriteRenders(dir, 7, RenderStyle.Synthetic, seed: 3, imageSize: 48);
            Assert.Equal(7, s.Count);
            Assert.Equal("shape_0000.png", s.ImageFiles[0]);
            var decoder = new PngDecoder();
            var img = decoder.Decode(File.ReadAllBytes(Path.Combine(dir, s.ImageFiles[6])), s.ImageFiles[6]);
            Assert.Equal(48, img.Width);
            using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(s.CaptionsJson));
            Assert.Equal("synthetic", doc.RootElement.GetProperty("style").GetString());
            JsonElement items = doc.RootElement.GetProperty("items");
            Assert.Equal(7, items.GetArrayLength());
            JsonElement first = items[0];
            Assert.Equal(5, first.GetProperty("captions").GetArrayLength());
            Assert.True(first.GetProperty("scene").GetProperty("objects").GetArrayLength() >= 1);
            Assert.True(File.Exists(s.ContactSheet));
            Assert.Empty(Directory.GetFiles(dir, "*.tmp"));

            // Same seed, same bytes.
            string again = dir + "-again";
            ShapesWorldExport.WriteRenders(again, 7, RenderStyle.Synthetic, seed: 3, imageSize: 48);
            Assert.Equal(File.ReadAllBytes(s.CaptionsJson), File.ReadAllBytes(Path.Combine(again, "captions.json")));
            Directory.Delete(again, recursive: true);
        }
        finally
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => ShapesWorldExport.WriteRenders(dir, 0, RenderStyle.Photo, 1));
    }
}
