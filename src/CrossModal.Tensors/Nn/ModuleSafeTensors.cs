using System;
using System.Collections.Generic;
using CrossModal.Tensors.IO;

namespace CrossModal.Tensors.Nn;

/// <summary>Saving and loading a module's parameters by their dotted names in safetensors files.</summary>
public static class ModuleSafeTensors
{
    /// <summary>Writes every parameter of <paramref name="module"/> under its dotted name (atomically, temp + rename).</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="module">The module.</param>
    public static void Save(string path, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var (name, p) in module.NamedParameters())
        {
            tensors[name] = new HostArray(p.Value.Shape.ToArray(), p.Value.ToArray());
        }

        SafeTensorsFile.Write(path, tensors);
    }

    /// <summary>Sets every parameter of <paramref name="module"/> from the tensor of the same name and shape.</summary>
    /// <param name="module">The module.</param>
    /// <param name="tensors">Tensors by name, e.g. <see cref="SafeTensorsContent.Tensors"/>; extra names are ignored.</param>
    /// <param name="sourceName">Named in errors, e.g. the file path.</param>
    public static void Load(Module module, IReadOnlyDictionary<string, HostArray> tensors, string sourceName)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(tensors);
        foreach (var (name, p) in module.NamedParameters())
        {
            if (!tensors.TryGetValue(name, out var host))
            {
                throw new System.IO.InvalidDataException($"{sourceName} has no tensor '{name}'.");
            }

            if (!p.Value.Shape.SequenceEqual(host.Shape))
            {
                throw new System.IO.InvalidDataException(
                    $"{sourceName}: tensor '{name}' has shape {TensorShape.Format(host.Shape)} but the module expects {TensorShape.Format(p.Value.Shape)}.");
            }

            p.Value.CopyFrom(host.Data);
        }
    }

    /// <summary>Reads <paramref name="path"/> and loads it with <see cref="Load(Module, IReadOnlyDictionary{string, HostArray}, string)"/>.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="module">The module.</param>
    public static void Load(string path, Module module) => Load(module, SafeTensorsFile.Read(path).Tensors, path);
}
