using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Abstractions;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;

namespace CrossModal.Bridging;

/// <summary>
/// Saves and loads a bridge's fitted state as a safetensors file (tensors plus string metadata), so a trained
/// captioner ships with its bridge. Writes are atomic (temporary file, then rename).
/// </summary>
public static class BridgeStateFile
{
    /// <summary>Writes <paramref name="bridge"/>'s fitted state to <paramref name="path"/>.</summary>
    /// <param name="path">Destination file, conventionally <c>*.bridge.safetensors</c>.</param>
    /// <param name="bridge">A fitted bridge.</param>
    public static void Save(string path, IModalityBridge bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        Save(path, bridge.ExportState());
    }

    /// <summary>Writes <paramref name="state"/> to <paramref name="path"/>.</summary>
    /// <param name="path">Destination file.</param>
    /// <param name="state">The state.</param>
    public static void Save(string path, BridgeState state)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(state);
        var tensors = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var (name, (shape, values)) in state.Tensors)
        {
            tensors[name] = new HostArray(shape, values);
        }

        SafeTensorsFile.Write(path, tensors, state.Metadata);
    }

    /// <summary>Reads the state saved at <paramref name="path"/>.</summary>
    /// <param name="path">A file written by <see cref="Save(string, BridgeState)"/>.</param>
    /// <exception cref="InvalidDataException">The file is not valid safetensors, or carries no bridge name.</exception>
    public static BridgeState Load(string path)
    {
        var content = SafeTensorsFile.Read(path);
        var state = new BridgeState();
        foreach (var (name, array) in content.Tensors)
        {
            state.Tensors[name] = (array.Shape, array.Data);
        }

        foreach (var (key, value) in content.Metadata)
        {
            state.Metadata[key] = value;
        }

        if (!state.Metadata.ContainsKey(Internal.BridgeStateKeys.Name))
        {
            throw new InvalidDataException($"{path}: this safetensors file holds no CrossModal bridge (no '{Internal.BridgeStateKeys.Name}' metadata).");
        }

        return state;
    }

    /// <summary>Rebuilds a fitted pipeline of built-in strategies from a file (see <see cref="BridgePipeline.FromState"/>).</summary>
    /// <param name="path">A file written by <see cref="Save(string, IModalityBridge)"/>.</param>
    /// <exception cref="InvalidDataException">The file is not a bridge state, or its stages, options or tensors are not
    /// what a built-in strategy wrote; the message names the file.</exception>
    public static BridgePipeline LoadPipeline(string path)
    {
        var state = Load(path);
        return AsFileError(path, () => BridgePipeline.FromState(state));
    }

    /// <summary>Restores the state saved at <paramref name="path"/> into <paramref name="bridge"/>, which must have the
    /// same stages (see <see cref="IModalityBridge.ImportState"/>).</summary>
    /// <param name="path">A file written by <see cref="Save(string, IModalityBridge)"/>.</param>
    /// <param name="bridge">The bridge to restore.</param>
    /// <exception cref="InvalidDataException">The file does not hold state for this bridge; the message names the file.</exception>
    public static void Import(string path, IModalityBridge bridge)
    {
        ArgumentNullException.ThrowIfNull(bridge);
        var state = Load(path);
        AsFileError(path, () =>
        {
            bridge.ImportState(state);
            return bridge;
        });
    }

    // The strategies check state as arguments (ArgumentException, with number and JSON parse errors beneath); read from
    // a file those are bad file contents, so they are reported as such with the file's name.
    private static T AsFileError<T>(string path, Func<T> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or System.Text.Json.JsonException)
        {
            throw new InvalidDataException($"{path}: not a valid CrossModal bridge state: {e.Message}", e);
        }
    }
}
