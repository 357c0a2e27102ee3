using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using Xunit.Sdk;

namespace CrossModal.Tensors.Tests.Nn;

/// <summary>
/// A PyTorch reference fixture written by tests/reference/make_nn_fixtures.py (safetensors layout, all F32).
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
        var bytes = File.ReadAllBytes(path);
        var headerLength = checked((int)BinaryPrimitives.ReadUInt64LittleEndian(bytes));
        using var header = JsonDocument.Parse(bytes.AsMemory(8, headerLength));
        var tensors = new Dictionary<string, (int[], float[])>(StringComparer.Ordinal);
        foreach (var entry in header.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                continue;
            }

            var shapeElement = entry.Value.GetProperty("shape");
            var shape = new int[shapeElement.GetArrayLength()];
            var i = 0;
            foreach (var d in shapeElement.EnumerateArray())
            {
                shape[i++] = d.GetInt32();
            }

            var offsets = entry.Value.GetProperty("data_offsets");
            var begin = 8 + headerLength + offsets[0].GetInt32();
            var end = 8 + headerLength + offsets[1].GetInt32();
            var data = new float[(end - begin) / 4];
            for (var j = 0; j < data.Length; j++)
            {
                data[j] = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(begin + (4 * j)));
            }

            tensors[entry.Name] = (shape, data);
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
