using System;
using System.Collections.Generic;
using System.Linq;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Language;

/// <summary>An object read from a caption; colour or size is null when the caption did not say it.</summary>
/// <param name="Shape">The shape noun read.</param>
/// <param name="Color">The colour, if stated.</param>
/// <param name="Size">The size, if stated.</param>
public readonly record struct ParsedObject(Shape Shape, ShapeColor? Color, ShapeSize? Size)
{
    /// <summary>Whether shape, colour and size are all known.</summary>
    public bool IsComplete => Color.HasValue && Size.HasValue;

    /// <summary>"small red circle", with "?" for what is unknown.</summary>
    /// <returns>The phrase.</returns>
    public override string ToString() =>
        (Size.HasValue ? WorldVocabulary.Word(Size.Value) : "?") + " " +
        (Color.HasValue ? WorldVocabulary.Word(Color.Value) : "?") + " " + WorldVocabulary.Word(Shape);
}

/// <summary>What <see cref="CaptionParser"/> read from a caption: objects (possibly incomplete) and relations between them by index.</summary>
public sealed class ParsedCaption
{
    internal ParsedCaption(IReadOnlyList<ParsedObject> objects, IReadOnlyList<RelationDescription> relations)
    {
        Objects = objects;
        Relations = relations;
    }

    /// <summary>The objects, in order of first mention.</summary>
    public IReadOnlyList<ParsedObject> Objects { get; }

    /// <summary>The relations read, by object index.</summary>
    public IReadOnlyList<RelationDescription> Relations { get; }

    /// <summary>
    /// The caption as a scene description, when it names at least one object and every object is complete;
    /// otherwise null.
    /// </summary>
    /// <returns>The description or null.</returns>
    public SceneDescription? ToSceneDescription() =>
        Objects.Count > 0 && Objects.All(o => o.IsComplete)
            ? new SceneDescription(Objects.Select(o => new ObjectDescription(o.Shape, o.Color!.Value, o.Size!.Value)), Relations)
            : null;

    /// <summary>
    /// The caption as a scene description with unstated colours and sizes filled in at random (what a
    /// text-to-image model does with an underspecified prompt); null when no object was read.
    /// </summary>
    /// <param name="random">The generator for the missing attributes.</param>
    /// <param name="kinds">The colours a missing colour is drawn from (default <see cref="ObjectKinds.Default"/>).</param>
    /// <returns>The description or null.</returns>
    public SceneDescription? ToSceneDescription(WorldRandom random, ObjectKinds? kinds = null)
    {
        ArgumentNullException.ThrowIfNull(random);
        var colors = (kinds ?? ObjectKinds.Default).Colors;
        if (Objects.Count == 0)
        {
            return null;
        }

        return new SceneDescription(
            Objects.Select(o => new ObjectDescription(
                o.Shape, o.Color ?? random.Pick(colors), o.Size ?? random.Pick(WorldVocabulary.Sizes))),
            Relations);
    }
}
