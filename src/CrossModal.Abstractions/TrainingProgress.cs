using System;

namespace CrossModal.Abstractions;

/// <summary>A snapshot of a training run, reported through <see cref="IProgress{T}"/>.</summary>
/// <param name="Stage">What is being trained (e.g. "clip", "captioner C3").</param>
/// <param name="Step">Optimiser steps completed.</param>
/// <param name="TotalSteps">Optimiser steps planned.</param>
/// <param name="Epoch">Current epoch (zero-based).</param>
/// <param name="Loss">Most recent training loss.</param>
/// <param name="ItemsPerSecond">Throughput (tokens or examples per second, as <paramref name="Stage"/> defines).</param>
/// <param name="Remaining">Estimated time to completion.</param>
public readonly record struct TrainingProgress(
    string Stage,
    long Step,
    long TotalSteps,
    int Epoch,
    double Loss,
    double ItemsPerSecond,
    TimeSpan Remaining);
