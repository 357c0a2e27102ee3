using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Text.Corpora;

/// <summary>
/// Captions of a set of images: the flat list of (image id, caption) records in file order, and the references of
/// each image in that order (what caption metrics take as ground truth).
/// </summary>
public sealed class CaptionCorpus
{
    private readonly Dictionary<string, IReadOnlyList<string>> _references;

    /// <summary>Groups <paramref name="records"/> by image, keeping file order within and across images.</summary>
    /// <param name="records">The records.</param>
    public CaptionCorpus(IReadOnlyList<CaptionRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        Records = records;
        var grouped = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var record in records)
        {
            if (!grouped.TryGetValue(record.ImageId, out var list))
            {
                list = [];
                grouped.Add(record.ImageId, list);
                order.Add(record.ImageId);
            }

            list.Add(record.Caption);
        }

        ImageIds = order;
        _references = grouped.ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.Ordinal);
    }

    /// <summary>Every caption, in file order.</summary>
    public IReadOnlyList<CaptionRecord> Records { get; }

    /// <summary>Distinct image ids in order of first appearance.</summary>
    public IReadOnlyList<string> ImageIds { get; }

    /// <summary>The captions of each image, in file order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> ReferencesByImage => _references;

    /// <summary>The captions of one image.</summary>
    /// <param name="imageId">An id from <see cref="ImageIds"/>.</param>
    /// <exception cref="KeyNotFoundException">The corpus has no such image.</exception>
    public IReadOnlyList<string> ReferencesOf(string imageId) =>
        _references.TryGetValue(imageId, out var list)
            ? list
            : throw new KeyNotFoundException($"The corpus has no image '{imageId}'.");

    /// <summary>The records of the images in <paramref name="imageIds"/> (e.g. a train/dev/test split), in file order.</summary>
    /// <param name="imageIds">Images to keep; ids the corpus lacks are an error.</param>
    /// <exception cref="ArgumentException">An id is not in the corpus.</exception>
    public CaptionCorpus Subset(IEnumerable<string> imageIds)
    {
        ArgumentNullException.ThrowIfNull(imageIds);
        var keep = new HashSet<string>(StringComparer.Ordinal);
        foreach (var id in imageIds)
        {
            if (!_references.ContainsKey(id))
            {
                throw new ArgumentException($"Image '{id}' is not in the corpus.", nameof(imageIds));
            }

            keep.Add(id);
        }

        return new CaptionCorpus(Records.Where(r => keep.Contains(r.ImageId)).ToList());
    }
}
