namespace CrossModal.Evaluation.Captioning;

/// <summary>How caption metrics split candidate and reference text into words.</summary>
public enum CaptionTokenization
{
    /// <summary>
    /// Split on whitespace only: for text that is already tokenised (lower-cased, punctuation removed), such as
    /// pycocoevalcap's PTBTokenizer output. Scores are then exactly pycocoevalcap's.
    /// </summary>
    None = 0,

    /// <summary>
    /// An approximation of pycocoevalcap's PTBTokenizer (Stanford CoreNLP 3.4.1 run with <c>-lowerCase</c>, then
    /// its punctuation tokens dropped), which needs Java. See <see cref="PtbTokenizer"/> for what it does and where
    /// it can differ.
    /// </summary>
    Ptb = 1,
}
