using System;
using System.Runtime.CompilerServices;
using System.Threading;

namespace CrossModal.Tensors.Cpu;

/// <summary>A validated GEMM call as raw pointers (the caller keeps the operands pinned until it returns).</summary>
internal unsafe struct GemmProblem
{
    public float* A;
    public float* B;
    public float* C;
    public nint Lda;
    public nint Ldb;
    public nint Ldc;
    public long StrideA;
    public long StrideB;
    public long StrideC;
    public bool TransposeA;
    public bool TransposeB;
    public int M;
    public int N;
    public int K;
    public int Batch;
    public float Alpha;
    public float Beta;

    /// <summary>The resolved microkernel (never <see cref="GemmKernel.Auto"/>).</summary>
    public GemmKernel Kernel;
}

/// <summary>
/// One parallel GEMM call as <see cref="IParallelWork"/> for <see cref="WorkerPool.Gemm"/>: the problem, the leader's
/// B pack buffer shared by the team, and the team's task counters. One object per calling thread, reused by every
/// call, so a parallel GEMM allocates nothing.
/// </summary>
internal sealed unsafe class GemmJob : IParallelWork
{
    [ThreadStatic]
    private static GemmJob? t_job;

    private WorkerPool _pool = null!;

    /// <summary>The call.</summary>
    public GemmProblem Problem;

    /// <summary>Give each thread whole products of the batch instead of sharing each product.</summary>
    public bool BatchParallel;

    /// <summary>The leader's B pack buffer, read by the whole team.</summary>
    public float* SharedPackB;

    /// <summary>Next product of the batch (batch-parallel mode).</summary>
    public int NextItem;

    /// <summary>Next row/column task of the current depth block (see <see cref="GemmDriver.Blocked"/>).</summary>
    public int NextTask;

    /// <summary>The calling thread's job, bound to <paramref name="pool"/>.</summary>
    public static GemmJob ForCurrentThread(WorkerPool pool)
    {
        var job = t_job ??= new GemmJob();
        job._pool = pool;
        return job;
    }

    /// <summary>Waits until the whole team has arrived.</summary>
    public void Barrier() => _pool.Barrier();

    public void Execute(int part, int parts)
    {
        var ws = GemmWorkspace.Current;
        if (BatchParallel)
        {
            int z;
            while ((z = Interlocked.Increment(ref NextItem) - 1) < Problem.Batch)
            {
                GemmDriver.Blocked(ref Problem, z, ws.PackA, ws.PackB, ws.Tile, 0, 1, null);
            }
        }
        else
        {
            for (var z = 0; z < Problem.Batch; z++)
            {
                GemmDriver.Blocked(ref Problem, z, ws.PackA, SharedPackB, ws.Tile, part, parts, this);
            }
        }
    }
}

/// <summary>
/// The BLIS/GotoBLAS loop nest around the microkernels: for each Nc-wide block of columns (jc) and Kc-deep block
/// of depth (pc), B is packed once into Nr-wide slivers shared by all threads; the rows are cut into Mc-high tasks
/// that threads take dynamically, each packing its own A block into Mr-high slivers and sweeping the microkernel
/// over it (Van Zee &amp; van de Geijn 2015, Fig. 1; Smith et al., "Anatomy of High-Performance Many-Threaded Matrix
/// Multiplication", IPDPS 2014, on parallelising the ic loop).
/// </summary>
internal static unsafe class GemmDriver
{
    /// <summary>
    /// Multiply-adds (m·n·k summed over the batch) below which one thread wins: waking the pool costs a few
    /// microseconds, about what one core needs for 2²¹ multiply-adds.
    /// </summary>
    public const long ParallelThreshold = 1L << 21;

    /// <summary>Runs a whole (batched) problem with up to <paramref name="maxThreads"/> threads.</summary>
    public static void Run(ref GemmProblem problem, int maxThreads)
    {
        var perItem = (long)problem.M * problem.N * problem.K;
        var threads = maxThreads;
        if (threads > 1 && perItem * problem.Batch >= ParallelThreshold)
        {
            var pool = WorkerPool.Gemm;
            threads = Math.Min(threads, pool.MaxThreads);
            if (threads > 1)
            {
                // Many (or evenly divisible, or small) products: one product per thread at a time, no barriers.
                // Few large products: the whole team on each product in turn.
                var job = GemmJob.ForCurrentThread(pool);
                job.Problem = problem;
                job.BatchParallel = problem.Batch >= threads
                    && (problem.Batch % threads == 0 || problem.Batch >= 4 * threads || perItem < ParallelThreshold);
                job.SharedPackB = GemmWorkspace.Current.PackB;
                job.NextItem = 0;
                job.NextTask = 0;
                if (pool.TryRun(job, threads))
                {
                    return;
                }
            }
        }

        // Single-threaded: too small to share, one thread requested, or the pool is busy with another caller.
        var ws = GemmWorkspace.Current;
        for (var z = 0; z < problem.Batch; z++)
        {
            Blocked(ref problem, z, ws.PackA, ws.PackB, ws.Tile, 0, 1, null);
        }
    }

    /// <summary>
    /// One product of the batch, run by thread <paramref name="tid"/> of a team of <paramref name="threads"/>
    /// (all of whom call this with the same arguments except <paramref name="tid"/> and the private buffers).
    /// </summary>
    /// <param name="problem">The call.</param>
    /// <param name="z">Batch index.</param>
    /// <param name="packA">This thread's A pack buffer.</param>
    /// <param name="packB">The team's shared B pack buffer.</param>
    /// <param name="tile">This thread's edge tile.</param>
    /// <param name="tid">Thread index in the team.</param>
    /// <param name="threads">Team size.</param>
    /// <param name="team">The job coordinating the team (barriers, task counter); null for a team of one.</param>
    public static void Blocked(
        ref GemmProblem problem, int z, float* packA, float* packB, float* tile, int tid, int threads, GemmJob? team)
    {
        var blk = GemmBlocking.For(problem.Kernel);
        int m = problem.M, n = problem.N, k = problem.K, mr = blk.Mr, nr = blk.Nr;
        var a = problem.A + (z * problem.StrideA);
        var b = problem.B + (z * problem.StrideB);
        var c = problem.C + (z * problem.StrideC);
        nint lda = problem.Lda, ldb = problem.Ldb, ldc = problem.Ldc;
        bool ta = problem.TransposeA, tb = problem.TransposeB;

        // Row tasks: at most Mc rows (the A block must stay in L2), a multiple of Mr, and for a team a multiple of
        // the team size in count so that no thread idles on the last round.
        var mTasks = CeilDiv(m, blk.Mc);
        if (threads > 1)
        {
            mTasks = Math.Min(CeilDiv(mTasks, threads) * threads, CeilDiv(m, mr));
        }

        var mcTask = CeilDiv(CeilDiv(m, mTasks), mr) * mr;
        mTasks = CeilDiv(m, mcTask);
        var localTask = 0;

        for (var jc = 0; jc < n; jc += blk.Nc)
        {
            var nc = Math.Min(blk.Nc, n - jc);
            var slivers = CeilDiv(nc, nr);

            // Too few row tasks to feed the team (short, wide products): also cut the columns.
            var nTasks = 1;
            if (threads > 1 && mTasks < 2 * threads)
            {
                nTasks = Math.Min(slivers, CeilDiv(2 * threads, mTasks));
            }

            var sliversPerTask = CeilDiv(slivers, nTasks);
            nTasks = CeilDiv(slivers, sliversPerTask);
            var tasks = mTasks * nTasks;

            for (var pc = 0; pc < k; pc += blk.Kc)
            {
                var kc = Math.Min(blk.Kc, k - pc);

                // Later depth blocks accumulate onto what the first one wrote.
                var beta = pc == 0 ? problem.Beta : 1f;
                var bBlock = tb ? b + (jc * ldb) + pc : b + (pc * ldb) + jc;
                GemmPacking.PackB(packB, bBlock, ldb, tb, kc, nc, nr, slivers * tid / threads, slivers * (tid + 1) / threads);
                team?.Barrier();

                while (true)
                {
                    var t = team is null ? localTask++ : Interlocked.Increment(ref team.NextTask) - 1;
                    if (t >= tasks)
                    {
                        break;
                    }

                    int im = t / nTasks, jn = t - (im * nTasks);
                    var i0 = im * mcTask;
                    var mc = Math.Min(mcTask, m - i0);
                    var aBlock = ta ? a + (pc * lda) + i0 : a + (i0 * lda) + pc;
                    GemmPacking.PackA(packA, aBlock, lda, ta, mc, kc, mr);
                    var s0 = jn * sliversPerTask;
                    var s1 = Math.Min(slivers, s0 + sliversPerTask);
                    Macro(problem.Kernel, mr, nr, kc, mc, nc, packA, packB, s0, s1, c + (i0 * ldc) + jc, ldc, problem.Alpha, beta, tile);
                }

                if (team is null)
                {
                    localTask = 0;
                }
                else
                {
                    // Nobody may repack B while another thread still reads it. Thread 0 resets the task counter
                    // before it reaches the next barrier, which nobody passes without it.
                    team.Barrier();
                    if (tid == 0)
                    {
                        Volatile.Write(ref team.NextTask, 0);
                    }
                }
            }
        }
    }

    /// <summary>
    /// The macro-kernel: every Mr×Nr tile of an mc×(slivers s0…s1) block of C. The B sliver is the outer loop so it
    /// stays in L1 while the A slivers stream from L2.
    /// </summary>
    private static void Macro(
        GemmKernel kernel, int mr, int nr, int kc, int mc, int nc, float* packA, float* packB, int s0, int s1,
        float* c, nint ldc, float alpha, float beta, float* tile)
    {
        for (var q = s0; q < s1; q++)
        {
            var j = q * nr;
            var cols = Math.Min(nr, nc - j);
            var bq = packB + ((nint)q * kc * nr);
            for (var i = 0; i < mc; i += mr)
            {
                var rows = Math.Min(mr, mc - i);
                var ai = packA + ((nint)i * kc);
                var ct = c + (i * ldc) + j;
                if (rows == mr && cols == nr)
                {
                    Micro(kernel, kc, ai, bq, ct, ldc, alpha, beta);
                }
                else
                {
                    Micro(kernel, kc, ai, bq, tile, nr, 1f, 0f);
                    MergeEdge(tile, nr, ct, ldc, rows, cols, alpha, beta);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Micro(GemmKernel kernel, int kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        if (kernel == GemmKernel.Vector512)
        {
            GemmMicrokernels.Kernel12x32(kc, a, b, c, ldc, alpha, beta);
        }
        else
        {
            GemmMicrokernels.Kernel6x16(kc, a, b, c, ldc, alpha, beta);
        }
    }

    private static void MergeEdge(float* tile, nint ldt, float* c, nint ldc, int rows, int cols, float alpha, float beta)
    {
        for (var r = 0; r < rows; r++)
        {
            var tr = tile + (r * ldt);
            var cr = c + (r * ldc);
            for (var j = 0; j < cols; j++)
            {
                cr[j] = beta == 0f ? alpha * tr[j] : (alpha * tr[j]) + (beta * cr[j]);
            }
        }
    }

    private static int CeilDiv(int x, int y) => (x + y - 1) / y;
}
