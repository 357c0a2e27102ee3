using System;
using System.Collections.Generic;

namespace CrossModal.Tensors.Nn;

/// <summary>
/// Base of the nn layer: a module owns named parameters and child modules, so a model's parameters have dotted names
/// (e.g. <c>h.0.attn.c_attn.weight</c>) as in PyTorch's <c>state_dict</c>. Forward passes cache what their backward pass
/// needs and return activation buffers the module owns; buffers are allocated once per shape and then reused, so a
/// training step in steady state allocates nothing. A returned buffer stays valid until the module's next call.
/// </summary>
public abstract class Module
{
    private readonly List<KeyValuePair<string, Parameter>> _parameters = [];
    private readonly List<KeyValuePair<string, Module>> _children = [];
    private HashSet<Parameter>? _resetSeen;

    /// <summary>Creates a module computing on <paramref name="backend"/>.</summary>
    /// <param name="backend">Where parameters and activations live.</param>
    protected Module(IComputeBackend backend)
    {
        ArgumentNullException.ThrowIfNull(backend);
        Backend = backend;
    }

    /// <summary>The backend holding this module's tensors.</summary>
    public IComputeBackend Backend { get; }

    /// <summary>Whether the module is in training mode (dropout active). New modules train.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>Sets training mode on this module and all its children.</summary>
    /// <param name="training">True to train, false to evaluate.</param>
    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var child in _children)
        {
            child.Value.Train(training);
        }
    }

    /// <summary>Switches to evaluation mode (dropout becomes the identity).</summary>
    public void Eval() => Train(false);

    /// <summary>All parameters with dotted names, depth first in registration order; a shared (tied) parameter appears once.</summary>
    public IReadOnlyList<KeyValuePair<string, Parameter>> NamedParameters()
    {
        var result = new List<KeyValuePair<string, Parameter>>();
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        Collect(string.Empty, result, seen);
        return result;
    }

    /// <summary>All descendant modules with dotted names (not this module), depth first in registration order.</summary>
    public IReadOnlyList<KeyValuePair<string, Module>> NamedModules()
    {
        var result = new List<KeyValuePair<string, Module>>();
        CollectModules(string.Empty, result);
        return result;
    }

    private void CollectModules(string prefix, List<KeyValuePair<string, Module>> result)
    {
        foreach (var (name, child) in _children)
        {
            result.Add(new(prefix + name, child));
            child.CollectModules(prefix + name + ".", result);
        }
    }

    /// <summary>All parameters (see <see cref="NamedParameters"/>), e.g. to give to an optimiser.</summary>
    public IReadOnlyList<Parameter> Parameters()
    {
        var named = NamedParameters();
        var result = new Parameter[named.Count];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = named[i].Value;
        }

        return result;
    }

    /// <summary>The parameter called <paramref name="name"/> (dotted).</summary>
    /// <param name="name">E.g. <c>h.0.ln_1.weight</c>.</param>
    public Parameter GetParameter(string name)
    {
        foreach (var pair in NamedParameters())
        {
            if (pair.Key == name)
            {
                return pair.Value;
            }
        }

        throw new KeyNotFoundException($"The module has no parameter named '{name}'.");
    }

    /// <summary>Total number of parameter elements.</summary>
    public long ParameterCount()
    {
        long count = 0;
        foreach (var pair in NamedParameters())
        {
            count += pair.Value.Length;
        }

        return count;
    }

    /// <summary>Clears every parameter gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var pair in _parameters)
        {
            Backend.Fill(pair.Value.Gradient, 0f);
        }

        foreach (var child in _children)
        {
            child.Value.ZeroGrad();
        }
    }

    /// <summary>
    /// Re-initialises this module and every module below it, as PyTorch's <c>reset_parameters</c> applied to the whole
    /// tree: each module's <see cref="ResetParametersCore"/> runs once, depth first in registration order, all drawing
    /// from one generator seeded with <paramref name="seed"/>. This is the only way to initialise a model, so a model
    /// with a parameter that <see cref="ParameterInit"/> cannot describe (CLIP's logit scale) is initialised correctly
    /// whether it is reset on its own or as the child of another module.
    /// </summary>
    /// <param name="seed">The seed; the same seed gives the same parameters.</param>
    public void ResetParameters(int seed)
    {
        var random = new Random(seed);
        var seen = new HashSet<Parameter>(ReferenceEqualityComparer.Instance);
        ResetTree(random, seen);
    }

    /// <summary>
    /// Sets this module's own parameters (not its children's). The default draws each from its
    /// <see cref="Parameter.Init"/>; override it, calling the base first, to set what the descriptors cannot express.
    /// Runs before the children of this module are reset.
    /// </summary>
    /// <param name="random">The generator shared by the whole reset, so the draws are deterministic.</param>
    protected virtual void ResetParametersCore(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        foreach (var pair in _parameters)
        {
            if (_resetSeen is null || _resetSeen.Add(pair.Value))
            {
                ResetFromDescriptor(pair.Value, random);
            }
        }
    }

    /// <summary>Registers a parameter of this module.</summary>
    /// <param name="name">Local name, e.g. <c>weight</c>.</param>
    /// <param name="init">How to initialise it.</param>
    /// <param name="shape">Its shape.</param>
    protected Parameter AddParameter(string name, ParameterInit init, params int[] shape)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var p = new Parameter(Backend, shape, init, weightDecay: shape.Length >= 2);
        _parameters.Add(new(name, p));
        return p;
    }

    /// <summary>Registers a child module.</summary>
    /// <typeparam name="TModule">The child's type.</typeparam>
    /// <param name="name">Local name, e.g. <c>attn</c>.</param>
    /// <param name="module">The child.</param>
    protected TModule AddModule<TModule>(string name, TModule module)
        where TModule : Module
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(module);
        _children.Add(new(name, module));
        return module;
    }

    /// <summary>
    /// Returns <paramref name="current"/> when it has the given shape; else a view of the given shape over
    /// <paramref name="current"/>'s storage when that is large enough; else a newly allocated tensor. A module whose
    /// batch or sequence length changes from call to call (sampling, then scoring, then training) thus reuses its
    /// largest buffers instead of allocating new ones on every change. A new or re-shaped buffer is zero; one returned
    /// with its shape unchanged keeps its contents.
    /// </summary>
    /// <param name="current">The buffer from a previous call, or null.</param>
    /// <param name="shape">The shape needed now.</param>
    protected Tensor Buffer(Tensor? current, params ReadOnlySpan<int> shape)
    {
        if (current is not null && current.Shape.SequenceEqual(shape))
        {
            return current;
        }

        var count = TensorShape.ElementCount(shape);
        if (current is not null && current.Backend == Backend && current.Offset == 0 && current.Storage.Length >= count)
        {
            // Cleared, as a new allocation would be: some modules write only part of a buffer (padding, masked
            // positions) and rely on the rest being zero.
            var view = ShapeView(current.Storage, shape);
            Backend.Fill(view, 0f);
            return view;
        }

        return Backend.Allocate(shape.ToArray());
    }

    // The storage remembers the views of the last 32 shapes (replacing the oldest), so a buffer alternating between
    // the shapes of several callers, e.g. a decoding step's (B, C) and a training batch's (B·T, C) for any T up to a
    // short context, allocates nothing once each shape has been seen.
    private Tensor ShapeView(TensorStorage storage, ReadOnlySpan<int> shape)
    {
        const int Slots = 32;
        var views = storage.ShapeViews ??= new Tensor?[Slots];
        foreach (var cached in views)
        {
            if (cached is not null && cached.Backend == Backend && cached.Shape.SequenceEqual(shape))
            {
                return cached;
            }
        }

        var view = new Tensor(Backend, storage, 0, shape.ToArray());
        views[storage.ShapeViewNext] = view;
        storage.ShapeViewNext = (storage.ShapeViewNext + 1) % Slots;
        return view;
    }

    /// <summary>The number of rows of width <paramref name="width"/> in <paramref name="input"/>, or an error naming it.</summary>
    /// <param name="input">The tensor.</param>
    /// <param name="width">The row width expected.</param>
    /// <param name="name">The argument name for the error.</param>
    protected static int RowsOf(Tensor input, int width, string name)
    {
        ArgumentNullException.ThrowIfNull(input, name);
        if (input.Dim(-1) != width)
        {
            throw new ArgumentException($"Expected rows of {width} elements but got {input}.", name);
        }

        return (int)(input.Length / width);
    }

    /// <summary>Throws when a backward pass comes before its forward pass.</summary>
    /// <param name="cached">What the forward pass cached.</param>
    /// <param name="module">The module's name for the message.</param>
    protected static T RequireForward<T>(T? cached, string module)
        where T : class
        => cached ?? throw new InvalidOperationException($"{module}.Backward was called before Forward.");

    private static void ResetFromDescriptor(Parameter p, Random random)
    {
        var values = new float[p.Length];
        switch (p.Init)
        {
            case ParameterInit.Ones:
                Array.Fill(values, 1f);
                break;
            case ParameterInit.Normal:
                for (var i = 0; i < values.Length; i++)
                {
                    // Box–Muller transform.
                    var u1 = 1.0 - random.NextDouble();
                    var u2 = random.NextDouble();
                    values[i] = (float)(p.InitStandardDeviation * BoxMuller.Sample(u1, u2));
                }

                break;
        }

        p.Value.CopyFrom(values);
    }

    private void ResetTree(Random random, HashSet<Parameter> seen)
    {
        // A module's own parameters draw before its children's (the order of NamedParameters), so a seed gives the
        // values it always has.
        _resetSeen = seen;
        try
        {
            ResetParametersCore(random);
        }
        finally
        {
            _resetSeen = null;
        }

        foreach (var child in _children)
        {
            child.Value.ResetTree(random, seen);
        }
    }

    private void Collect(string prefix, List<KeyValuePair<string, Parameter>> result, HashSet<Parameter> seen)
    {
        foreach (var pair in _parameters)
        {
            if (seen.Add(pair.Value))
            {
                result.Add(new(prefix + pair.Key, pair.Value));
            }
        }

        foreach (var child in _children)
        {
            child.Value.Collect(prefix + child.Key + ".", result, seen);
        }
    }
}
