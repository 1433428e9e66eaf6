using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Optim;

/// <summary>Full-batch gradient descent on any differentiable objective, with the stopping rule.</summary>
public static class Minimizer
{
    public sealed record Outcome(long Iterations, float Loss, float GradientNorm, bool Converged);

    /// <param name="objective">Builds the loss from the parameter tensor (a leaf requiring gradients).</param>
    public static Outcome Minimize(Func<Tensor<float>, Tensor<float>> objective, float[] parameters, SgdOptions options, StoppingRule rule)
    {
        var x = Tensor.Parameter(parameters);
        var optimizer = new SgdOptimizer(options, parameters.Length);
        for (long iteration = 0; ; iteration++)
        {
            x.ZeroGrad();
            var loss = objective(x);
            loss.Backward();
            var norm = System.Numerics.Tensors.TensorPrimitives.Norm<float>(x.Grad);
            if (rule.ShouldStop(norm, iteration))
            {
                return new Outcome(iteration, loss.Item, norm, norm < rule.Epsilon);
            }
            optimizer.Step(parameters, x.Grad);
        }
    }
}
