using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Language;

/// <summary>
/// Writes captions of a <see cref="SceneDescription"/>: lower-case English without final punctuation, in several
/// constructions per relation (subject first, landmark first with the converse relation, "there is B and, left of
/// it, A", "B with A to its left", fronted "to the left of B is A", relative clauses "…, which is above C"), with
/// synonyms for sizes, some shapes and relations. Every caption states every object (shape, colour, size) and every
/// relation of the scene, so <see cref="CaptionParser"/> reads it back exactly.
/// </summary>
public static class CaptionGrammar
{
    /// <summary>Samples one caption.</summary>
    /// <param name="scene">The scene to describe; its objects must be distinct and its relations a chain (as <see cref="SceneGenerator"/> makes them).</param>
    /// <param name="random">The generator; the caption is a pure function of its state.</param>
    /// <returns>A caption.</returns>
    public static string Sample(SceneDescription scene, WorldRandom random)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        var w = new Writer(scene, random);
        return w.Write();
    }

    /// <summary>Samples <paramref name="count"/> pairwise different captions (references for one test scene).</summary>
    /// <param name="scene">The scene.</param>
    /// <param name="count">How many; at least one.</param>
    /// <param name="random">The generator.</param>
    /// <returns>Distinct captions, in the order drawn.</returns>
    /// <exception cref="InvalidOperationException">The grammar could not produce that many different captions (count is far above five).</exception>
    public static IReadOnlyList<string> SampleDistinct(SceneDescription scene, int count, WorldRandom random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<string>(count);
        for (int attempt = 0; attempt < 200 * count && result.Count < count; attempt++)
        {
            string c = Sample(scene, random);
            if (seen.Add(c))
            {
                result.Add(c);
            }
        }

        if (result.Count < count)
        {
            throw new InvalidOperationException($"The grammar produced only {result.Count} different captions of '{scene}', {count} were asked.");
        }

        return result;
    }

    private sealed class Writer(SceneDescription scene, WorldRandom random)
    {
        private readonly StringBuilder _sb = new();

        public string Write()
        {
            IReadOnlyList<RelationDescription> rels = scene.Relations;
            if (rels.Count == 0)
            {
                WriteSingle();
            }
            else if (rels.Count == 1)
            {
                WriteFirstClause(rels[0]);
            }
            else
            {
                // Either relation may be told first; the second clause links through the shared object.
                bool swap = random.Next(2) == 1;
                RelationDescription first = swap ? rels[1] : rels[0];
                RelationDescription second = swap ? rels[0] : rels[1];
                if (rels.Count > 2)
                {
                    throw new ArgumentException($"The grammar describes at most two relations, the scene has {rels.Count}.", nameof(scene));
                }

                int last = WriteFirstClause(first);
                WriteLinkClause(second, first, last);
            }

            return _sb.ToString();
        }

        private void WriteSingle()
        {
            ObjectDescription o = scene.Objects[0];
            switch (random.Next(7))
            {
                case 0: Indefinite(o); break;
                case 1: _sb.Append("there is "); Indefinite(o); break;
                case 2: _sb.Append("a picture of "); Indefinite(o); break;
                case 3: Indefinite(o); _sb.Append(" on its own"); break;
                case 4: _sb.Append("just "); Indefinite(o); break;
                case 5: _sb.Append("an image with "); Indefinite(o); break;
                default: _sb.Append("a single "); Bare(o); break;
            }
        }

        /// <summary>Writes a clause stating relation <paramref name="r"/> with both objects new; returns the index of the object mentioned last.</summary>
        private int WriteFirstClause(RelationDescription r)
        {
            // State it as written, or through the converse (landmark first).
            (int s, SpatialRelation rel, int l) = random.Next(2) == 0
                ? (r.Subject, r.Relation, r.Landmark)
                : (r.Landmark, WorldVocabulary.Converse(r.Relation), r.Subject);
            ObjectDescription so = scene.Objects[s];
            ObjectDescription lo = scene.Objects[l];
            switch (random.Next(6))
            {
                case 0:
                    Indefinite(so); Space(); Phrase(rel); Space(); Indefinite(lo);
                    return l;
                case 1:
                    Indefinite(so); _sb.Append(" is "); Phrase(rel); Space(); Indefinite(lo);
                    return l;
                case 2:
                    _sb.Append("there is "); Indefinite(lo); _sb.Append(" and, "); ItsPhrase(rel, fronted: true); _sb.Append(", "); Indefinite(so);
                    return s;
                case 3:
                    Indefinite(lo); _sb.Append(" with "); Indefinite(so); Space(); ItsPhrase(rel, fronted: false);
                    return s;
                case 4:
                    Phrase(rel); Space(); Indefinite(lo); _sb.Append(" is "); Indefinite(so);
                    return s;
                default:
                    Phrase(rel); Space(); Indefinite(lo); _sb.Append(" there is "); Indefinite(so);
                    return s;
            }
        }

        /// <summary>Writes the clause for <paramref name="r"/>, one of whose objects (the link) the first clause already named.</summary>
        private void WriteLinkClause(RelationDescription r, RelationDescription first, int lastMentioned)
        {
            bool subjectKnown = r.Subject == first.Subject || r.Subject == first.Landmark;
            int link = subjectKnown ? r.Subject : r.Landmark;
            int fresh = subjectKnown ? r.Landmark : r.Subject;
            SpatialRelation linkToFresh = subjectKnown ? r.Relation : WorldVocabulary.Converse(r.Relation);
            SpatialRelation freshToLink = WorldVocabulary.Converse(linkToFresh);
            int choice = random.Next(lastMentioned == link ? 5 : 4);
            switch (choice)
            {
                case 0:
                    _sb.Append(", and "); Indefinite(scene.Objects[fresh]); _sb.Append(" is "); Phrase(freshToLink); Space(); Definite(link);
                    break;
                case 1:
                    _sb.Append(", and "); Definite(link); _sb.Append(" is "); Phrase(linkToFresh); Space(); Indefinite(scene.Objects[fresh]);
                    break;
                case 2:
                    _sb.Append("; "); Phrase(freshToLink); Space(); Definite(link); _sb.Append(" is "); Indefinite(scene.Objects[fresh]);
                    break;
                case 3:
                    _sb.Append(", and "); Definite(link); _sb.Append(" has "); Indefinite(scene.Objects[fresh]); Space(); ItsPhrase(freshToLink, fronted: false);
                    break;
                default:
                    _sb.Append(", which is "); Phrase(linkToFresh); Space(); Indefinite(scene.Objects[fresh]);
                    break;
            }
        }

        private void Space() => _sb.Append(' ');

        private void Phrase(SpatialRelation r) => _sb.Append(random.Pick(CaptionLexicon.Phrases(r)));

        /// <summary>"to its left" (after the subject) or "left of it" (fronted before the subject).</summary>
        private void ItsPhrase(SpatialRelation r, bool fronted)
        {
            if (fronted)
            {
                _sb.Append(random.Pick(CaptionLexicon.Phrases(r))).Append(" it");
            }
            else
            {
                _sb.Append(random.Pick(CaptionLexicon.ItsPhrases(r)));
            }
        }

        private void Indefinite(ObjectDescription o)
        {
            string size = SizeWord(o.Size);
            _sb.Append(StartsWithVowel(size) ? "an " : "a ");
            _sb.Append(size).Append(' ').Append(WorldVocabulary.Word(o.Color)).Append(' ').Append(random.Pick(CaptionLexicon.ShapeNouns(o.Shape)));
        }

        private void Bare(ObjectDescription o) =>
            _sb.Append(SizeWord(o.Size)).Append(' ').Append(WorldVocabulary.Word(o.Color)).Append(' ')
               .Append(random.Pick(CaptionLexicon.ShapeNouns(o.Shape)));

        /// <summary>"the square", "the red square" or "the small red square": the shortest description unique in the scene.</summary>
        private void Definite(int index)
        {
            ObjectDescription o = scene.Objects[index];
            IReadOnlyList<ObjectDescription> all = scene.Objects;
            bool shapeUnique = all.Count(x => x.Shape == o.Shape) == 1;
            bool shapeColorUnique = all.Count(x => x.Shape == o.Shape && x.Color == o.Color) == 1;
            _sb.Append("the ");
            if (shapeUnique && random.Next(2) == 0)
            {
                _sb.Append(WorldVocabulary.Word(o.Shape));
            }
            else if (shapeColorUnique && random.Next(3) != 0)
            {
                _sb.Append(WorldVocabulary.Word(o.Color)).Append(' ').Append(WorldVocabulary.Word(o.Shape));
            }
            else
            {
                Bare(o);
            }
        }

        private string SizeWord(ShapeSize size) =>
            random.Pick(size == ShapeSize.Small ? CaptionLexicon.SmallWords : CaptionLexicon.LargeWords);

        private static bool StartsWithVowel(string word) => "aeiou".Contains(word[0], StringComparison.Ordinal);
    }
}
