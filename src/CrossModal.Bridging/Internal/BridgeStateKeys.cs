namespace CrossModal.Bridging.Internal;

/// <summary>Metadata keys of a saved bridge (stable: files written by one version are read by the next).</summary>
internal static class BridgeStateKeys
{
    public const string Name = "crossmodal.bridge.name";
    public const string Options = "crossmodal.bridge.options";
    public const string Dimension = "crossmodal.bridge.dimension";
    public const string StageCount = "crossmodal.bridge.stages";
    public const string StagePrefix = "stage";
}
