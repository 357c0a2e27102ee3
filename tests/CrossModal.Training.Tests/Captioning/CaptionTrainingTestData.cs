using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Tensors;
using CrossModal.Text;
using CrossModal.Text.Corpora;
using CrossModal.Testing;

namespace CrossModal.Training.Tests.Captioning;

/// <summary>Real captions from the repository's Flickr8k copy and fixed random unit embeddings standing in for a text encoder.</summary>
internal static class CaptionTrainingTestData
{
    public static string RepositoryRoot() => RepositoryPaths.Root;

    /// <summary>The first <paramref name="count"/> distinct Flickr8k captions of at most <paramref name="maxWords"/> words, in file order.</summary>
    public static string[] Flickr8k(int count, int maxWords)
    {
        var corpus = Flickr8kCaptions.Read(Path.Combine(RepositoryRoot(), "data", "captions", "flickr8k", "Flickr8k.token.txt")).Corpus;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(count);
        foreach (var record in corpus.Records)
        {
            var words = WordTokenizer.SplitWords(record.Caption);
            var key = string.Join(' ', words);
            if (words.Count <= maxWords && seen.Add(key))
            {
                result.Add(record.Caption);
                if (result.Count == count)
                {
                    break;
                }
            }
        }

        return [.. result];
    }

    public static EmbeddingMatrix RandomUnitEmbeddings(int rows, int dimension, int seed)
    {
        var rng = new Random(seed);
        var matrix = new EmbeddingMatrix(rows, dimension);
        for (var r = 0; r < rows; r++)
        {
            var row = matrix.Row(r);
            double norm = 0;
            for (var i = 0; i < dimension; i++)
            {
                // Box–Muller normals, then unit length like CLIP embeddings.
                var u1 = 1.0 - rng.NextDouble();
                row[i] = (float)BoxMuller.Sample(u1, rng.NextDouble());
                norm += row[i] * row[i];
            }

            for (var i = 0; i < dimension; i++)
            {
                row[i] = (float)(row[i] / Math.Sqrt(norm));
            }
        }

        return matrix;
    }

    public static string Normalize(string caption) => string.Join(' ', WordTokenizer.SplitWords(caption));
}
