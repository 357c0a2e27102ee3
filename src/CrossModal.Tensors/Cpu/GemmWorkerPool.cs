using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace CrossModal.Tensors.Cpu;

/// <summary>
/// The GEMM threads: one per core beyond the caller's, created once and parked on a semaphore between calls. A call
/// is described in fields of this object (no closure, no task object), so a parallel GEMM allocates nothing. The
/// calling thread works as thread 0; a second caller arriving while the pool is busy runs single-threaded instead of
/// waiting.
/// </summary>
internal sealed unsafe class GemmWorkerPool
{
    private static readonly Lock CreateLock = new();
    private static GemmWorkerPool? s_instance;

    private readonly Lock _gate = new();
    private readonly SemaphoreSlim[] _start;
    private readonly SemaphoreSlim _done = new(0);

    private GemmProblem _problem;
    private int _threads;
    private bool _batchParallel;
    private float* _sharedPackB;
    private int _nextItem;
    private int _pending;
    private int _arrived;
    private int _generation;
    private Exception? _error;

    /// <summary>Next row/column task of the current depth block (see <see cref="GemmDriver.Blocked"/>).</summary>
    internal int NextTask;

    private GemmWorkerPool(int workers)
    {
        _start = new SemaphoreSlim[workers];
        for (var i = 0; i < workers; i++)
        {
            _start[i] = new SemaphoreSlim(0);
            var index = i;
            var thread = new Thread(() => WorkerLoop(index))
            {
                IsBackground = true,
                Name = $"CrossModal GEMM {i + 1}",
            };
            thread.Start();
        }
    }

    /// <summary>The process-wide pool (one thread per core, created on first use).</summary>
    public static GemmWorkerPool Instance
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
                return s_instance ??= new GemmWorkerPool(Math.Max(0, Environment.ProcessorCount - 1));
            }
        }
    }

    /// <summary>Most threads a call can use: the workers plus the caller.</summary>
    public int MaxThreads => _start.Length + 1;

    /// <summary>Runs <paramref name="problem"/> on <paramref name="threads"/> threads; false if the pool is busy.</summary>
    /// <param name="problem">The validated call; its operands stay pinned by the caller until this returns.</param>
    /// <param name="threads">Team size, 2…<see cref="MaxThreads"/>.</param>
    /// <param name="batchParallel">Give each thread whole products of the batch instead of sharing each product.</param>
    public bool TryRun(ref GemmProblem problem, int threads, bool batchParallel)
    {
        if (!_gate.TryEnter())
        {
            return false;
        }

        try
        {
            var ws = GemmWorkspace.Current;
            _problem = problem;
            _threads = threads;
            _batchParallel = batchParallel;
            _sharedPackB = ws.PackB;
            _nextItem = 0;
            NextTask = 0;
            _arrived = threads;
            _error = null;
            Volatile.Write(ref _pending, threads - 1);
            for (var i = 0; i < threads - 1; i++)
            {
                _start[i].Release();
            }

            try
            {
                Execute(0, ws);
            }
            catch (Exception e)
            {
                _error ??= e;
            }

            _done.Wait();
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
    internal void Barrier()
    {
        var generation = Volatile.Read(ref _generation);
        if (Interlocked.Decrement(ref _arrived) == 0)
        {
            _arrived = _threads;
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

    private void Execute(int tid, GemmWorkspace ws)
    {
        if (_batchParallel)
        {
            int z;
            while ((z = Interlocked.Increment(ref _nextItem) - 1) < _problem.Batch)
            {
                GemmDriver.Blocked(ref _problem, z, ws.PackA, ws.PackB, ws.Tile, 0, 1, null);
            }
        }
        else
        {
            for (var z = 0; z < _problem.Batch; z++)
            {
                GemmDriver.Blocked(ref _problem, z, ws.PackA, _sharedPackB, ws.Tile, tid, _threads, this);
            }
        }
    }

    private void WorkerLoop(int index)
    {
        var ws = GemmWorkspace.Current;
        while (true)
        {
            _start[index].Wait();
            try
            {
                Execute(index + 1, ws);
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
