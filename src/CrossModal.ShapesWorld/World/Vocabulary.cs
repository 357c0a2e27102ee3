namespace CrossModal.ShapesWorld.World;

/// <summary>The shapes of ShapesWorld.</summary>
public enum Shape
{
    /// <summary>A filled disc.</summary>
    Circle,

    /// <summary>An axis-aligned square.</summary>
    Square,

    /// <summary>An upward-pointing triangle.</summary>
    Triangle,

    /// <summary>A five-pointed star.</summary>
    Star,

    /// <summary>A plus-shaped cross.</summary>
    Cross,

    /// <summary>A rhombus standing on a corner, taller than wide.</summary>
    Diamond,

    /// <summary>A heart.</summary>
    Heart,
}

/// <summary>The colours of ShapesWorld (saturated hues, so that muted photo backgrounds never read as one of them).</summary>
public enum ShapeColor
{
    /// <summary>Red.</summary>
    Red,

    /// <summary>Orange.</summary>
    Orange,

    /// <summary>Yellow.</summary>
    Yellow,

    /// <summary>Green.</summary>
    Green,

    /// <summary>Blue.</summary>
    Blue,

    /// <summary>Purple.</summary>
    Purple,

    /// <summary>Pink.</summary>
    Pink,
}

/// <summary>The two object sizes.</summary>
public enum ShapeSize
{
    /// <summary>Small (radius 0.12 of the image side).</summary>
    Small,

    /// <summary>Large (radius 0.20 of the image side).</summary>
    Large,
}

/// <summary>A spatial relation "subject REL landmark", read from the image (x to the right, y down).</summary>
public enum SpatialRelation
{
    /// <summary>The subject is to the left of the landmark.</summary>
    LeftOf,

    /// <summary>The subject is to the right of the landmark.</summary>
    RightOf,

    /// <summary>The subject is above the landmark.</summary>
    Above,

    /// <summary>The subject is below the landmark.</summary>
    Below,
}

/// <summary>Helpers over the world's enumerations.</summary>
public static class WorldVocabulary
{
    /// <summary>Every shape.</summary>
    public static readonly Shape[] Shapes = [Shape.Circle, Shape.Square, Shape.Triangle, Shape.Star, Shape.Cross, Shape.Diamond, Shape.Heart];

    /// <summary>Every colour.</summary>
    public static readonly ShapeColor[] Colors =
        [ShapeColor.Red, ShapeColor.Orange, ShapeColor.Yellow, ShapeColor.Green, ShapeColor.Blue, ShapeColor.Purple, ShapeColor.Pink];

    /// <summary>Every size.</summary>
    public static readonly ShapeSize[] Sizes = [ShapeSize.Small, ShapeSize.Large];

    /// <summary>Every relation.</summary>
    public static readonly SpatialRelation[] Relations =
        [SpatialRelation.LeftOf, SpatialRelation.RightOf, SpatialRelation.Above, SpatialRelation.Below];

    /// <summary>The converse relation: A LeftOf B ⇔ B RightOf A, A Above B ⇔ B Below A.</summary>
    /// <param name="relation">A relation.</param>
    /// <returns>Its converse.</returns>
    public static SpatialRelation Converse(SpatialRelation relation) => relation switch
    {
        SpatialRelation.LeftOf => SpatialRelation.RightOf,
        SpatialRelation.RightOf => SpatialRelation.LeftOf,
        SpatialRelation.Above => SpatialRelation.Below,
        _ => SpatialRelation.Above,
    };

    /// <summary>The English word of a shape as the canonical grammar writes it.</summary>
    /// <param name="shape">A shape.</param>
    /// <returns>Lower-case noun.</returns>
    public static string Word(Shape shape) => shape switch
    {
        Shape.Circle => "circle",
        Shape.Square => "square",
        Shape.Triangle => "triangle",
        Shape.Star => "star",
        Shape.Cross => "cross",
        Shape.Diamond => "diamond",
        _ => "heart",
    };

    /// <summary>The English word of a colour.</summary>
    /// <param name="color">A colour.</param>
    /// <returns>Lower-case adjective.</returns>
    public static string Word(ShapeColor color) => color switch
    {
        ShapeColor.Red => "red",
        ShapeColor.Orange => "orange",
        ShapeColor.Yellow => "yellow",
        ShapeColor.Green => "green",
        ShapeColor.Blue => "blue",
        ShapeColor.Purple => "purple",
        _ => "pink",
    };

    /// <summary>The canonical English word of a size.</summary>
    /// <param name="size">A size.</param>
    /// <returns>"small" or "large".</returns>
    public static string Word(ShapeSize size) => size == ShapeSize.Small ? "small" : "large";
}
