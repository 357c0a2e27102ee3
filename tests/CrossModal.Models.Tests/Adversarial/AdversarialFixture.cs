using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Tensors;
using CrossModal.Tensors.IO;
using CrossModal.Testing;
using Xunit.Sdk;

namespace CrossModal.Models.Tests.Adversarial;

/// <summary>A file of tests/reference/fixtures/adversarial, written by tests/reference/make_adversarial_fixtures.py.</summary>
internal sealed class AdversarialFixture
{
    private readonly Dictionary<string, HostArray> _tensors;

    private AdversarialFixture(string name, Dictionary<string, HostArray> tensors)
    {
        Name = name;
        _tensors = tensors;
    }

    public string Name { get; }

    public IReadOnlyDictionary<string, HostArray> Tensors => _tensors;

    public float[] this[string name] =>
        _tensors.TryGetValue(name, out var t) ? t.Data : throw new XunitException($"Fixture {Name} has no tensor '{name}'.");

    public int[] Ints(string name) => Array.ConvertAll(this[name], v => checked((int)v));

    public static AdversarialFixture Load(string name)
    {
        var path = Path.Combine(RepositoryPaths.Root, "tests", "reference", "fixtures", "adversarial", name + ".safetensors");
        return new AdversarialFixture(name, new Dictionary<string, HostArray>(SafeTensorsFile.Read(path).Tensors, StringComparer.Ordinal));
    }

    /// <summary>The tensors named <c>param.*</c> without the prefix, for loading into a module.</summary>
    public Dictionary<string, HostArray> Parameters()
    {
        var result = new Dictionary<string, HostArray>(StringComparer.Ordinal);
        foreach (var (key, value) in _tensors)
        {
            if (key.StartsWith("param.", StringComparison.Ordinal))
            {
                result[key["param.".Length..]] = value;
            }
        }

        return result;
    }
}
