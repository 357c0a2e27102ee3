using System.Collections.Generic;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Language;

/// <summary>The words and phrases the caption grammar writes and the parser reads.</summary>
public static class CaptionLexicon
{
    /// <summary>Size adjectives; the grammar picks among them, the parser maps each to its size.</summary>
    public static IReadOnlyDictionary<string, ShapeSize> SizeWords { get; } = new Dictionary<string, ShapeSize>
    {
        ["small"] = ShapeSize.Small,
        ["little"] = ShapeSize.Small,
        ["tiny"] = ShapeSize.Small,
        ["large"] = ShapeSize.Large,
        ["big"] = ShapeSize.Large,
        ["huge"] = ShapeSize.Large,
    };

    /// <summary>Colour adjectives.</summary>
    public static IReadOnlyDictionary<string, ShapeColor> ColorWords { get; } = new Dictionary<string, ShapeColor>
    {
        ["red"] = ShapeColor.Red,
        ["orange"] = ShapeColor.Orange,
        ["yellow"] = ShapeColor.Yellow,
        ["green"] = ShapeColor.Green,
        ["blue"] = ShapeColor.Blue,
        ["purple"] = ShapeColor.Purple,
        ["pink"] = ShapeColor.Pink,
    };

    /// <summary>Shape nouns (with the few synonyms and plurals the parser accepts).</summary>
    public static IReadOnlyDictionary<string, Shape> ShapeWords { get; } = new Dictionary<string, Shape>
    {
        ["circle"] = Shape.Circle,
        ["circles"] = Shape.Circle,
        ["disc"] = Shape.Circle,
        ["disk"] = Shape.Circle,
        ["square"] = Shape.Square,
        ["squares"] = Shape.Square,
        ["triangle"] = Shape.Triangle,
        ["triangles"] = Shape.Triangle,
        ["star"] = Shape.Star,
        ["stars"] = Shape.Star,
        ["cross"] = Shape.Cross,
        ["crosses"] = Shape.Cross,
        ["plus"] = Shape.Cross,
        ["diamond"] = Shape.Diamond,
        ["diamonds"] = Shape.Diamond,
        ["rhombus"] = Shape.Diamond,
        ["heart"] = Shape.Heart,
        ["hearts"] = Shape.Heart,
    };

    internal static readonly string[] SmallWords = ["small", "little", "tiny"];
    internal static readonly string[] LargeWords = ["large", "big", "huge"];

    internal static string[] ShapeNouns(Shape shape) => shape switch
    {
        Shape.Circle => CircleNouns,
        Shape.Cross => CrossNouns,
        _ => [WorldVocabulary.Word(shape)],
    };

    private static readonly string[] CircleNouns = ["circle", "circle", "disc"];
    private static readonly string[] CrossNouns = ["cross", "cross", "plus"];

    /// <summary>"subject REL landmark" phrases, e.g. "to the left of".</summary>
    internal static string[] Phrases(SpatialRelation r) => r switch
    {
        SpatialRelation.LeftOf => LeftPhrases,
        SpatialRelation.RightOf => RightPhrases,
        SpatialRelation.Above => AbovePhrases,
        _ => BelowPhrases,
    };

    /// <summary>Phrases that end in a pronoun landmark: "with X to its left".</summary>
    internal static string[] ItsPhrases(SpatialRelation r) => r switch
    {
        SpatialRelation.LeftOf => LeftIts,
        SpatialRelation.RightOf => RightIts,
        SpatialRelation.Above => AboveIts,
        _ => BelowIts,
    };

    private static readonly string[] LeftPhrases = ["to the left of", "left of", "on the left of"];
    private static readonly string[] RightPhrases = ["to the right of", "right of", "on the right of"];
    private static readonly string[] AbovePhrases = ["above", "over"];
    private static readonly string[] BelowPhrases = ["below", "under", "beneath"];
    private static readonly string[] LeftIts = ["to its left", "on its left", "left of it"];
    private static readonly string[] RightIts = ["to its right", "on its right", "right of it"];
    private static readonly string[] AboveIts = ["above it", "over it"];
    private static readonly string[] BelowIts = ["below it", "under it", "beneath it"];
}
