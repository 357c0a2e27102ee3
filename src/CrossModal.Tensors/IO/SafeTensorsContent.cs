using System;
using System.Collections.Generic;

namespace CrossModal.Tensors.IO;

/// <summary>The tensors and metadata of one safetensors file, as read by <see cref="SafeTensorsFile.Read(string)"/>.</summary>
public sealed class SafeTensorsContent
{
    /// <summary>Creates the content of a safetensors file.</summary>
    /// <param name="tensors">Tensors by name.</param>
    /// <param name="metadata">The <c>__metadata__</c> entries.</param>
    public SafeTensorsContent(IReadOnlyDictionary<string, HostArray> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(metadata);
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Tensors by name, converted to float32.</summary>
    public IReadOnlyDictionary<string, HostArray> Tensors { get; }

    /// <summary>The header's <c>__metadata__</c> entries (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}
