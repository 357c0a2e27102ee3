using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace CrossModal.Tensors.Cpu;

/// <summary>A slice of parallel work: part <c>part</c> of <c>parts</c> (the caller runs part 0).</summary>
internal interface IParallelWork
{
    void Execute(int part, int parts);
}

/// <summary>
/// Parked worker threads: one per core beyond the caller's, created once and waiting on a semaphore between calls.
/// Work is an <see cref="IParallelWork"/> object the caller caches (per calling thread) with pointers to pinned
/// operands, so handing a loop to the team allocates nothing. The caller works as part 0. A call that finds the
/// pool busy with another caller does not wait: <see cref="TryRun"/> returns false and <see cref="Run"/> runs every
/// part on the caller. The GEMM and the nn kernels each have a pool of their own (<see cref="Gemm"/>,
/// <see cref="Kernels"/>), so a kernel loop and a GEMM on different threads never queue behind each other.
/// </summary>
internal sealed class WorkerPool
{
    /// <summary>Below this many scalar operations a kernel loop is not split: waking a thread costs a few microseconds.</summary>
    public const long MinimumWork = 1 << 16;

    private static readonly Lock CreateLock = new();
    private static WorkerPool? s_gemm;
    private static WorkerPool? s_kernels;

    [ThreadStatic]
    private static int t_limit;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim[] _start;
    private readonly SemaphoreSlim _done = new(0);
    private IParallelWork? _work;
    private int _parts;
    private int _pending;
    private int _arrived;
    private int _generation;
    private Exception? _error;

    private WorkerPool(int workers, string name)
    {
        _start = new SemaphoreSlim[workers];
        for (var i = 0; i < workers; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            var index = i;
            new Thread(() => WorkerLoop(index)) { IsBackground = true, Name = $"{name} {i + 1}" }.Start();
        }
    }

    /// <summary>The GEMM's pool (created on first use).</summary>
    public static WorkerPool Gemm => Instance(ref s_gemm, "CrossModal GEMM");

    /// <summary>The nn kernels' pool (created on first use).</summary>
    public static WorkerPool Kernels => Instance(ref s_kernels, "CrossModal kernels");

    /// <summary>Most threads a call can use: the workers plus the caller.</summary>
    public int MaxThreads => _start.Length + 1;

    /// <summary>How many parts a loop of <paramref name="work"/> scalar operations over <paramref name="items"/> items should be split into.</summary>
    public int PartsFor(long work, int items)
    {
        var most = t_limit > 0 ? Math.Min(t_limit, MaxThreads) : MaxThreads;
        return work < MinimumWork || items < 2 || most < 2 ? 1 : Math.Min(items, most);
    }

    /// <summary>Caps <see cref="PartsFor"/> on the current thread at <paramref name="threads"/> until the returned scope is
    /// disposed (a backend with fewer threads than cores, e.g. one of several training side by side).</summary>
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

    /// <summary>The half-open range of part <paramref name="part"/> of <paramref name="parts"/> over <paramref name="count"/> items.</summary>
    public static (int Start, int End) Range(int count, int part, int parts)
        => ((int)((long)count * part / parts), (int)((long)count * (part + 1) / parts));

    /// <summary>Runs <paramref name="work"/> as <paramref name="parts"/> parts, on the team when it is free, else all on the caller.</summary>
    public void Run(IParallelWork work, int parts)
    {
        if (parts <= 1 || !TryRun(work, parts))
        {
            for (var p = 0; p < parts; p++)
            {
                work.Execute(p, parts);
            }
        }
    }

    /// <summary>Runs <paramref name="work"/> on a team of <paramref name="parts"/> threads; false (nothing run) if the pool is busy.</summary>
    /// <param name="work">The parts; operands stay pinned by the caller until this returns.</param>
    /// <param name="parts">Team size, 2…<see cref="MaxThreads"/>.</param>
    public bool TryRun(IParallelWork work, int parts)
    {
        if (parts < 2 || parts > MaxThreads)
        {
            throw new ArgumentOutOfRangeException(nameof(parts), parts, $"A team has 2 to {MaxThreads} threads.");
        }

        if (!_gate.TryEnter())
        {
            return false;
        }

        try
        {
            _work = work;
            _parts = parts;
            _arrived = parts;
            _error = null;
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

            return true;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>A sense-free spinning barrier over the current team (generation counting).</summary>
    public void Barrier()
    {
        var generation = Volatile.Read(ref _generation);
        if (Interlocked.Decrement(ref _arrived) == 0)
        {
            _arrived = _parts;
            Interlocked.Increment(ref _generation);
            return;
        }

        // No Sleep(1): on an oversubscribed machine yield instead, so the barrier is left within a time slice.
        var spin = default(SpinWait);
        while (Volatile.Read(ref _generation) == generation)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }

    private static WorkerPool Instance(ref WorkerPool? field, string name)
    {
        var pool = Volatile.Read(ref field);
        if (pool is not null)
        {
            return pool;
        }

        lock (CreateLock)
        {
            return field ??= new WorkerPool(Math.Max(0, Environment.ProcessorCount - 1), name);
        }
    }

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
                _done.Release();
            }
        }
    }
}
