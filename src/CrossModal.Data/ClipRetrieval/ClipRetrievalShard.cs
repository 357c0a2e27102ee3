using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using CrossModal.Tensors.IO;
using Parquet;
using Parquet.Schema;

namespace CrossModal.Data.ClipRetrieval;

/// <summary>Which embeddings of a clip-retrieval folder to read.</summary>
public enum ClipRetrievalModality
{
    /// <summary>Image embeddings: <c>img_emb/img_emb_N.npy</c>.</summary>
    Image,

    /// <summary>Text (caption) embeddings: <c>text_emb/text_emb_N.npy</c>.</summary>
    Text,
}

/// <summary>
/// One shard of a clip-retrieval folder: the rows that one writer batch produced, as <c>img_emb_N.npy</c>,
/// <c>text_emb_N.npy</c> and <c>metadata_N.parquet</c> with the same N (row i of each describes the same sample).
/// Obtained from <see cref="ClipRetrievalFolder.Shards"/>; its headers were validated when the folder was opened.
/// </summary>
public sealed class ClipRetrievalShard
{
    private readonly string _expectedMetadataPath;

    internal ClipRetrievalShard(int number, string? imagePath, string? textPath, string? metadataPath, string expectedMetadataPath, int rowCount, long firstRow, int dimension)
    {
        _expectedMetadataPath = expectedMetadataPath;
        Number = number;
        ImageEmbeddingsPath = imagePath;
        TextEmbeddingsPath = textPath;
        MetadataPath = metadataPath;
        RowCount = rowCount;
        FirstRow = firstRow;
        Dimension = dimension;
    }

    /// <summary>The shard's number N, parsed from its file names (zero padding ignored).</summary>
    public int Number { get; }

    /// <summary>Path of <c>img_emb/img_emb_N.npy</c>, or <see langword="null"/> when the folder has no image embeddings.</summary>
    public string? ImageEmbeddingsPath { get; }

    /// <summary>Path of <c>text_emb/text_emb_N.npy</c>, or <see langword="null"/> when the folder has no text embeddings.</summary>
    public string? TextEmbeddingsPath { get; }

    /// <summary>Path of <c>metadata/metadata_N.parquet</c>, or <see langword="null"/> when it is absent (embeddings
    /// still read; only captions and other columns need it).</summary>
    public string? MetadataPath { get; }

    /// <summary>Number of rows (samples) in this shard.</summary>
    public int RowCount { get; }

    /// <summary>Index of this shard's first row in the whole folder (shards in ascending <see cref="Number"/>).</summary>
    public long FirstRow { get; }

    /// <summary>Length of each embedding.</summary>
    public int Dimension { get; }

    /// <summary>Values a buffer needs to hold this shard's embeddings of one modality: RowCount · Dimension.</summary>
    public int ValueCount => RowCount * Dimension;

    /// <summary>The path of the embeddings of <paramref name="modality"/>.</summary>
    /// <param name="modality">Image or text.</param>
    /// <exception cref="InvalidOperationException">The folder has no embeddings of that modality.</exception>
    public string EmbeddingsPath(ClipRetrievalModality modality) =>
        (modality == ClipRetrievalModality.Image ? ImageEmbeddingsPath : TextEmbeddingsPath)
        ?? throw new InvalidOperationException($"The folder has no {(modality == ClipRetrievalModality.Image ? "img_emb" : "text_emb")}/ embeddings (shard {Number}).");

    /// <summary>Reads rows <c>[firstRow, firstRow + rowCount)</c> of this shard's embeddings into
    /// <paramref name="destination"/> as float32 (float16 shards are widened exactly).</summary>
    /// <param name="modality">Image or text.</param>
    /// <param name="firstRow">First row within the shard.</param>
    /// <param name="rowCount">Number of rows.</param>
    /// <param name="destination">(rowCount, Dimension) receives the values; it may be longer.</param>
    /// <exception cref="InvalidDataException">The file changed or was truncated since the folder was opened; the
    /// message names it.</exception>
    public void ReadEmbeddings(ClipRetrievalModality modality, int firstRow, int rowCount, Span<float> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstRow);
        ArgumentOutOfRangeException.ThrowIfNegative(rowCount);
        if (firstRow > RowCount - rowCount)
        {
            throw new ArgumentOutOfRangeException(nameof(rowCount), $"Rows [{firstRow}, {firstRow + rowCount}) are outside the {RowCount} rows of shard {Number}.");
        }

        if (destination.Length < (long)rowCount * Dimension)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; {rowCount} rows of {Dimension} need {(long)rowCount * Dimension}.", nameof(destination));
        }

        string path = EmbeddingsPath(modality);
        using NpyReader reader = NpyReader.Open(path);
        ClipRetrievalFolder.CheckShape(reader, path, Dimension, RowCount);
        reader.ReadRows(firstRow, rowCount, destination);
    }

    /// <summary>Reads all of this shard's embeddings of <paramref name="modality"/> into a reusable buffer.</summary>
    /// <param name="modality">Image or text.</param>
    /// <param name="destination">(RowCount, Dimension) receives the values; size it once with
    /// <see cref="ClipRetrievalFolder.LargestShardValueCount"/> and reuse it for every shard.</param>
    public void ReadEmbeddings(ClipRetrievalModality modality, Span<float> destination) =>
        ReadEmbeddings(modality, 0, RowCount, destination);

    /// <summary>Reads one string column of <c>metadata_N.parquet</c> (e.g. <c>"caption"</c>, <c>"url"</c>), one value
    /// per row; nulls stay <see langword="null"/>.</summary>
    /// <param name="column">The column's name.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <exception cref="InvalidDataException">The shard has no metadata file, the file is not valid parquet, the
    /// column is missing or not a string column, or its row count differs from the embeddings'; the message names the
    /// file.</exception>
    public async Task<string?[]> ReadColumnAsync(string column, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(column);
        string path = MetadataPath ?? throw new InvalidDataException(
            $"{_expectedMetadataPath}: missing, so the '{column}' column of shard {Number} cannot be read (embeddings alone read without it).");
        try
        {
            await using FileStream stream = File.OpenRead(path);
            await using ParquetReader reader = await ParquetReader.CreateAsync(stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            DataField? field = reader.Schema.DataFields.FirstOrDefault(f => f.Name == column);
            if (field is null)
            {
                string names = string.Join(", ", reader.Schema.DataFields.Select(f => f.Name));
                throw new InvalidDataException($"{path}: no column '{column}' (the file has: {names}).");
            }

            // Parquet.Net 6 surfaces UTF-8 string columns as ReadOnlyMemory<char>; older writers' as string.
            if ((field.ClrType != typeof(string) && field.ClrType != typeof(ReadOnlyMemory<char>)) || field.IsArray)
            {
                throw new InvalidDataException($"{path}: column '{column}' holds {(field.IsArray ? "lists of " : "")}{field.ClrType}, not strings.");
            }

            long total = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                total += reader.RowGroups[g].RowCount;
            }

            if (total != RowCount)
            {
                throw new InvalidDataException($"{path}: {total} rows, but the shard's embeddings have {RowCount}; row i of the metadata must describe row i of the embeddings.");
            }

            var values = new string?[RowCount];
            int at = 0;
            for (int g = 0; g < reader.RowGroupCount; g++)
            {
                using ParquetRowGroupReader group = reader.OpenRowGroupReader(g);
                int rows = checked((int)group.RowCount);
                await group.ReadAsync(field, values.AsMemory(at, rows), cancellationToken: cancellationToken).ConfigureAwait(false);
                at += rows;
            }

            return values;
        }
        catch (Exception e) when (e is not InvalidDataException and not OperationCanceledException and not FileNotFoundException
            and not DirectoryNotFoundException and not UnauthorizedAccessException and not OutOfMemoryException)
        {
            // Parquet.Net reports damage as IOException, NotSupportedException, InvalidOperationException and others.
            throw new InvalidDataException($"{path}: not a readable parquet file ({e.GetType().Name}: {e.Message}).", e);
        }
    }

    /// <summary>Reads the captions of this shard (the <paramref name="column"/> of <c>metadata_N.parquet</c>).</summary>
    /// <param name="column">The caption column; clip-retrieval writes <c>"caption"</c>.</param>
    /// <exception cref="InvalidDataException">As <see cref="ReadColumnAsync"/>, or a caption is null (the row is named).</exception>
    public IReadOnlyList<string> ReadCaptions(string column = "caption")
    {
        string?[] values = ReadColumnAsync(column).GetAwaiter().GetResult();
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] is null)
            {
                throw new InvalidDataException($"{MetadataPath}: the '{column}' of row {i} is null; every row needs a caption.");
            }
        }

        return values!;
    }
}
