using System.Collections.Generic;
using System.Linq;

namespace CrossModal.Bridging;

/// <summary>
/// Options of <c>Collapse</c> (C3, Zhang et al., ICLR 2024, §4 "collapse"): remove each modality's mean so that the
/// constant gap vector disappears. It has no settings; the class exists so every strategy is configured alike.
/// </summary>
public sealed class CollapseOptions : BridgeOptions
{
    /// <inheritdoc />
    public override IEnumerable<string> GetValidationErrors() => Enumerable.Empty<string>();
}
