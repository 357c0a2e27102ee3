using System;
using System.Collections.Generic;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace CrossModal.Models.Captioning;

/// <summary>The mapping network of a <see cref="PrefixLanguageModel"/>.</summary>
[JsonConverter(typeof(PrefixMapperKindJsonConverter))]
public enum PrefixMapperKind
{
    /// <summary><see cref="MlpMapper"/>, ClipCap's MLP variant (fine-tunes the decoder), C3. Name <c>mlp</c>.</summary>
    Mlp,

    /// <summary><see cref="TransformerMapper"/>, ClipCap's transformer variant (frozen decoder). Name <c>transformer</c>.</summary>
    Transformer,

    /// <summary><see cref="LinearMapper"/>, one prefix vector, DeCap. Name <c>linear</c>.</summary>
    Linear,
}

/// <summary>
/// The names of <see cref="PrefixMapperKind"/> at the boundaries where a mapper is named by a string (command line,
/// checkpoint files): <c>mlp</c>, <c>transformer</c>, <c>linear</c>.
/// </summary>
public static class PrefixMapperKinds
{
    private static readonly Dictionary<string, PrefixMapperKind> ByName = new(StringComparer.OrdinalIgnoreCase)
    {
        ["mlp"] = PrefixMapperKind.Mlp,
        ["transformer"] = PrefixMapperKind.Transformer,
        ["linear"] = PrefixMapperKind.Linear,
    };

    /// <summary>The stable name of <paramref name="kind"/> (<c>mlp</c>, <c>transformer</c>, <c>linear</c>).</summary>
    /// <param name="kind">The kind.</param>
    public static string ToName(this PrefixMapperKind kind) => kind switch
    {
        PrefixMapperKind.Mlp => "mlp",
        PrefixMapperKind.Transformer => "transformer",
        PrefixMapperKind.Linear => "linear",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a mapper kind."),
    };

    /// <summary>The kind called <paramref name="name"/> (case-insensitive).</summary>
    /// <param name="name"><c>mlp</c>, <c>transformer</c> or <c>linear</c>.</param>
    /// <exception cref="ArgumentException">Another name; the message lists the valid ones.</exception>
    public static PrefixMapperKind Parse(string name) => TryParse(name, out var kind)
        ? kind
        : throw new ArgumentException($"Unknown mapper '{name}'; expected mlp, transformer or linear.", nameof(name));

    /// <summary>The kind called <paramref name="name"/> (case-insensitive), if any.</summary>
    /// <param name="name">The name.</param>
    /// <param name="kind">The kind when the name is known.</param>
    public static bool TryParse(string? name, out PrefixMapperKind kind)
    {
        kind = default;
        return name is not null && ByName.TryGetValue(name, out kind);
    }
}

/// <summary>Writes a <see cref="PrefixMapperKind"/> as its name (<c>"mlp"</c>), as checkpoints have always stored it.</summary>
internal sealed class PrefixMapperKindJsonConverter : JsonConverter<PrefixMapperKind>
{
    public override PrefixMapperKind Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && PrefixMapperKinds.TryParse(reader.GetString(), out var kind)
            ? kind
            : throw new JsonException($"Expected a mapper name (mlp, transformer or linear) but found {reader.TokenType} '{(reader.TokenType == JsonTokenType.String ? reader.GetString() : null)}'.");

    public override void Write(Utf8JsonWriter writer, PrefixMapperKind value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToName());
}

/// <summary>
/// What the user sets to build a <see cref="PrefixLanguageModel"/>: the mapper's kind and sizes and the decoder's
/// shape. A model reports the options it was built with (<see cref="PrefixLanguageModel.Options"/>), and captioner
/// checkpoints store them as JSON to rebuild the model before loading its weights.
/// </summary>
public sealed class PrefixLanguageModelOptions
{
    /// <summary>The mapping network.</summary>
    /// <value><see cref="PrefixMapperKind.Mlp"/> (ClipCap's fine-tuned variant, C3).</value>
    public PrefixMapperKind Mapper { get; set; } = PrefixMapperKind.Mlp;

    /// <summary>Embedding dimension D.</summary>
    public int EmbeddingDimension { get; set; }

    /// <summary>Prefix vectors k (always 1 for the linear mapper).</summary>
    /// <value>4 (ClipCap uses 10 with GPT-2; small decoders need fewer).</value>
    public int PrefixLength { get; set; } = 4;

    /// <summary>k' of the transformer mapper.</summary>
    /// <value>10.</value>
    public int MapperClipLength { get; set; } = 10;

    /// <summary>Blocks of the transformer mapper.</summary>
    /// <value>8.</value>
    public int MapperLayers { get; set; } = 8;

    /// <summary>Heads of the transformer mapper.</summary>
    /// <value>8.</value>
    public int MapperHeads { get; set; } = 8;

    /// <summary>The decoder's shape; null when the model is built around an existing (e.g. pretrained) decoder, whose shape is then used.</summary>
    public Gpt2DecoderOptions? Decoder { get; set; }

    /// <summary>Whether only the mapper is trained.</summary>
    /// <value>False.</value>
    public bool FreezeDecoder { get; set; }

    /// <summary>The mapper these options describe, sized for a decoder of width <paramref name="width"/>.</summary>
    /// <param name="backend">The compute backend.</param>
    /// <param name="width">The decoder's width d.</param>
    internal PrefixMapper CreateMapper(Tensors.IComputeBackend backend, int width) => Mapper switch
    {
        PrefixMapperKind.Mlp => new MlpMapper(backend, EmbeddingDimension, PrefixLength, width),
        PrefixMapperKind.Transformer => new TransformerMapper(backend, EmbeddingDimension, PrefixLength, width, MapperClipLength, MapperLayers, MapperHeads),
        PrefixMapperKind.Linear => new LinearMapper(backend, EmbeddingDimension, width),
        _ => throw new ArgumentOutOfRangeException(nameof(Mapper), Mapper, "Not a mapper kind."),
    };
}
