using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Data.Statistics;
using CrossModal.Tensors.IO;

namespace CrossModal.Data.ClipRetrieval;

/// <summary>
/// A folder written by clip-retrieval's <c>clip-inference</c> (rom1504/clip-retrieval, its numpy writer):
/// <c>img_emb/img_emb_N.npy</c> and <c>text_emb/text_emb_N.npy</c> — (rows, D) float16 by default, or float32 — and
/// <c>metadata/metadata_N.parquet</c> (<c>image_path</c>, <c>caption</c>, <c>url</c>, …), one set per writer batch,
/// with N zero-padded to the partition count's digits. Read shard by shard: nothing holds more than one shard (or the
/// rows asked for) in memory.
/// </summary>
/// <remarks>
/// <para>Opening lists the shards and validates every <c>.npy</c> header (2-D, a float type, one dimension D across
/// all files, image and text shards of the same N paired with equal row counts) without reading any embedding, so a
/// bad folder fails at once with an <see cref="InvalidDataException"/> naming the offending shard file. A folder with
/// only <c>img_emb/</c> or only <c>text_emb/</c> is valid (clip-inference run with one modality disabled). The
/// metadata folder is optional: embeddings read without it; only captions need it.</para>
/// <para>Shards are ordered by N as a number (2 before 10), and rows are numbered across the folder in that order.</para>
/// </remarks>
/// <example>
/// <code>
/// var folder = ClipRetrievalFolder.Open("laion-subset-embeddings");
/// var buffer = new float[folder.LargestShardValueCount];   // one reusable buffer
/// foreach (ClipRetrievalShard shard in folder.Shards)
/// {
///     shard.ReadEmbeddings(ClipRetrievalModality.Image, buffer);   // (shard.RowCount, folder.Dimension)
/// }
///
/// // The modality gap on the first 5,000 pairs.
/// var (images, texts) = folder.LoadPairs(maxRows: 5000);
/// var report = ModalityGapReport.Compute(images, texts);
/// </code>
/// </example>
public sealed class ClipRetrievalFolder
{
    private const string ImageFolder = "img_emb";
    private const string TextFolder = "text_emb";
    private const string MetadataFolder = "metadata";

    private ClipRetrievalFolder(string directory, IReadOnlyList<ClipRetrievalShard> shards, int dimension, bool hasImages, bool hasTexts, bool hasMetadata)
    {
        Directory = directory;
        Shards = shards;
        Dimension = dimension;
        HasImageEmbeddings = hasImages;
        HasTextEmbeddings = hasTexts;
        HasMetadata = hasMetadata;
        RowCount = shards.Sum(s => (long)s.RowCount);
        LargestShardRows = shards.Count == 0 ? 0 : shards.Max(s => s.RowCount);
    }

    /// <summary>The folder's path as given to <see cref="Open"/>.</summary>
    public string Directory { get; }

    /// <summary>The shards, in ascending <see cref="ClipRetrievalShard.Number"/>.</summary>
    public IReadOnlyList<ClipRetrievalShard> Shards { get; }

    /// <summary>Length of every embedding (D).</summary>
    public int Dimension { get; }

    /// <summary>Rows (samples) across all shards.</summary>
    public long RowCount { get; }

    /// <summary>Rows of the largest shard.</summary>
    public int LargestShardRows { get; }

    /// <summary>Values a buffer needs to hold any one shard of one modality: LargestShardRows · Dimension.</summary>
    public int LargestShardValueCount => LargestShardRows * Dimension;

    /// <summary>Whether the folder has <c>img_emb/</c> shards.</summary>
    public bool HasImageEmbeddings { get; }

    /// <summary>Whether the folder has <c>text_emb/</c> shards.</summary>
    public bool HasTextEmbeddings { get; }

    /// <summary>Whether every shard has its <c>metadata_N.parquet</c>.</summary>
    public bool HasMetadata { get; }

    /// <summary>Lists and validates the shards of a clip-retrieval output folder.</summary>
    /// <param name="directory">The folder holding <c>img_emb/</c> and/or <c>text_emb/</c> (and optionally <c>metadata/</c>).</param>
    /// <exception cref="DirectoryNotFoundException">There is no such folder.</exception>
    /// <exception cref="InvalidDataException">Neither embedding folder exists or holds a shard; a shard is not a valid
    /// 2-D float .npy; dimensions differ; an image shard lacks its text pair or the other way round; paired shards
    /// differ in row count; two files claim the same N. The message names the file.</exception>
    public static ClipRetrievalFolder Open(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DirectoryNotFoundException($"No such folder: {directory}.");
        }

        Dictionary<int, string>? images = List(directory, ImageFolder, "img_emb_", ".npy");
        Dictionary<int, string>? texts = List(directory, TextFolder, "text_emb_", ".npy");
        Dictionary<int, string>? metadata = List(directory, MetadataFolder, "metadata_", ".parquet");
        if ((images is null || images.Count == 0) && (texts is null || texts.Count == 0))
        {
            throw new InvalidDataException(
                $"{directory}: not a clip-retrieval embeddings folder: expected {ImageFolder}/{ImageFolder}_N.npy and/or {TextFolder}/{TextFolder}_N.npy shards.");
        }

        bool hasImages = images is { Count: > 0 };
        bool hasTexts = texts is { Count: > 0 };
        if (hasImages && hasTexts)
        {
            foreach (int n in images!.Keys.Where(n => !texts!.ContainsKey(n)).Order())
            {
                throw new InvalidDataException($"{images[n]}: image shard {n} has no text pair ({Partner(images[n], ImageFolder, TextFolder)} is missing); row i of each must describe the same sample.");
            }

            foreach (int n in texts!.Keys.Where(n => !images.ContainsKey(n)).Order())
            {
                throw new InvalidDataException($"{texts[n]}: text shard {n} has no image pair ({Partner(texts[n], TextFolder, ImageFolder)} is missing); row i of each must describe the same sample.");
            }
        }

        int[] numbers = (hasImages ? images! : texts!).Keys.Order().ToArray();
        var shards = new List<ClipRetrievalShard>(numbers.Length);
        int dimension = 0;
        string? dimensionSource = null;
        long firstRow = 0;
        foreach (int n in numbers)
        {
            string? imagePath = hasImages ? images![n] : null;
            string? textPath = hasTexts ? texts![n] : null;
            int rows = -1;
            foreach (string? path in new[] { imagePath, textPath })
            {
                if (path is null)
                {
                    continue;
                }

                using NpyReader reader = NpyReader.Open(path);
                int[] shape = reader.Shape;
                if (shape.Length != 2 || shape[1] < 1)
                {
                    throw new InvalidDataException($"{path}: expected a 2-D (rows, dimension) embedding array but the shape is ({string.Join(", ", shape)}).");
                }

                if (dimensionSource is null)
                {
                    dimension = shape[1];
                    dimensionSource = path;
                }
                else if (shape[1] != dimension)
                {
                    throw new InvalidDataException($"{path}: embeddings of dimension {shape[1]}, but {dimensionSource} has {dimension}; every shard of a folder must have the same dimension.");
                }

                if ((long)shape[0] * shape[1] > Array.MaxLength)
                {
                    throw new InvalidDataException($"{path}: {shape[0]} rows of {shape[1]} are more than one buffer can hold; split the shard.");
                }

                if (rows >= 0 && shape[0] != rows)
                {
                    throw new InvalidDataException($"{path}: {shape[0]} rows, but its image pair {imagePath} has {rows}; paired shards must have equal row counts.");
                }

                rows = shape[0];
            }

            string? metadataPath = metadata is not null && metadata.TryGetValue(n, out string? m) ? m : null;
            string embeddingsName = Path.GetFileNameWithoutExtension(imagePath ?? textPath)!;
            string expectedMetadata = Path.Combine(directory, MetadataFolder, $"{MetadataFolder}_{embeddingsName[(embeddingsName.LastIndexOf('_') + 1)..]}.parquet");
            shards.Add(new ClipRetrievalShard(n, imagePath, textPath, metadataPath, expectedMetadata, rows, firstRow, dimension));
            firstRow += rows;
        }

        bool hasMetadata = shards.All(s => s.MetadataPath is not null);
        return new ClipRetrievalFolder(directory, shards, dimension, hasImages, hasTexts, hasMetadata);
    }

    /// <summary>
    /// The first <paramref name="maxRows"/> embeddings of <paramref name="modality"/> (all of them when fewer), read
    /// shard by shard into one matrix — the "load at most N rows" convenience for consumers that need a matrix.
    /// </summary>
    /// <param name="modality">Image or text.</param>
    /// <param name="maxRows">Most rows to load; one or more.</param>
    /// <exception cref="InvalidOperationException">The folder has no embeddings of that modality.</exception>
    public EmbeddingMatrix Load(ClipRetrievalModality modality, int maxRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        int rows = (int)Math.Min(maxRows, RowCount);
        var matrix = new EmbeddingMatrix(rows, Dimension);
        int at = 0;
        foreach (ClipRetrievalShard shard in Shards)
        {
            if (at == rows)
            {
                break;
            }

            int take = Math.Min(shard.RowCount, rows - at);
            shard.ReadEmbeddings(modality, 0, take, matrix.Span.Slice(at * Dimension, take * Dimension));
            at += take;
        }

        return matrix;
    }

    /// <summary>The first <paramref name="maxRows"/> image–text pairs (row i of each is one sample), for
    /// <c>ModalityGapReport.Compute(images, texts)</c> and paired bridge fitting.</summary>
    /// <param name="maxRows">Most pairs to load; one or more.</param>
    /// <exception cref="InvalidOperationException">The folder lacks image or text embeddings.</exception>
    public (EmbeddingMatrix Images, EmbeddingMatrix Texts) LoadPairs(int maxRows)
    {
        RequireBoth("paired image–text embeddings");
        return (Load(ClipRetrievalModality.Image, maxRows), Load(ClipRetrievalModality.Text, maxRows));
    }

    /// <summary>
    /// The first <paramref name="maxRows"/> captions with their text embeddings (row i of the matrix embeds caption
    /// i), for <c>CaptionTrainer.Train(captions, embeddings)</c>.
    /// </summary>
    /// <param name="maxRows">Most rows to load; one or more.</param>
    /// <param name="captionColumn">The metadata column holding the captions.</param>
    /// <exception cref="InvalidOperationException">The folder has no text embeddings.</exception>
    /// <exception cref="InvalidDataException">A shard lacks its metadata file or the column, or a caption is null.</exception>
    public (IReadOnlyList<string> Captions, EmbeddingMatrix Texts) LoadCaptionedTexts(int maxRows, string captionColumn = "caption")
    {
        EmbeddingMatrix texts = Load(ClipRetrievalModality.Text, maxRows);
        return (LoadCaptions(texts.Rows, captionColumn), texts);
    }

    /// <summary>The first <paramref name="maxRows"/> captions, read from the metadata shard by shard.</summary>
    /// <param name="maxRows">Most captions to read; one or more.</param>
    /// <param name="captionColumn">The metadata column holding the captions.</param>
    /// <exception cref="InvalidDataException">A shard lacks its metadata file or the column, or a caption is null.</exception>
    public IReadOnlyList<string> LoadCaptions(int maxRows, string captionColumn = "caption")
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxRows, 1);
        int rows = (int)Math.Min(maxRows, RowCount);
        var captions = new List<string>(rows);
        foreach (ClipRetrievalShard shard in Shards)
        {
            if (captions.Count == rows)
            {
                break;
            }

            if (shard.RowCount == 0)
            {
                continue;
            }

            IReadOnlyList<string> shardCaptions = shard.ReadCaptions(captionColumn);
            captions.AddRange(shardCaptions.Take(rows - captions.Count));
        }

        return captions;
    }

    /// <summary>
    /// Fitting data for any bridge from the first <paramref name="maxRows"/> pairs: the pairs serve as
    /// <c>PairedImages</c>/<c>PairedTexts</c> (CLOSE, CovarianceNoise, LinearAdapter), as the unpaired sets (Collapse,
    /// MeanShift) and the texts as the support set (DeCap). A folder with one modality fills only that side.
    /// </summary>
    /// <param name="maxRows">Most rows per modality; one or more.</param>
    public BridgeFitData LoadBridgeFitData(int maxRows)
    {
        EmbeddingMatrix? images = HasImageEmbeddings ? Load(ClipRetrievalModality.Image, maxRows) : null;
        EmbeddingMatrix? texts = HasTextEmbeddings ? Load(ClipRetrievalModality.Text, maxRows) : null;
        bool paired = images is not null && texts is not null;
        return new BridgeFitData
        {
            UnpairedImages = images,
            UnpairedTexts = texts,
            PairedImages = paired ? images : null,
            PairedTexts = paired ? texts : null,
            SupportTexts = texts,
        };
    }

    /// <summary>
    /// Mean (and covariance) of every embedding of <paramref name="modality"/> in one streaming pass, one shard in
    /// memory at a time — e.g. Collapse's and MeanShift's normalised means over a whole LAION dump.
    /// </summary>
    /// <param name="modality">Image or text.</param>
    /// <param name="normalizeRows">Scale each row to unit L2 norm first (how the bridges measure).</param>
    /// <param name="withCovariance">Also accumulate the (D, D) covariance.</param>
    public EmbeddingMoments ComputeMoments(ClipRetrievalModality modality, bool normalizeRows = true, bool withCovariance = false)
    {
        var moments = new EmbeddingMoments(Dimension, withCovariance, normalizeRows);
        var buffer = new float[LargestShardValueCount];
        foreach (ClipRetrievalShard shard in Shards)
        {
            shard.ReadEmbeddings(modality, buffer);
            moments.Add(buffer, shard.RowCount);
        }

        return moments;
    }

    /// <summary>
    /// Mean (and covariance) of the paired differences Δ_i = n(v_i) − n(t_i) of L2-normalised image and text rows in
    /// one streaming pass: the gap vector and the gap covariance Σ_Δ that CovarianceNoise samples from.
    /// </summary>
    /// <param name="withCovariance">Also accumulate the (D, D) covariance of Δ.</param>
    /// <exception cref="InvalidOperationException">The folder lacks image or text embeddings.</exception>
    public EmbeddingMoments ComputeGapMoments(bool withCovariance = true)
    {
        RequireBoth("the image–text gap");
        var moments = new EmbeddingMoments(Dimension, withCovariance, normalizeRows: false);
        var images = new float[LargestShardValueCount];
        var texts = new float[LargestShardValueCount];
        foreach (ClipRetrievalShard shard in Shards)
        {
            shard.ReadEmbeddings(ClipRetrievalModality.Image, images);
            shard.ReadEmbeddings(ClipRetrievalModality.Text, texts);
            for (int i = 0; i < shard.RowCount; i++)
            {
                Span<float> v = images.AsSpan(i * Dimension, Dimension);
                Span<float> t = texts.AsSpan(i * Dimension, Dimension);
                Normalize(v);
                Normalize(t);
                System.Numerics.Tensors.TensorPrimitives.Subtract(v, t, v);
            }

            moments.Add(images, shard.RowCount);
        }

        return moments;
    }

    /// <summary>Throws <see cref="InvalidDataException"/> naming <paramref name="path"/> unless the open file still
    /// has the shape the folder recorded (it may have been replaced since).</summary>
    internal static void CheckShape(NpyReader reader, string path, int dimension, int rows)
    {
        int[] shape = reader.Shape;
        if (shape.Length != 2 || shape[0] != rows || shape[1] != dimension)
        {
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", shape)}) but ({rows}, {dimension}) when the folder was opened; the file changed.");
        }
    }

    /// <summary>The path the other modality's file of the same shard would have (same padding of N).</summary>
    private static string Partner(string path, string from, string to)
    {
        string shardFolder = Path.GetDirectoryName(Path.GetDirectoryName(path))!;
        return Path.Combine(shardFolder, to, to + Path.GetFileName(path)[from.Length..]);
    }

    private static void Normalize(Span<float> row)
    {
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
        if (norm > 0f)
        {
            System.Numerics.Tensors.TensorPrimitives.Multiply(row, 1f / norm, row);
        }
    }

    private void RequireBoth(string what)
    {
        if (!HasImageEmbeddings || !HasTextEmbeddings)
        {
            throw new InvalidOperationException(
                $"{Directory}: {what} needs both {ImageFolder}/ and {TextFolder}/ shards, but the folder has only {(HasImageEmbeddings ? ImageFolder : TextFolder)}/.");
        }
    }

    /// <summary>The files <c>{prefix}N{extension}</c> of one subfolder by N, or <see langword="null"/> when the
    /// subfolder does not exist. Other files are ignored (clip-retrieval writes nothing else there, but users copy
    /// README files and the like into such folders).</summary>
    private static Dictionary<int, string>? List(string directory, string subfolder, string prefix, string extension)
    {
        string folder = Path.Combine(directory, subfolder);
        if (!System.IO.Directory.Exists(folder))
        {
            return null;
        }

        var files = new Dictionary<int, string>();
        foreach (string path in System.IO.Directory.EnumerateFiles(folder).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(path);
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(extension, StringComparison.Ordinal))
            {
                continue;
            }

            string digits = name[prefix.Length..^extension.Length];
            if (digits.Length == 0 || !digits.All(char.IsAsciiDigit) ||
                !int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out int n))
            {
                continue;
            }

            if (!files.TryAdd(n, path))
            {
                throw new InvalidDataException($"{path}: shard number {n} is also {files[n]}; each shard number must appear once.");
            }
        }

        return files;
    }
}
