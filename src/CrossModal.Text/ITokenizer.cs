using System;

namespace CrossModal.Text;

/// <summary>Turns text into token ids and back. Implementations are thread-safe.</summary>
public interface ITokenizer
{
    /// <summary>Number of ids; every id is in <c>[0, VocabularySize)</c>.</summary>
    int VocabularySize { get; }

    /// <summary>The id that starts a sequence, or null when the tokenizer has none (GPT-2).</summary>
    int? StartOfTextId { get; }

    /// <summary>The id that ends a sequence (<c>&lt;|endoftext|&gt;</c>, <c>&lt;eos&gt;</c>).</summary>
    int EndOfTextId { get; }

    /// <summary>The id used to pad sequences to a fixed length.</summary>
    int PaddingId { get; }

    /// <summary>Encodes <paramref name="text"/> without start or end tokens.</summary>
    /// <param name="text">Any string.</param>
    int[] Encode(string text);

    /// <summary>Turns ids back into text.</summary>
    /// <param name="ids">Ids in <c>[0, VocabularySize)</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is outside the vocabulary.</exception>
    string Decode(ReadOnlySpan<int> ids);
}
