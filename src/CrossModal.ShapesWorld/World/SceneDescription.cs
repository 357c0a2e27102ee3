using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace CrossModal.ShapesWorld.World;

/// <summary>One object as a caption describes it: shape, colour and size.</summary>
/// <param name="Shape">The shape.</param>
/// <param name="Color">The colour.</param>
/// <param name="Size">The size.</param>
public readonly record struct ObjectDescription(Shape Shape, ShapeColor Color, ShapeSize Size)
{
    /// <summary>"small red circle".</summary>
    /// <returns>The canonical phrase without article.</returns>
    public override string ToString() =>
        WorldVocabulary.Word(Size) + " " + WorldVocabulary.Word(Color) + " " + WorldVocabulary.Word(Shape);
}

/// <summary>A relation between two objects of a scene, by index: objects[Subject] REL objects[Landmark].</summary>
/// <param name="Subject">Index of the subject object.</param>
/// <param name="Relation">The relation.</param>
/// <param name="Landmark">Index of the landmark object.</param>
public readonly record struct RelationDescription(int Subject, SpatialRelation Relation, int Landmark);

/// <summary>
/// What a scene means, without pixels: its objects and the relations its captions state. Scenes of n objects state
/// n − 1 relations forming a chain (object 0 to 1, object 1 to 2), which covers every tree on three objects up to
/// the order of the objects. Two descriptions with the same <see cref="Key"/> are the same scene.
/// </summary>
public sealed class SceneDescription : IEquatable<SceneDescription>
{
    private readonly ObjectDescription[] _objects;
    private readonly RelationDescription[] _relations;

    /// <summary>Creates a description.</summary>
    /// <param name="objects">One or more objects.</param>
    /// <param name="relations">Relations between distinct objects, by index.</param>
    /// <exception cref="ArgumentException">No objects, or a relation index out of range or relating an object to itself.</exception>
    public SceneDescription(IEnumerable<ObjectDescription> objects, IEnumerable<RelationDescription> relations)
    {
        ArgumentNullException.ThrowIfNull(objects);
        ArgumentNullException.ThrowIfNull(relations);
        _objects = objects.ToArray();
        _relations = relations.ToArray();
        if (_objects.Length == 0)
        {
            throw new ArgumentException("A scene needs at least one object.", nameof(objects));
        }

        foreach (RelationDescription r in _relations)
        {
            if ((uint)r.Subject >= (uint)_objects.Length || (uint)r.Landmark >= (uint)_objects.Length || r.Subject == r.Landmark)
            {
                throw new ArgumentException(
                    $"Relation {r} must relate two distinct objects among the {_objects.Length} of the scene.", nameof(relations));
            }
        }

        Key = BuildKey(_objects, _relations);
    }

    /// <summary>The objects.</summary>
    public IReadOnlyList<ObjectDescription> Objects => _objects;

    /// <summary>The relations, by object index.</summary>
    public IReadOnlyList<RelationDescription> Relations => _relations;

    /// <summary>
    /// Canonical identity of the scene: its objects sorted, and its relations as (object, relation, object) triples
    /// with RightOf/Below rewritten as their converses and sorted. Splits are disjoint by this key.
    /// </summary>
    public string Key { get; }

    /// <summary>The relation triples in canonical form (only LeftOf and Above), as the scorer and the key use them.</summary>
    /// <returns>One triple per relation.</returns>
    public IEnumerable<(ObjectDescription Subject, SpatialRelation Relation, ObjectDescription Landmark)> CanonicalRelations() =>
        _relations.Select(r => Canonical(_objects[r.Subject], r.Relation, _objects[r.Landmark]));

    /// <summary>Rewrites "A RightOf B" as "B LeftOf A" and "A Below B" as "B Above A".</summary>
    /// <typeparam name="T">The object type.</typeparam>
    /// <param name="subject">The subject.</param>
    /// <param name="relation">The relation.</param>
    /// <param name="landmark">The landmark.</param>
    /// <returns>The same fact stated with LeftOf or Above.</returns>
    public static (T Subject, SpatialRelation Relation, T Landmark) Canonical<T>(T subject, SpatialRelation relation, T landmark) =>
        relation is SpatialRelation.RightOf or SpatialRelation.Below
            ? (landmark, WorldVocabulary.Converse(relation), subject)
            : (subject, relation, landmark);

    /// <inheritdoc />
    public bool Equals(SceneDescription? other) => other is not null && string.Equals(Key, other.Key, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SceneDescription);

    /// <inheritdoc />
    public override int GetHashCode() => Key.GetHashCode(StringComparison.Ordinal);

    /// <summary>The key, readable: "large blue square | small red circle ; small red circle left-of large blue square".</summary>
    /// <returns>The key.</returns>
    public override string ToString() => Key;

    private static string BuildKey(ObjectDescription[] objects, RelationDescription[] relations)
    {
        var parts = objects.Select(o => o.ToString()).OrderBy(s => s, StringComparer.Ordinal);
        var rels = relations
            .Select(r => Canonical(objects[r.Subject], r.Relation, objects[r.Landmark]))
            .Select(t => t.Subject + (t.Relation == SpatialRelation.LeftOf ? " left-of " : " above ") + t.Landmark)
            .OrderBy(s => s, StringComparer.Ordinal);
        var sb = new StringBuilder();
        sb.AppendJoin(" | ", parts);
        sb.Append(" ; ");
        sb.AppendJoin(" | ", rels);
        return sb.ToString();
    }
}
