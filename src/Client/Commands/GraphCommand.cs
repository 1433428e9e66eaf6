using System.CommandLine;
using System.Globalization;
using DistTrain.Client.Output;
using DistTrain.Core.Autodiff;
using DistTrain.Core.Expressions;

namespace DistTrain.Client.Commands;

/// <summary>`graph`: evaluate an expression, backpropagate, and show every node's value and gradient.</summary>
internal static class GraphCommand
{
    public static Command Create()
    {
        var expression = new Argument<string>("expression") { Description = "e.g. \"2*log(x1+sin(x1))*max(x2,x3)\". Functions: log exp sin cos tanh sigmoid relu abs sqrt max min pow; operators + - * / ^." };
        var at = new Option<string?>("--at") { Description = "Variable values, e.g. x1=1.5,x2=2,x3=-1." };
        var dot = new Option<string?>("--dot") { Description = "Also write the graph as Graphviz DOT to this file ('-' for standard output)." };
        var command = new Command("graph", "Show the computation graph of an expression: each node's forward value and its gradient after backward.")
        {
            expression, at, dot,
        };
        command.SetAction(parse => UserError.Guard(() =>
        {
            var text = parse.GetValue(expression)!;
            var values = ParseAssignments(parse.GetValue(at));
            var variables = new Dictionary<string, Tensor<double>>();
            foreach (var name in ExpressionParser.VariableNames(text))
            {
                if (!values.TryGetValue(name, out var value))
                {
                    throw new ArgumentException($"--at: no value for variable '{name}' (e.g. --at {name}=1).");
                }
                variables[name] = Tensor.Parameter([value]);
                variables[name].Name = name;
            }
            Tensor<double> result;
            try
            {
                result = ExpressionParser.Evaluate(text, variables);
            }
            catch (ExpressionException e)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                Console.Error.WriteLine("  " + e.Pointer.Replace(Environment.NewLine, Environment.NewLine + "  "));
                return UserError.ExitCode;
            }
            if (result.RequiresGrad)
            {
                result.Backward();
            }
            var view = new GraphView(result);
            Console.WriteLine($"f = {text}");
            Console.WriteLine($"  = {result.Item.ToString("G10", CultureInfo.InvariantCulture)}");
            foreach (var (name, v) in variables)
            {
                Console.WriteLine($"df/d{name} = {(v.HasGrad ? v.Grad[0] : 0).ToString("G10", CultureInfo.InvariantCulture)}");
            }
            Console.WriteLine();
            Console.Write(view.ToText());
            if (parse.GetValue(dot) is { } path)
            {
                if (path == "-")
                {
                    Console.Write(view.ToDot());
                }
                else
                {
                    OutputFile.WriteAllText("--dot", path, view.ToDot());
                    Console.WriteLine($"DOT written to {path} (render: dot -Tpng {path} -o graph.png)");
                }
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Parses "x1=1.5,x2=2" into a dictionary, naming a bad pair.</summary>
    internal static Dictionary<string, double> ParseAssignments(string? text)
    {
        var values = new Dictionary<string, double>();
        if (string.IsNullOrWhiteSpace(text))
        {
            return values;
        }
        foreach (var pair in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0
                || !double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
            {
                throw new ArgumentException($"--at: '{pair}' is not of the form name=number.");
            }
            values[parts[0]] = value;
        }
        return values;
    }
}
