using System.Collections.Generic;
using System.IO;

namespace CrossModal.DependencyInjection;

/// <summary>Application-wide CrossModal settings given to <c>services.AddCrossModal(o => …)</c>.</summary>
public sealed class CrossModalOptions
{
    /// <summary>
    /// A bridge state file (written by <c>BridgeStateFile.Save</c>) that the default <c>IModalityBridge</c> is
    /// restored from when it is first resolved, so a shipped captioner's bridge needs no refitting.
    /// </summary>
    /// <value>Default <see langword="null"/>: the default bridge starts unfitted.</value>
    public string? BridgeStatePath { get; set; }

    /// <summary>Every problem with the current settings; empty when valid.</summary>
    public IEnumerable<string> GetValidationErrors()
    {
        if (BridgeStatePath is not null && !File.Exists(BridgeStatePath))
        {
            yield return $"BridgeStatePath '{BridgeStatePath}' does not exist.";
        }
    }
}
