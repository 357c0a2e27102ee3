using CrossModal.Abstractions;

namespace CrossModal.DependencyInjection;

/// <summary>The configured captioner with the embedding width it was trained on (checked against the image encoder).</summary>
internal sealed record LoadedCaptioner(ICaptioner Captioner, int EmbeddingDimension);
