using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Client.Reports;
using DistTrain.Core.Data;
using DistTrain.Core.Models;
using DistTrain.Core.Training;

namespace DistTrain.Client.Commands;

/// <summary>`evaluate`: accuracy and confusion matrix of a saved model on a test set.</summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model file (.dtm) written by train --out.", Required = true };
        var data = new Option<string?>("--data") { Description = "Folder with MNIST-format IDX files (default: the shipped MNIST); the test files are used." };
        var json = new Option<bool>("--json") { Description = "Print one JSON object." };
        var plot = new Option<string?>("--plot") { Description = "Draw the confusion matrix as a heatmap into this picture (.png or .svg)." };
        var command = new Command("evaluate", "Measure a saved model's accuracy and confusion matrix on a test set.") { model, data, json, plot };
        command.SetAction(parse => UserError.Guard(() =>
        {
            var picture = parse.GetValue(plot);
            if (picture is not null)
            {
                Plots.Check("--plot", picture);
            }
            var (spec, parameters) = ModelFile.Load(parse.GetValue(model)!);
            var (_, test) = MnistLoader.Load(parse.GetValue(data) ?? DatasetLocator.FindShippedMnist());
            spec.ValidateFor(test);
            var evaluation = Evaluator.Evaluate(spec.Network, parameters, test);
            var classes = evaluation.Confusion.GetLength(0);
            if (picture is not null)
            {
                Plots.WriteConfusion("--plot", picture, evaluation.Confusion, $"{spec.Network} on {test.Name}: accuracy {evaluation.Accuracy:P2}");
                TrainCommand.Say(parse.GetValue(json), $"Confusion matrix drawn in {picture}");
            }
            if (parse.GetValue(json))
            {
                var rows = Enumerable.Range(0, classes).Select(a => Enumerable.Range(0, classes).Select(p => evaluation.Confusion[a, p]).ToArray()).ToArray();
                JsonOut.Write(new { accuracy = evaluation.Accuracy, count = evaluation.Count, model = spec.Network.ToString(), confusion = rows });
                return 0;
            }
            Console.WriteLine($"Model {spec.Network} ({spec.Network.Activation}) on '{test.Name}': accuracy {evaluation.Accuracy:P2} over {evaluation.Count} samples");
            Console.WriteLine("Confusion matrix (rows: actual class, columns: predicted):");
            Console.WriteLine("      " + string.Concat(Enumerable.Range(0, classes).Select(c => $"{c,6}")));
            for (var a = 0; a < classes; a++)
            {
                Console.WriteLine($"{a,6}" + string.Concat(Enumerable.Range(0, classes).Select(p => $"{evaluation.Confusion[a, p],6}")));
            }
            return 0;
        }));
        return command;
    }
}
