using System.Collections.Generic;
using CrossModal.Abstractions;

namespace CrossModal.ShapesWorld.Data;

/// <summary>Rendered (photo, caption) pairs for contrastive training, in consecutive groups that belong in one batch
/// (<see cref="ShapesWorldDataset.WebHardNegativeGroups"/>).</summary>
/// <param name="Photos">The photos; pair i is (Photos[i], Captions[i]).</param>
/// <param name="Captions">Their captions.</param>
/// <param name="GroupSize">Pairs per group: pairs g·k … g·k + k − 1 form group g.</param>
/// <param name="LeftOut">Web pairs left out because their scene had too few admissible variants.</param>
public sealed record ShapesWorldPairs(IReadOnlyList<ImageData> Photos, IReadOnlyList<string> Captions, int GroupSize, int LeftOut);
