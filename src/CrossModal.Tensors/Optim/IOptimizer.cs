namespace CrossModal.Tensors.Optim;

/// <summary>An optimiser over a fixed set of parameters.</summary>
public interface IOptimizer
{
    /// <summary>The learning rate of the next step (set it from a <see cref="LearningRateSchedule"/>).</summary>
    float LearningRate { get; set; }

    /// <summary>Steps taken so far.</summary>
    int StepCount { get; }

    /// <summary>Updates every parameter from its gradient (gradients are left as they are).</summary>
    void Step();
}
