using System.Globalization;
using System.Text;
using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Expressions;

/// <summary>
/// The computation graph behind a result, for people learning backprop: every node in topological
/// order with its operation, inputs, forward value and (after Backward) gradient; as text or as
/// Graphviz DOT.
/// </summary>
public sealed class GraphView
{
    private readonly List<Tensor<double>> _order;
    private readonly Dictionary<Tensor<double>, int> _ids = new(ReferenceEqualityComparer.Instance);

    public GraphView(Tensor<double> output)
    {
        _order = [.. output.TopologicalOrder()];
        for (var i = 0; i < _order.Count; i++)
        {
            _ids[_order[i]] = i;
        }
    }

    public sealed record Row(int Id, string Operation, IReadOnlyList<int> Inputs, string Value, string Gradient);

    public IReadOnlyList<Row> Rows => _order.Select((t, i) => new Row(
        i, Describe(t), Inputs(t).Select(x => _ids[x]).ToList(), Format(t.Data), t.HasGrad ? Format(t.Grad) : "-")).ToList();

    public string ToText()
    {
        var rows = Rows;
        var text = new StringBuilder();
        text.AppendLine($"{"node",-5} {"operation",-14} {"inputs",-10} {"value",14} {"gradient",14}");
        foreach (var r in rows)
        {
            var inputs = r.Inputs.Count == 0 ? "" : string.Join(",", r.Inputs.Select(i => "n" + i));
            text.AppendLine($"{"n" + r.Id,-5} {r.Operation,-14} {inputs,-10} {r.Value,14} {r.Gradient,14}");
        }
        return text.ToString();
    }

    public string ToDot()
    {
        var dot = new StringBuilder();
        dot.AppendLine("digraph computation {");
        dot.AppendLine("  rankdir=LR;");
        dot.AppendLine("  node [shape=record, fontname=\"Helvetica\"];");
        foreach (var r in Rows)
        {
            var label = $"{{ {Escape(r.Operation)} | value {r.Value} | grad {r.Gradient} }}";
            dot.AppendLine($"  n{r.Id} [label=\"{label}\"];");
            foreach (var input in r.Inputs)
            {
                dot.AppendLine($"  n{input} -> n{r.Id};");
            }
        }
        dot.AppendLine("}");
        return dot.ToString();
    }

    private static IEnumerable<Tensor<double>> Inputs(Tensor<double> t)
    {
        if (t.Creator is not { } node)
        {
            yield break;
        }
        yield return node.A;
        if (node.B is { } b)
        {
            yield return b;
        }
        if (node.C is { } c)
        {
            yield return c;
        }
    }

    private static string Describe(Tensor<double> t) => t.Creator is { } node
        ? node.Name
        : t.RequiresGrad ? $"input {t.Name}" : $"const {t.Name ?? Format(t.Data)}";

    private static string Format(ReadOnlySpan<double> values) => values.Length == 1
        ? values[0].ToString("G6", CultureInfo.InvariantCulture)
        : $"[{values.Length} values]";

    private static string Escape(string s) => s.Replace("\"", "\\\"").Replace("|", "\\|").Replace("{", "\\{").Replace("}", "\\}").Replace("<", "\\<").Replace(">", "\\>");
}
