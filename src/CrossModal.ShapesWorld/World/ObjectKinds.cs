using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossModal.ShapesWorld.World;

/// <summary>
/// The shapes and colours a world's objects are drawn from (sizes are always small and large). The renderer draws, and
/// the language names, every <see cref="Shape"/> and <see cref="ShapeColor"/>; a world uses a subset of them.
/// </summary>
/// <remarks>
/// <see cref="Default"/> keeps the five shapes and five colours that are farthest apart in a 32-pixel photo: the
/// diamond (a square turned by 45°) and the heart (two lobes on a point, a circle at a few pixels) are dropped, as are
/// orange and pink (each between two of the five others in hue). Every object is then one of 5 × 5 × 2 = 50 kinds
/// instead of 98, so each kind appears about twice as often in the same number of pairs, and the CLIP's budget buys a
/// finer reading of the ones that remain. <see cref="All"/> restores every shape and colour.
/// </remarks>
public sealed class ObjectKinds
{
    /// <summary>Creates a set of kinds.</summary>
    /// <param name="shapes">At least two distinct defined shapes, in the order the world draws them from.</param>
    /// <param name="colors">At least two distinct defined colours.</param>
    /// <exception cref="ArgumentException">Fewer than two, a repeat, or an undefined value.</exception>
    public ObjectKinds(IEnumerable<Shape> shapes, IEnumerable<ShapeColor> colors)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(colors);
        Shapes = Checked(shapes, nameof(shapes));
        Colors = Checked(colors, nameof(colors));
    }

    /// <summary>The world's default: circle, square, triangle, star, cross × red, yellow, green, blue, purple.</summary>
    public static ObjectKinds Default { get; } = new(
        [Shape.Circle, Shape.Square, Shape.Triangle, Shape.Star, Shape.Cross],
        [ShapeColor.Red, ShapeColor.Yellow, ShapeColor.Green, ShapeColor.Blue, ShapeColor.Purple]);

    /// <summary>Every shape and colour the renderer draws: 7 × 7.</summary>
    public static ObjectKinds All { get; } = new(WorldVocabulary.Shapes, WorldVocabulary.Colors);

    /// <summary>The shapes objects are drawn from.</summary>
    public IReadOnlyList<Shape> Shapes { get; }

    /// <summary>The colours objects are drawn from.</summary>
    public IReadOnlyList<ShapeColor> Colors { get; }

    /// <summary>Parses comma-separated shape and colour words (as the captions write them, e.g.
    /// <c>circle,square,star</c> and <c>red,blue</c>), or <c>all</c> / <c>default</c> for either list.</summary>
    /// <param name="shapes">Shape words, <c>all</c> or <c>default</c>.</param>
    /// <param name="colors">Colour words, <c>all</c> or <c>default</c>.</param>
    /// <returns>The kinds.</returns>
    /// <exception cref="ArgumentException">A word that names no shape or colour, or a list <see cref="ObjectKinds(IEnumerable{Shape}, IEnumerable{ShapeColor})"/> rejects.</exception>
    public static ObjectKinds Parse(string shapes, string colors)
    {
        ArgumentNullException.ThrowIfNull(shapes);
        ArgumentNullException.ThrowIfNull(colors);
        return new ObjectKinds(
            ParseList(shapes, nameof(shapes), Default.Shapes, All.Shapes, WorldVocabulary.Word),
            ParseList(colors, nameof(colors), Default.Colors, All.Colors, WorldVocabulary.Word));
    }

    /// <summary>Whether <paramref name="shape"/> is one of <see cref="Shapes"/>.</summary>
    /// <param name="shape">A shape.</param>
    /// <returns>True when the world draws it.</returns>
    public bool Contains(Shape shape) => Shapes.Contains(shape);

    /// <summary>Whether <paramref name="color"/> is one of <see cref="Colors"/>.</summary>
    /// <param name="color">A colour.</param>
    /// <returns>True when the world draws it.</returns>
    public bool Contains(ShapeColor color) => Colors.Contains(color);

    /// <summary>The shape and colour words, e.g. <c>circle, square × red, blue</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString() =>
        $"{string.Join(", ", Shapes.Select(WorldVocabulary.Word))} × {string.Join(", ", Colors.Select(WorldVocabulary.Word))}";

    private static T[] Checked<T>(IEnumerable<T> values, string name)
        where T : struct, Enum
    {
        var array = values.ToArray();
        if (array.Length < 2)
        {
            throw new ArgumentException($"A world needs at least two {name} (hard negatives redraw them); got {array.Length}.", name);
        }

        foreach (var value in array)
        {
            if (!Enum.IsDefined(value))
            {
                throw new ArgumentException($"{name} holds the undefined value {value}.", name);
            }
        }

        if (array.Distinct().Count() != array.Length)
        {
            throw new ArgumentException($"{name} repeats a value: {string.Join(", ", array)}.", name);
        }

        return array;
    }

    private static T[] ParseList<T>(string text, string name, IReadOnlyList<T> defaults, IReadOnlyList<T> all, Func<T, string> word)
    {
        var trimmed = text.Trim();
        if (trimmed.Equals("default", StringComparison.OrdinalIgnoreCase))
        {
            return [.. defaults];
        }

        if (trimmed.Equals("all", StringComparison.OrdinalIgnoreCase))
        {
            return [.. all];
        }

        var result = new List<T>();
        foreach (var part in trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var match = all.Where(v => word(v).Equals(part, StringComparison.OrdinalIgnoreCase)).ToArray();
            if (match.Length == 0)
            {
                throw new ArgumentException(
                    $"'{part}' in {name} names none of {string.Join(", ", all.Select(word))} (or use 'all' or 'default').", name);
            }

            result.Add(match[0]);
        }

        return [.. result];
    }
}
