using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Core.Interop;
using DistTrain.Core.Models;

namespace DistTrain.Client.Commands;

/// <summary>`export`: a saved model as an ONNX graph, for ONNX Runtime, ML.NET and other runtimes.</summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The model file (.dtm) written by train --out.", Required = true };
        var onnx = new Option<string>("--onnx") { Description = "The ONNX file to write (e.g. model.onnx).", Required = true };
        var softmax = new Option<bool>("--softmax") { Description = "End with Softmax: the output is class probabilities instead of logits." };
        var command = new Command("export", "Write a saved model as an ONNX graph (Gemm and activation per layer, opset 13).") { model, onnx, softmax };
        command.SetAction(parse => UserError.Guard(() =>
        {
            var (spec, parameters) = ModelFile.Load(parse.GetValue(model)!);
            var path = parse.GetValue(onnx)!;
            UserError.Require(!string.IsNullOrWhiteSpace(path), "--onnx", "needs a file name, e.g. model.onnx.");
            var withSoftmax = parse.GetValue(softmax);
            OnnxExport.Save(path, spec, parameters, withSoftmax);
            var network = spec.Network;
            Console.WriteLine($"Wrote {path}: {network} ({network.Activation}), input '{OnnxExport.InputName}' [batch, {network.InputSize}], " +
                $"output '{OnnxExport.OutputName(withSoftmax)}' [batch, {network.OutputSize}], ONNX opset {OnnxExport.Opset}.");
            return 0;
        }));
        return command;
    }
}
