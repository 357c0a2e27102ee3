using System;
using System.Collections.Generic;
using CrossModal.ShapesWorld.World;

namespace CrossModal.ShapesWorld.Language;

/// <summary>
/// Reads a caption — the grammar's, or a model's, possibly ungrammatical or cut short — back into objects and
/// relations. It is a small deterministic state machine over words, not a grammar recogniser, so it takes what it
/// can from broken text: a mention is an optional determiner, size/colour adjectives in any order and a shape noun;
/// "the …" refers back to the most recent object it fits; "it"/"its" to the most recent object other than the
/// current subject; a relation phrase after a subject waits for its landmark ("A left of B"), one before any subject
/// takes a landmark and then a subject ("left of it, A"; "above B is A"); "which"/"that" reopen the last object as
/// subject. Relations left without both ends are dropped; words it does not know are skipped.
/// </summary>
public static class CaptionParser
{
    private static readonly HashSet<string> Boundaries = new(StringComparer.Ordinal) { ",", ";", ".", "and", "while", "with", "but", "then" };
    private static readonly HashSet<string> Relativizers = new(StringComparer.Ordinal) { "which", "that", "who" };
    private static readonly HashSet<string> Pronouns = new(StringComparer.Ordinal) { "it", "its", "it's" };
    private static readonly HashSet<string> Indefinites = new(StringComparer.Ordinal) { "a", "an", "one", "another", "single" };

    private static readonly (string[] Words, SpatialRelation Relation, bool ImplicitLandmark)[] RelationPhrases = BuildPhrases();

    /// <summary>Parses a caption.</summary>
    /// <param name="caption">Any text; null or empty gives an empty result.</param>
    /// <returns>The objects and relations read.</returns>
    public static ParsedCaption Parse(string? caption)
    {
        var state = new State();
        List<string> tokens = Tokenize(caption ?? string.Empty);
        for (int i = 0; i < tokens.Count; i++)
        {
            string t = tokens[i];
            if (Boundaries.Contains(t))
            {
                state.SubjectOpen = false;
                continue;
            }

            if (Relativizers.Contains(t))
            {
                if (state.LastEntity >= 0)
                {
                    state.Subject = state.LastEntity;
                    state.SubjectOpen = true;
                }

                continue;
            }

            if (TryMatchRelation(tokens, i, out int length, out SpatialRelation relation, out bool implicitLandmark))
            {
                state.OnRelation(relation, implicitLandmark);
                i += length - 1;
                continue;
            }

            if (Pronouns.Contains(t))
            {
                int e = state.ResolvePronoun();
                if (e >= 0)
                {
                    state.OnEntity(e, mentioned: false);
                }

                continue;
            }

            if (TryReadMention(tokens, i, out int end, out bool definite, out ParsedObject mention))
            {
                state.OnEntity(state.Resolve(mention, definite));
                i = end;
            }
        }

        return new ParsedCaption(state.Objects, state.Relations);
    }

    /// <summary>Lower-cases and splits into words, keeping , ; . as tokens of their own and dropping other symbols.</summary>
    internal static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var word = new System.Text.StringBuilder();
        void Flush()
        {
            if (word.Length > 0)
            {
                tokens.Add(word.ToString());
                word.Clear();
            }
        }

        foreach (char raw in text)
        {
            char c = char.ToLowerInvariant(raw);
            if (c is >= 'a' and <= 'z')
            {
                word.Append(c);
            }
            else if (c is ',' or ';' or '.' or '!' or '?' or ':')
            {
                Flush();
                tokens.Add(c is ',' ? "," : c is ';' ? ";" : ".");
            }
            else if (c != '\'')
            {
                Flush();
            }
        }

        Flush();
        return tokens;
    }

    private static bool TryReadMention(List<string> tokens, int start, out int end, out bool definite, out ParsedObject mention)
    {
        int j = start;
        definite = tokens[j] == "the";
        if (definite || Indefinites.Contains(tokens[j]))
        {
            j++;
        }

        ShapeColor? color = null;
        ShapeSize? size = null;
        while (j < tokens.Count)
        {
            if (CaptionLexicon.SizeWords.TryGetValue(tokens[j], out ShapeSize s))
            {
                size ??= s;
            }
            else if (CaptionLexicon.ColorWords.TryGetValue(tokens[j], out ShapeColor c))
            {
                color ??= c;
            }
            else
            {
                break;
            }

            j++;
        }

        if (j < tokens.Count && CaptionLexicon.ShapeWords.TryGetValue(tokens[j], out Shape shape))
        {
            // "plus sign": the noun may be followed by "sign".
            end = j + 1 < tokens.Count && tokens[j + 1] == "sign" ? j + 1 : j;
            mention = new ParsedObject(shape, color, size);
            return true;
        }

        end = start;
        mention = default;
        return false;
    }

    private static bool TryMatchRelation(List<string> tokens, int i, out int length, out SpatialRelation relation, out bool implicitLandmark)
    {
        foreach ((string[] words, SpatialRelation r, bool imp) in RelationPhrases)
        {
            if (i + words.Length > tokens.Count)
            {
                continue;
            }

            bool match = true;
            for (int k = 0; k < words.Length && match; k++)
            {
                match = tokens[i + k] == words[k];
            }

            // "on its left" must not swallow "on its own"; a bare "to the left" must not be followed by "of".
            if (match && imp && i + words.Length < tokens.Count && tokens[i + words.Length] == "of")
            {
                match = false;
            }

            if (match)
            {
                length = words.Length;
                relation = r;
                implicitLandmark = imp;
                return true;
            }
        }

        length = 0;
        relation = default;
        implicitLandmark = false;
        return false;
    }

    private static (string[] Words, SpatialRelation Relation, bool ImplicitLandmark)[] BuildPhrases()
    {
        var list = new List<(string[], SpatialRelation, bool)>();
        foreach ((string side, SpatialRelation r) in new[] { ("left", SpatialRelation.LeftOf), ("right", SpatialRelation.RightOf) })
        {
            list.Add((["to", "the", side, "of"], r, false));
            list.Add((["on", "the", side, "of"], r, false));
            list.Add((["to", "the", side], r, true));
            list.Add((["on", "the", side], r, true));
            list.Add((["to", "its", side], r, true));
            list.Add((["on", "its", side], r, true));
            list.Add(([side, "of"], r, false));
        }

        list.Add((["on", "top", "of"], SpatialRelation.Above, false));
        list.Add((["above"], SpatialRelation.Above, false));
        list.Add((["over"], SpatialRelation.Above, false));
        list.Add((["below"], SpatialRelation.Below, false));
        list.Add((["under"], SpatialRelation.Below, false));
        list.Add((["beneath"], SpatialRelation.Below, false));
        list.Add((["underneath"], SpatialRelation.Below, false));
        list.Sort((a, b) => b.Item1.Length.CompareTo(a.Item1.Length));
        return [.. list];
    }

    private sealed class State
    {
        private readonly List<int> _mentions = [];
        private readonly HashSet<(int, SpatialRelation, int)> _seen = [];
        private int _pendingSubject = -1;
        private int _pendingLandmark = -1;
        private SpatialRelation? _pendingRelation;

        public List<ParsedObject> Objects { get; } = [];

        public List<RelationDescription> Relations { get; } = [];

        public int Subject { get; set; } = -1;

        public bool SubjectOpen { get; set; }

        public int LastEntity => _mentions.Count == 0 ? -1 : _mentions[^1];

        public int Resolve(ParsedObject mention, bool definite)
        {
            if (definite)
            {
                for (int k = _mentions.Count - 1; k >= 0; k--)
                {
                    ParsedObject o = Objects[_mentions[k]];
                    if (o.Shape == mention.Shape && (mention.Color is null || mention.Color == o.Color) &&
                        (mention.Size is null || mention.Size == o.Size))
                    {
                        return _mentions[k];
                    }
                }
            }

            Objects.Add(mention);
            return Objects.Count - 1;
        }

        public int ResolvePronoun()
        {
            int exclude = _pendingRelation is not null ? _pendingSubject : SubjectOpen ? Subject : -1;
            for (int k = _mentions.Count - 1; k >= 0; k--)
            {
                if (_mentions[k] != exclude)
                {
                    return _mentions[k];
                }
            }

            return -1;
        }

        public void OnRelation(SpatialRelation relation, bool implicitLandmark)
        {
            _pendingRelation = relation;
            _pendingLandmark = -1;
            _pendingSubject = SubjectOpen && Subject >= 0 ? Subject : -1;
            SubjectOpen = false;
            if (implicitLandmark)
            {
                int e = ResolvePronoun();
                if (e >= 0)
                {
                    OnEntity(e, mentioned: false);
                }
            }
        }

        // A pronoun refers without becoming the most recent mention, so "B with A to its left, which …" attaches "which" to A.
        public void OnEntity(int e, bool mentioned = true)
        {
            if (_pendingRelation is SpatialRelation r)
            {
                if (_pendingSubject >= 0)
                {
                    Add(_pendingSubject, r, e);
                    ClearPending();
                }
                else if (_pendingLandmark < 0)
                {
                    _pendingLandmark = e;
                }
                else
                {
                    Add(e, r, _pendingLandmark);
                    ClearPending();
                    Subject = e;
                }
            }
            else
            {
                Subject = e;
                SubjectOpen = true;
            }

            if (mentioned)
            {
                _mentions.Add(e);
            }
        }

        private void ClearPending()
        {
            _pendingRelation = null;
            _pendingSubject = -1;
            _pendingLandmark = -1;
            SubjectOpen = false;
        }

        private void Add(int subject, SpatialRelation relation, int landmark)
        {
            if (subject == landmark)
            {
                return;
            }

            var canonical = SceneDescription.Canonical(subject, relation, landmark);
            if (_seen.Add(canonical))
            {
                Relations.Add(new RelationDescription(subject, relation, landmark));
            }
        }
    }
}
