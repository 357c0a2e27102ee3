using System;
using System.Collections.Generic;
using System.Linq;

namespace CrossModal.ShapesWorld.World;

/// <summary>An object placed in the unit square: centre (<paramref name="X"/>, <paramref name="Y"/>) with x to the right and y down, and radius, all as fractions of the image side.</summary>
/// <param name="Object">What the object is.</param>
/// <param name="X">Centre, horizontal, in [0, 1].</param>
/// <param name="Y">Centre, vertical (down), in [0, 1].</param>
/// <param name="Radius">Half the extent of the shape, as a fraction of the image side.</param>
public readonly record struct PlacedObject(ObjectDescription Object, float X, float Y, float Radius);

/// <summary>A scene laid out in the unit square: a <see cref="SceneDescription"/> and where each of its objects is.</summary>
public sealed class Scene
{
    private readonly PlacedObject[] _placements;

    /// <summary>Creates a placed scene; every stated relation must hold in the positions.</summary>
    /// <param name="description">What the scene means.</param>
    /// <param name="placements">One placement per object of <paramref name="description"/>, in the same order.</param>
    /// <exception cref="ArgumentException">Counts differ, an object differs, or a relation does not hold.</exception>
    public Scene(SceneDescription description, IEnumerable<PlacedObject> placements)
    {
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(placements);
        _placements = placements.ToArray();
        if (_placements.Length != description.Objects.Count)
        {
            throw new ArgumentException(
                $"Expected {description.Objects.Count} placements, one per object, but got {_placements.Length}.", nameof(placements));
        }

        for (int i = 0; i < _placements.Length; i++)
        {
            if (_placements[i].Object != description.Objects[i])
            {
                throw new ArgumentException($"Placement {i} is a {_placements[i].Object} but object {i} is a {description.Objects[i]}.", nameof(placements));
            }
        }

        foreach (RelationDescription r in description.Relations)
        {
            SpatialRelation actual = SceneLayout.Relate(_placements[r.Subject], _placements[r.Landmark]);
            if (actual != r.Relation)
            {
                throw new ArgumentException($"Relation {r} does not hold in the placements (they give {actual}).", nameof(placements));
            }
        }

        Description = description;
    }

    /// <summary>What the scene means.</summary>
    public SceneDescription Description { get; }

    /// <summary>Where each object is, in the order of <see cref="SceneDescription.Objects"/>.</summary>
    public IReadOnlyList<PlacedObject> Placements => _placements;
}
