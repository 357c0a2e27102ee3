using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace CrossModal.Tensors.Cpu.Kernels;

/// <summary>A slice of kernel work: part <c>part</c> of <c>parts</c> equal shares of a row loop.</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// Threads for the row loops of the nn kernels: one per core beyond the caller's, created once and parked between
/// calls, so splitting a loop allocates nothing (the same design as <see cref="GemmWorkerPool"/>). Work is an
/// <see cref="IParallelWork"/> object the kernel caches per calling thread, holding pointers to pinned spans. A call
/// that finds the pool busy, or work too small to pay for the hand-off, runs on the caller alone.
/// </summary>
internal sealed class KernelPool
{
    /// <summary>Below this many scalar operations a loop is not split: waking a thread costs a few microseconds.</summary>
    public const long MinimumWork = 1 << 16;

    private static readonly Lock CreateLock = new();
    private static KernelPool? s_instance;

    [ThreadStatic]
    private static int t_limit;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim[] _start;
    private readonly ManualResetEventSlim _done = new(false);
    private IParallelWork? _work;
    private int _parts;
    private int _pending;
    private Exception? _error;

    private KernelPool(int workers)
    {
        _start = new SemaphoreSlim[workers];
        for (var i = 0; i < workers; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            var index = i;
            new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"CrossModal kernels {i + 1}" }.Start();
        }
    }

    /// <summary>The process-wide pool.</summary>
    public static KernelPool Instance
    {
        get
        {
            var pool = Volatile.Read(ref s_instance);
            if (pool is not null)
            {
                return pool;
            }

            lock (CreateLock)
            {
                return s_instance ??= new KernelPool(Math.Max(0, Environment.ProcessorCount - 1));
            }
        }
    }

    /// <summary>How many parts a loop of <paramref name="work"/> scalar operations over <paramref name="items"/> items should be split into.</summary>
    public int PartsFor(long work, int items)
    {
        var most = t_limit > 0 ? Math.Min(t_limit, _start.Length + 1) : _start.Length + 1;
        return work < MinimumWork || items < 2 || most < 2 ? 1 : Math.Min(items, most);
    }

    /// <summary>Caps the parts of kernels started from the current thread at <paramref name="threads"/> until the
    /// returned scope is disposed (a backend with fewer threads than cores, e.g. one of several training side by side).</summary>
    /// <param name="threads">The most threads; at least 1.</param>
    /// <returns>A scope that restores the previous cap.</returns>
    public static LimitScope Limit(int threads)
    {
        var previous = t_limit;
        t_limit = threads;
        return new LimitScope(previous);
    }

    /// <summary>Restores the cap that <see cref="Limit"/> replaced.</summary>
    internal readonly struct LimitScope(int previous) : IDisposable
    {
        public void Dispose() => t_limit = previous;
    }

    /// <summary>Runs <paramref name="work"/> as <paramref name="parts"/> parts; the caller runs part 0.</summary>
    public void Run(IParallelWork work, int parts)
    {
        if (parts <= 1 || !_gate.TryEnter())
        {
            for (var p = 0; p < parts; p++)
            {
                work.Execute(p, parts);
            }

            return;
        }

        try
        {
            _work = work;
            _parts = parts;
            _error = null;
            _done.Reset();
            Volatile.Write(ref _pending, parts - 1);
            for (var i = 0; i < parts - 1; i++)
            {
                _start[i].Release();
            }

            try
            {
                work.Execute(0, parts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }

            _done.Wait();
            _work = null;
            if (_error is not null)
            {
                ExceptionDispatchInfo.Throw(_error);
            }
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>The half-open range of part <paramref name="part"/> of <paramref name="parts"/> over <paramref name="count"/> items.</summary>
    public static (int Start, int End) Range(int count, int part, int parts)
        => ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    private void WorkerLoop(int index)
    {
        while (true)
        {
            _start[index].Wait();
            try
            {
                _work!.Execute(index + 1, _parts);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, e, null);
            }

            if (Interlocked.Decrement(ref _pending) == 0)
            {
                _done.Set();
            }
        }
    }
}
