using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using CrossModal.Abstractions;
using CrossModal.Text;
using CrossModal.Text.Corpora;

namespace CrossModal.Training.Tests.Captioning;

/// <summary>Real captions from the repository's Flickr8k copy and fixed random unit embeddings standing in for a text encoder.</summary>
internal static class CaptionTrainingTestData
{
    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CrossModal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("CrossModal.sln not found above " + AppContext.BaseDirectory);
    }

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
                var u2 = rng.NextDouble();
                row[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2));
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
