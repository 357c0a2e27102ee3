using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Linq;
using CrossModal.Text;
using Microsoft.Extensions.Options;

namespace CrossModal.DependencyInjection;

/// <summary>
/// Tokenizers by name: the built-in <c>gpt2</c> and <c>clip</c>, and the tokenizer files named in
/// <see cref="CrossModalOptions.Tokenizers"/> — word tokenizer JSON, or <c>.tiktoken</c> ranks files
/// (<see cref="TokenizerRegistry.Load"/>) — each loaded once, on first use. Also resolvable as keyed services:
/// <c>[FromKeyedServices("gpt2")] ITokenizer</c>.
/// </summary>
public sealed class TokenizerProvider
{
    private readonly IReadOnlyDictionary<string, string> _files;
    private readonly ConcurrentDictionary<string, Lazy<ITokenizer>> _loaded = new(StringComparer.Ordinal);

    /// <summary>Creates the provider over the configured tokenizer files.</summary>
    /// <param name="options">The application's CrossModal options.</param>
    public TokenizerProvider(IOptions<CrossModalOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _files = new Dictionary<string, string>(options.Value.Tokenizers ?? new(), StringComparer.Ordinal);
    }

    /// <summary>Every name <see cref="Get"/> accepts.</summary>
    public IReadOnlyList<string> Names => [.. TokenizerRegistry.PretrainedNames, .. _files.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The tokenizer named <paramref name="name"/>.</summary>
    /// <param name="name"><c>gpt2</c>, <c>clip</c> or a name configured in <see cref="CrossModalOptions.Tokenizers"/>.</param>
    /// <exception cref="ArgumentException">No tokenizer has that name; the message lists the names.</exception>
    public ITokenizer Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!IsBuiltIn(name) && !_files.ContainsKey(name))
        {
            throw new ArgumentException($"No tokenizer is named '{name}'; expected one of {string.Join(", ", Names)}.", nameof(name));
        }

        return _loaded.GetOrAdd(name, n => new Lazy<ITokenizer>(() =>
            TokenizerRegistry.TryGetPretrained(n, out var pretrained) ? pretrained : TokenizerRegistry.Load(_files[n]))).Value;
    }

    internal static bool IsBuiltIn(string name) => TokenizerRegistry.PretrainedNames.Contains(name, StringComparer.Ordinal);
}
