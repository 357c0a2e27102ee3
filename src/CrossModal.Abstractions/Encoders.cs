using System.Collections.Generic;

namespace CrossModal.Abstractions;

/// <summary>Maps texts into an embedding space.</summary>
public interface ITextEncoder
{
    /// <summary>Length of the embeddings produced.</summary>
    int Dimension { get; }

    /// <summary>Embeds each text; row i of the result belongs to <paramref name="texts"/>[i].</summary>
    /// <param name="texts">The texts to embed.</param>
    EmbeddingMatrix EncodeTexts(IReadOnlyList<string> texts);
}

/// <summary>Maps images into an embedding space.</summary>
public interface IImageEncoder
{
    /// <summary>Length of the embeddings produced.</summary>
    int Dimension { get; }

    /// <summary>Embeds each image; row i of the result belongs to <paramref name="images"/>[i].</summary>
    /// <param name="images">The images to embed.</param>
    EmbeddingMatrix EncodeImages(IReadOnlyList<ImageData> images);
}

/// <summary>Decodes an encoded image file (PNG, JPEG, …) into <see cref="ImageData"/>.</summary>
public interface IImageDecoder
{
    /// <summary>Whether the bytes start with a signature this decoder understands.</summary>
    /// <param name="header">The first bytes of the file (at least 16 when available).</param>
    bool CanDecode(System.ReadOnlySpan<byte> header);

    /// <summary>Decodes a whole file's bytes.</summary>
    /// <param name="data">The file's bytes.</param>
    /// <param name="sourceName">A name for error messages, usually the file path.</param>
    /// <exception cref="System.IO.InvalidDataException">The data is corrupt or truncated; the message names <paramref name="sourceName"/>.</exception>
    ImageData Decode(System.ReadOnlySpan<byte> data, string sourceName);
}

/// <summary>Writes captions for images given as embeddings.</summary>
public interface ICaptioner
{
    /// <summary>One caption per row of <paramref name="images"/>, after the captioner's bridge has transformed them.</summary>
    /// <param name="images">Image embeddings.</param>
    IReadOnlyList<string> Caption(EmbeddingMatrix images);
}
