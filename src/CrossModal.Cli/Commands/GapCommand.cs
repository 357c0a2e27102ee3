using System;
using System.CommandLine;
using System.Globalization;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Bridging;
using CrossModal.Data.ClipRetrieval;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;

namespace CrossModal.Cli.Commands;

/// <summary>
/// <c>crossmodal gap --npy FILE [--bridge collapse] [--json]</c> or <c>--images A.npy --texts B.npy</c>: the
/// modality-gap report of paired embeddings (<see cref="ModalityGapReport"/>), optionally after a bridge fitted on
/// the same data.
/// </summary>
internal static class GapCommand
{
    public static Command Create()
    {
        var npy = new Option<FileInfo?>("--npy")
        {
            Description = "A float32/float16 .npy array of shape (2, N, D): [0] images, [1] texts, row i paired.",
        };
        var images = new Option<FileInfo?>("--images") { Description = "Image embeddings, .npy of shape (N, D) (with --texts)." };
        var texts = new Option<FileInfo?>("--texts") { Description = "Text embeddings, .npy of shape (N, D), row i paired with image row i." };
        var embeddingsDir = new Option<DirectoryInfo?>("--embeddings-dir")
        {
            Description = "A clip-retrieval output folder (img_emb/img_emb_N.npy and text_emb/text_emb_N.npy, float16 or float32; metadata not needed), read shard by shard.",
        };
        var maxRows = new Option<int>("--max-rows")
        {
            Description = "With --embeddings-dir: the first N pairs (the report builds an N × N cosine matrix).",
            DefaultValueFactory = _ => 10_000,
        };
        var bridge = new Option<string?>("--bridge")
        {
            Description = "Fit this bridge on the same pairs and report after it: collapse, or a preset (c3, capdec, closelinear, decap, …).",
        };
        var seed = new Option<int>("--seed") { Description = "Seed of the bridge's training-time noise.", DefaultValueFactory = _ => 0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout." };
        var command = new Command("gap", "Measure the modality gap between paired image and text embeddings.")
        {
            npy, images, texts, embeddingsDir, maxRows, bridge, seed, json,
        };
        command.SetAction(parse =>
        {
            var (v, t, source) = parse.GetValue(embeddingsDir) is { } folder
                ? LoadFolder(folder, parse.GetValue(maxRows), parse.GetValue(npy) is not null || parse.GetValue(images) is not null || parse.GetValue(texts) is not null)
                : Load(parse.GetValue(npy), parse.GetValue(images), parse.GetValue(texts));
            var bridgeName = parse.GetValue(bridge);
            ModalityGapReport report;
            if (bridgeName is null || bridgeName.Equals("none", StringComparison.OrdinalIgnoreCase))
            {
                report = ModalityGapReport.Compute(v, t);
            }
            else
            {
                var preset = bridgeName.Equals("collapse", StringComparison.OrdinalIgnoreCase)
                    ? BridgePreset.C2Collapse
                    : BridgePresets.Parse(bridgeName);
                var pipeline = BridgePresets.Create(preset);
                Console.Error.WriteLine($"fitting {preset} ({pipeline.Name}) on the same {v.Rows} pairs");
                pipeline.Fit(new BridgeFitData
                {
                    UnpairedTexts = t, UnpairedImages = v, PairedTexts = t, PairedImages = v,
                    SupportTexts = t, PseudoImages = v, PseudoImageTexts = t,
                });
                report = ModalityGapReport.Compute(v, t, pipeline, new Random(parse.GetValue(seed)));
            }

            if (parse.GetValue(json))
            {
                Console.Out.WriteLine(report.ToJson());
            }
            else
            {
                WriteTable(report, source, bridgeName);
            }

            return 0;
        });
        return command;
    }

    private static (EmbeddingMatrix Images, EmbeddingMatrix Texts, string Source) LoadFolder(DirectoryInfo folder, int maxRows, bool otherInputs)
    {
        if (otherInputs)
        {
            throw new CommandLineError("give either --embeddings-dir DIR or .npy files (--npy, --images/--texts), not both.");
        }

        if (maxRows < 1)
        {
            throw new CommandLineError($"--max-rows: expected a positive number of pairs but got {maxRows}.");
        }

        var shards = ClipRetrievalFolder.Open(folder.FullName);
        if (!shards.HasImageEmbeddings || !shards.HasTextEmbeddings)
        {
            throw new CommandLineError($"--embeddings-dir {folder.FullName}: the gap needs both img_emb/ and text_emb/ shards.");
        }

        var (images, texts) = shards.LoadPairs(maxRows);
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"read {images.Rows} of {shards.RowCount} pairs from {shards.Shards.Count} shards of {folder.FullName}"));
        return (images, texts, folder.Name);
    }

    private static (EmbeddingMatrix Images, EmbeddingMatrix Texts, string Source) Load(FileInfo? npy, FileInfo? images, FileInfo? texts)
    {
        if (npy is not null)
        {
            if (images is not null || texts is not null)
            {
                throw new CommandLineError("give either --npy FILE or both --images and --texts, not both forms.");
            }

            var array = Read(npy);
            if (array.Rank != 3 || array.Shape[0] != 2)
            {
                throw new CommandLineError($"{npy.FullName}: expected an array of shape (2, N, D) but it has shape ({string.Join(", ", array.Shape)}).");
            }

            var (n, d) = (array.Shape[1], array.Shape[2]);
            var half = n * d;
            return (ToMatrix(array.Data.AsSpan(0, half).ToArray(), n, d, npy, "[0] images"),
                    ToMatrix(array.Data.AsSpan(half, half).ToArray(), n, d, npy, "[1] texts"),
                    npy.Name);
        }

        if (images is null || texts is null)
        {
            throw new CommandLineError("give --npy FILE (shape (2, N, D)), or both --images A.npy and --texts B.npy (shape (N, D) each).");
        }

        var a = Read(images);
        var b = Read(texts);
        foreach (var (file, array) in new[] { (images, a), (texts, b) })
        {
            if (array.Rank != 2)
            {
                throw new CommandLineError($"{file.FullName}: expected an array of shape (N, D) but it has shape ({string.Join(", ", array.Shape)}).");
            }
        }

        if (a.Shape[0] != b.Shape[0] || a.Shape[1] != b.Shape[1])
        {
            throw new CommandLineError(
                $"the images ({a.Shape[0]}, {a.Shape[1]}) and texts ({b.Shape[0]}, {b.Shape[1]}) must have the same shape: row i of each is one pair.");
        }

        return (ToMatrix(a.Data, a.Shape[0], a.Shape[1], images, "images"), ToMatrix(b.Data, b.Shape[0], b.Shape[1], texts, "texts"),
                $"{images.Name} + {texts.Name}");
    }

    private static HostArray Read(FileInfo file)
    {
        if (!file.Exists)
        {
            throw new CommandLineError($"{file.FullName}: no such file.");
        }

        return NpyFile.Read(file.FullName);
    }

    private static EmbeddingMatrix ToMatrix(float[] data, int rows, int dimension, FileInfo file, string part)
    {
        if (rows < 2 || dimension < 1)
        {
            throw new CommandLineError($"{file.FullName}: {part} needs at least 2 rows and 1 column (got {rows} × {dimension}).");
        }

        var matrix = new EmbeddingMatrix(data, rows, dimension);
        try
        {
            matrix.EnsureFinite(part);
        }
        catch (ArgumentException e)
        {
            throw new CommandLineError($"{file.FullName}: {part}: {e.Message}", e);
        }

        return matrix;
    }

    private static void WriteTable(ModalityGapReport r, string source, string? bridge)
    {
        var c = CultureInfo.InvariantCulture;
        Console.Out.WriteLine($"modality gap of {source}: {r.N} pairs, dimension {r.Dimension}{(bridge is null ? string.Empty : $", after {bridge}")}");
        Console.Out.WriteLine(string.Create(c, $"  mean paired cosine      {r.MeanPairedCosine,8:F4}"));
        Console.Out.WriteLine(string.Create(c, $"  mean unpaired cosine    {r.MeanUnpairedCosine,8:F4}"));
        Console.Out.WriteLine(string.Create(c, $"  centroid distance       {r.CentroidDistance,8:F4}"));
        Console.Out.WriteLine(string.Create(c, $"  image→text R@1 / R@5    {r.ImageToTextRecallAt1,8:F3} / {r.ImageToTextRecallAt5:F3}"));
        Console.Out.WriteLine(string.Create(c, $"  text→image R@1 / R@5    {r.TextToImageRecallAt1,8:F3} / {r.TextToImageRecallAt5:F3}"));
        Console.Out.WriteLine(string.Create(c, $"  gap directions for 90 % / 99 % of the centred difference variance: {r.GapDims90} / {r.GapDims99}"));
    }
}
