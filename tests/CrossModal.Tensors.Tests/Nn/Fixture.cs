using System;
using System.Collections.Generic;
using System.IO;
using CrossModal.Tensors.IO;
using Xunit.Sdk;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>
/// A PyTorch reference fixture written by tests/reference/make_nn_fixtures.py (safetensors, all F32), read by
/// <see cref="SafeTensorsFile"/>.
/// </summary>
internal sealed class Fixture
{
    private readonly Dictionary<string, (int[] Shape, float[] Data)> _tensors;

    private Fixture(string name, Dictionary<string, (int[] Shape, float[] Data)> tensors)
    {
        Name = name;
        _tensors = tensors;
    }

    public string Name { get; }

    public IEnumerable<string> Names => _tensors.Keys;

    public float[] this[string name] => Get(name).Data;

    public int[] Shape(string name) => Get(name).Shape;

    public int[] Ints(string name) => Array.ConvertAll(this[name], v => checked((int)v));

    public byte[] Bytes(string name) => Array.ConvertAll(this[name], v => checked((byte)v));

    public float Scalar(string name) => this[name][0];

    public bool Has(string name) => _tensors.ContainsKey(name);

    public static Fixture Load(string name)
    {
        var path = Path.Combine(RepositoryRoot(), "tests", "reference", "fixtures", "nn", name + ".safetensors");
        var tensors = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (var (key, value) in SafeTensorsFile.Read(path).Tensors)
        {
            tensors[key] = (value.Shape, value.Data);
        }

        return new Fixture(name, tensors);
    }

    public static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CrossModal.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("CrossModal.sln not found above " + AppContext.BaseDirectory);
    }

    private (int[] Shape, float[] Data) Get(string name)
        => _tensors.TryGetValue(name, out var t) ? t : throw new XunitException($"Fixture {Name} has no tensor '{name}'.");
}
