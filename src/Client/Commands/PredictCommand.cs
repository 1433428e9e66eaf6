using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Core.Autodiff;
using DistTrain.Core.Data;
using DistTrain.Core.Models;
using DistTrain.Core.Nn;

namespace DistTrain.Client.Commands;

/// <summary>`predict`: a saved model's predicted class and confidence for test samples.</summary>
internal static class PredictCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model file (.dtm) written by train --out.", Required = true };
        var data = new Option<string?>("--data") { Description = "Folder with MNIST-format IDX files (default: the shipped MNIST); samples come from the test set." };
        var index = new Option<int>("--index") { Description = "First test sample to predict.", DefaultValueFactory = _ => 0 };
        var count = new Option<int>("--count") { Description = "How many samples.", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var command = new Command("predict", "Predict classes of test samples with a saved model.") { model, data, index, count, json };
        command.SetAction(parse => UserError.Guard(() =>
        {
            var (spec, parameters) = ModelFile.Load(parse.GetValue(model)!);
            var (_, test) = MnistLoader.Load(parse.GetValue(data) ?? DatasetLocator.FindShippedMnist());
            spec.ValidateFor(test);
            int first = parse.GetValue(index), n = parse.GetValue(count);
            UserError.Require(first >= 0 && first < test.Count, "--index", $"must be in [0, {test.Count}); got {first}.");
            UserError.Require(n > 0, "--count", $"must be at least 1; got {n}.");
            n = Math.Min(n, test.Count - first);
            var network = new Network<float>(spec.Network, parameters);
            var x = Tensor.FromArray(test.Features.AsSpan(first * test.FeatureCount, n * test.FeatureCount).ToArray(), n, test.FeatureCount);
            float[] probabilities;
            using (NoGradScope.Begin())
            {
                probabilities = network.Forward(x).Softmax().Data.ToArray();
            }
            var classes = spec.Network.OutputSize;
            var predictions = Enumerable.Range(0, n).Select(i =>
            {
                var row = probabilities.AsSpan(i * classes, classes);
                var predicted = System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(row);
                return new { index = first + i, label = test.Labels[first + i], predicted, confidence = row[predicted] };
            }).ToList();
            if (parse.GetValue(json))
            {
                JsonOut.Write(new { predictions });
                return 0;
            }
            Console.WriteLine($"{"sample",7} {"label",6} {"predicted",10} {"confidence",11}");
            foreach (var p in predictions)
            {
                Console.WriteLine($"{p.index,7} {p.label,6} {p.predicted,10} {p.confidence,11:P1}{(p.label == p.predicted ? "" : "  ✗")}");
            }
            return 0;
        }));
        return command;
    }
}
