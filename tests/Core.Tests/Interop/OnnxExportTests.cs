using DistTrain.Core.Autodiff;
using DistTrain.Core.Data;
using DistTrain.Core.Interop;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Tests.Training;
using DistTrain.Core.Training;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Xunit.Abstractions;

namespace DistTrain.Core.Tests.Interop;

/// <summary>
/// An exported network runs in ONNX Runtime and gives DistTrain's outputs on the whole MNIST test
/// set: every logit (or probability) within 1e-5, the same predicted class for every image.
/// </summary>
public sealed class OnnxExportTests(MnistFixture mnist, ITestOutputHelper output) : IClassFixture<MnistFixture>
{
    [Theory]
    [InlineData("784-16-16-10", ActivationKind.ReLU, false)]
    [InlineData("784-16-16-10", ActivationKind.ReLU, true)]
    [InlineData("784-32-10", ActivationKind.Sigmoid, false)]
    [InlineData("784-32-16-10", ActivationKind.Tanh, true)]
    [InlineData("784-10", ActivationKind.Identity, false)]
    [InlineData("784-256-256-10", ActivationKind.ReLU, false)]
    public void OnnxRuntime_GivesDistTrainsOutputs_OnTheWholeTestSet(string layers, ActivationKind activation, bool softmax)
    {
        var model = new ModelSpec(NetworkSpec.Parse(layers, activation));
        using var trainer = new LocalTrainer(new TrainingOptions(model, new SgdOptions(0.1f), 1, 64, Seed: 3, Threads: 1), mnist.Train.Take(5000));
        trainer.Train();
        var parameters = trainer.Parameters;
        var test = mnist.Test;
        int n = test.Count, classes = model.Network.OutputSize;

        float[] expected;
        using (NoGradScope.Begin())
        {
            var y = new Network<float>(model.Network, parameters.ToArray()).Forward(DistTrain.Core.Autodiff.Tensor.FromArray(test.Features.ToArray(), n, test.FeatureCount));
            expected = (softmax ? y.Softmax() : y).Data.ToArray();
        }

        var bytes = OnnxExport.ToBytes(model, parameters, softmax);
        using var session = new InferenceSession(bytes);
        Assert.Equal(OnnxExport.InputName, session.InputMetadata.Keys.Single());
        Assert.Equal(OnnxExport.OutputName(softmax), session.OutputMetadata.Keys.Single());
        var input = new DenseTensor<float>(test.Features.ToArray(), [n, test.FeatureCount]);
        using var results = session.Run([NamedOnnxValue.CreateFromTensor(OnnxExport.InputName, input)]);
        var actual = results.Single().AsEnumerable<float>().ToArray();

        Assert.Equal(expected.Length, actual.Length);
        var worst = 0.0;
        var disagreements = 0;
        for (var i = 0; i < n; i++)
        {
            var e = expected.AsSpan(i * classes, classes);
            var a = actual.AsSpan(i * classes, classes);
            for (var c = 0; c < classes; c++)
            {
                worst = Math.Max(worst, Math.Abs(e[c] - a[c]));
            }
            disagreements += System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(e) == System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(a) ? 0 : 1;
        }
        output.WriteLine($"{layers} {activation} softmax={softmax}: largest difference {worst:E2} over {n} images, {disagreements} different predictions");
        Assert.True(worst <= 1e-5, $"largest difference {worst:E2}");
        Assert.Equal(0, disagreements);
    }

    [Fact]
    public void ReadmeExample_RunsTheExportedModel()
    {
        var folder = Directory.CreateTempSubdirectory("onnx-readme-").FullName;
        try
        {
            string dtm = Path.Combine(folder, "m.dtm"), onnx = Path.Combine(folder, "m.onnx");
            var trained = new ModelSpec(NetworkSpec.Parse("784-16-10"));
            using var trainer = new LocalTrainer(new TrainingOptions(trained, new SgdOptions(0.1f), 1, 64, Seed: 1, Threads: 1), mnist.Train.Take(3000));
            trainer.Train();
            DistTrain.Core.Models.ModelFile.Save(dtm, trained, trainer.Parameters);
            var test = mnist.Test;

            // --- README: onnx ---
            var (spec, parameters) = DistTrain.Core.Models.ModelFile.Load(dtm);                 // a model saved by train --out
            OnnxExport.Save(onnx, spec, parameters, softmax: false);       // what `disttrain export` does
            using var session = new InferenceSession(onnx);
            var input = new DenseTensor<float>(test.Features.ToArray(), [test.Count, 784]);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", input)]);
            var logits = results[0].AsEnumerable<float>().ToArray();      // test.Count × 10 logits
            // --- end ---

            var correct = Enumerable.Range(0, test.Count).Count(i => System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(logits.AsSpan(i * 10, 10)) == test.Labels[i]);
            Assert.Equal(Evaluator.Accuracy(spec.Network, parameters, test), (double)correct / test.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Export_RefusesASpecialFile_AndAWrongParameterCount()
    {
        var model = new ModelSpec(NetworkSpec.Parse("784-10"));
        var wrong = Assert.Throws<ArgumentException>(() => OnnxExport.ToBytes(model, new float[3], softmax: false));
        Assert.Contains("7850 parameters", wrong.Message);
        var device = Assert.Throws<ArgumentException>(() => OnnxExport.Save("/dev/null", model, new float[7850], softmax: false));
        Assert.Contains("regular file such as model.onnx", device.Message);
    }
}
