using System;
using System.Collections.Generic;
using CrossModal.ShapesWorld.Language;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Scoring;

/// <summary>Scene accuracy over a set of captions: per-caption F1s averaged (as SPICE averages per image), and micro-averaged counts.</summary>
/// <param name="Count">Captions scored.</param>
/// <param name="MeanF1">Mean of the per-caption F1 over all tuples: the headline scene accuracy.</param>
/// <param name="MeanObjectF1">Mean per-caption F1 of object tuples.</param>
/// <param name="MeanRelationF1">Mean per-caption F1 of relation tuples (a one-object scene read with no relation scores 1).</param>
/// <param name="ExactFraction">Fraction of captions that describe their scene exactly.</param>
/// <param name="Objects">Object tuple counts summed over captions.</param>
/// <param name="Relations">Relation tuple counts summed over captions.</param>
public sealed record SceneAccuracyReport(
    int Count, double MeanF1, double MeanObjectF1, double MeanRelationF1, double ExactFraction, TupleCounts Objects, TupleCounts Relations);

/// <summary>
/// Scene accuracy: a caption is parsed (<see cref="CaptionParser"/>) into tuples — one (shape, colour, size) tuple
/// per object and one (object, relation, object) tuple per relation, with "right of"/"below" turned into their
/// converses — and the tuples are matched to the scene's as multisets, giving precision, recall and F1. This is
/// SPICE's idea (Anderson et al., ECCV 2016: F1 over scene-graph tuples parsed from the caption) made exact: the
/// world's scene graph is known, and the parser is written for the world's language, so no dependency parser or
/// WordNet synonym matching stands between the caption and the score. An object with an unstated colour or size
/// matches nothing, and so does a relation touching it.
/// </summary>
public static class SceneAccuracy
{
    /// <summary>Scores a caption against the scene it should describe.</summary>
    /// <param name="caption">The caption (any text).</param>
    /// <param name="reference">The scene.</param>
    /// <returns>Tuple counts and F1.</returns>
    public static SceneScore Score(string? caption, SceneDescription reference) => Score(CaptionParser.Parse(caption), reference);

    /// <summary>Scores a parsed caption against a scene.</summary>
    /// <param name="candidate">The parsed caption.</param>
    /// <param name="reference">The scene.</param>
    /// <returns>Tuple counts and F1.</returns>
    public static SceneScore Score(ParsedCaption candidate, SceneDescription reference)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentNullException.ThrowIfNull(reference);

        var referenceObjects = new List<long>(reference.Objects.Count);
        foreach (ObjectDescription o in reference.Objects)
        {
            referenceObjects.Add(ObjectKey(new ParsedObject(o.Shape, o.Color, o.Size)));
        }

        var candidateObjects = new List<long>(candidate.Objects.Count);
        foreach (ParsedObject o in candidate.Objects)
        {
            candidateObjects.Add(ObjectKey(o));
        }

        var referenceRelations = new List<long>(reference.Relations.Count);
        foreach (RelationDescription r in reference.Relations)
        {
            referenceRelations.Add(RelationKey(referenceObjects[r.Subject], r.Relation, referenceObjects[r.Landmark]));
        }

        var candidateRelations = new List<long>(candidate.Relations.Count);
        foreach (RelationDescription r in candidate.Relations)
        {
            candidateRelations.Add(RelationKey(candidateObjects[r.Subject], r.Relation, candidateObjects[r.Landmark]));
        }

        return new SceneScore(Match(candidateObjects, referenceObjects), Match(candidateRelations, referenceRelations));
    }

    /// <summary>Scores many captions, each against its scene.</summary>
    /// <param name="captions">The captions.</param>
    /// <param name="references">The scenes, one per caption.</param>
    /// <returns>The averaged report.</returns>
    /// <exception cref="ArgumentException">The counts differ or are zero.</exception>
    public static SceneAccuracyReport Evaluate(IReadOnlyList<string> captions, IReadOnlyList<SceneDescription> references)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(references);
        if (captions.Count != references.Count || captions.Count == 0)
        {
            throw new ArgumentException(
                $"Expected one scene per caption and at least one caption, but got {captions.Count} captions and {references.Count} scenes.",
                nameof(references));
        }

        double f1 = 0;
        double objectF1 = 0;
        double relationF1 = 0;
        int exact = 0;
        TupleCounts objects = default;
        TupleCounts relations = default;
        for (int i = 0; i < captions.Count; i++)
        {
            SceneScore s = Score(captions[i], references[i]);
            f1 += s.F1;
            objectF1 += s.Objects.F1;
            relationF1 += s.Relations.F1;
            exact += s.IsExact ? 1 : 0;
            objects += s.Objects;
            relations += s.Relations;
        }

        int n = captions.Count;
        return new SceneAccuracyReport(n, f1 / n, objectF1 / n, relationF1 / n, (double)exact / n, objects, relations);
    }

    // Unknown attributes pack as 0 and so never equal a reference, whose attributes are all known (1-based):
    // bits 0–7 the shape, 8–15 the colour, 16–23 the size.
    internal static long ObjectKey(ParsedObject o) =>
        ((long)o.Shape + 1) | ((o.Color is { } c ? (long)c + 1 : 0) << 8) | ((o.Size is { } s ? (long)s + 1 : 0) << 16);

    internal static long RelationKey(long subject, SpatialRelation relation, long landmark)
    {
        (long a, SpatialRelation r, long b) = SceneDescription.Canonical(subject, relation, landmark);
        bool known = (a & 0xFF00) != 0 && (a & 0xFF0000) != 0 && (b & 0xFF00) != 0 && (b & 0xFF0000) != 0;
        long key = a | (b << 24) | ((long)r + 1) << 48;
        return known ? key : -key; // negative keys never occur in references
    }

    private static TupleCounts Match(List<long> candidate, List<long> reference)
    {
        var available = new Dictionary<long, int>();
        foreach (long k in reference)
        {
            available[k] = available.GetValueOrDefault(k) + 1;
        }

        int matched = 0;
        foreach (long k in candidate)
        {
            if (available.TryGetValue(k, out int left) && left > 0)
            {
                available[k] = left - 1;
                matched++;
            }
        }

        return new TupleCounts(matched, candidate.Count, reference.Count);
    }
}
