using System;

namespace CrossModal.ShapesWorld.Scoring;

/// <summary>Matched, candidate and reference tuple counts, and the precision, recall and F1 they give.</summary>
/// <param name="Matched">Candidate tuples matched to a reference tuple (multiset intersection size).</param>
/// <param name="Candidate">Tuples in the candidate caption.</param>
/// <param name="Reference">Tuples in the reference scene.</param>
public readonly record struct TupleCounts(int Matched, int Candidate, int Reference)
{
    /// <summary>Matched / Candidate; 1 when both sides are empty, 0 when only the candidate is.</summary>
    public double Precision => Candidate == 0 ? (Reference == 0 ? 1.0 : 0.0) : (double)Matched / Candidate;

    /// <summary>Matched / Reference; 1 when both sides are empty, 0 when only the reference is.</summary>
    public double Recall => Reference == 0 ? (Candidate == 0 ? 1.0 : 0.0) : (double)Matched / Reference;

    /// <summary>Harmonic mean of precision and recall; 0 when both are 0.</summary>
    public double F1
    {
        get
        {
            double p = Precision;
            double r = Recall;
            return p + r == 0 ? 0.0 : 2 * p * r / (p + r);
        }
    }

    /// <summary>Component-wise sum.</summary>
    /// <param name="a">First.</param>
    /// <param name="b">Second.</param>
    /// <returns>The sum.</returns>
    public static TupleCounts operator +(TupleCounts a, TupleCounts b) =>
        new(a.Matched + b.Matched, a.Candidate + b.Candidate, a.Reference + b.Reference);

    /// <summary>Component-wise sum (named alternative to the operator).</summary>
    /// <param name="other">The counts to add.</param>
    /// <returns>The sum.</returns>
    public TupleCounts Add(TupleCounts other) => this + other;
}

/// <summary>The scene accuracy of one caption against one scene.</summary>
/// <param name="Objects">(shape, colour, size) object tuples.</param>
/// <param name="Relations">(object, relation, object) tuples in canonical direction.</param>
public readonly record struct SceneScore(TupleCounts Objects, TupleCounts Relations)
{
    /// <summary>Objects and relations pooled, as SPICE pools its tuples.</summary>
    public TupleCounts All => Objects + Relations;

    /// <summary>F1 over all tuples: the scene accuracy of the caption.</summary>
    public double F1 => All.F1;

    /// <summary>Whether the caption describes the scene exactly (every tuple matched, nothing extra).</summary>
    public bool IsExact => All.Matched == All.Candidate && All.Matched == All.Reference;

    /// <inheritdoc />
    public override string ToString() =>
        FormattableString.Invariant($"F1 {F1:0.000} (objects {Objects.Matched}/{Objects.Candidate}/{Objects.Reference}, relations {Relations.Matched}/{Relations.Candidate}/{Relations.Reference})");
}
