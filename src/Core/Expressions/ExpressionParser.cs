using System.Globalization;
using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Expressions;

/// <summary>
/// Parses and evaluates arithmetic such as <c>2*log(x1+sin(x1))*max(x2,x3)</c> into a computation
/// graph of scalar tensors (double precision), so the graph view can show every node.
/// Grammar (recursive descent, usual precedence, ^ binds tightest and to the right):
/// sum := product (('+'|'-') product)*; product := unary (('*'|'/') unary)*;
/// unary := '-' unary | power; power := atom ('^' unary)?; atom := number | name | name '(' args ')' | '(' sum ')'.
/// </summary>
public sealed class ExpressionParser
{
    private static readonly string[] UnaryFunctions = ["log", "exp", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "sqrt"];
    private static readonly string[] BinaryFunctions = ["max", "min", "pow"];

    private readonly string _text;
    private readonly IReadOnlyDictionary<string, Tensor<double>> _variables;
    private int _position;

    private ExpressionParser(string text, IReadOnlyDictionary<string, Tensor<double>> variables)
    {
        _text = text;
        _variables = variables;
    }

    /// <summary>Builds the graph of <paramref name="text"/>; every name must be in <paramref name="variables"/>.</summary>
    public static Tensor<double> Evaluate(string text, IReadOnlyDictionary<string, Tensor<double>> variables)
    {
        var parser = new ExpressionParser(text, variables);
        parser.SkipSpace();
        if (parser.AtEnd)
        {
            throw parser.Error("the expression is empty");
        }
        var result = parser.Sum();
        parser.SkipSpace();
        if (!parser.AtEnd)
        {
            throw parser.Error($"unexpected '{parser.Current}'");
        }
        return result;
    }

    /// <summary>The variable names an expression uses, in order of first appearance.</summary>
    public static IReadOnlyList<string> VariableNames(string text)
    {
        var names = new List<string>();
        for (var i = 0; i < text.Length;)
        {
            if (char.IsLetter(text[i]) || text[i] == '_')
            {
                var start = i;
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }
                var name = text[start..i];
                var j = i;
                while (j < text.Length && char.IsWhiteSpace(text[j]))
                {
                    j++;
                }
                var isFunction = j < text.Length && text[j] == '(';
                if (!isFunction && !names.Contains(name))
                {
                    names.Add(name);
                }
            }
            else if (char.IsDigit(text[i]) || text[i] == '.')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '.'))
                {
                    i++; // skip numbers, including exponents like 1e-3
                }
            }
            else
            {
                i++;
            }
        }
        return names;
    }

    private bool AtEnd => _position >= _text.Length;

    private char Current => _text[_position];

    private Tensor<double> Sum()
    {
        var left = Product();
        while (TryTake('+') || TryTake('-'))
        {
            var op = _text[_position - 1];
            var right = Product();
            left = op == '+' ? left + right : left - right;
        }
        return left;
    }

    private Tensor<double> Product()
    {
        var left = Unary();
        while (TryTake('*') || TryTake('/'))
        {
            var op = _text[_position - 1];
            var right = Unary();
            left = op == '*' ? left * right : left / right;
        }
        return left;
    }

    /// <summary>How deeply parentheses, calls, signs and powers may nest: the parser recurses once
    /// per level, and "((((…" ten thousand deep would overflow the stack (and end the process).</summary>
    public const int MaxNesting = 256;

    private int _depth;

    private Tensor<double> Unary()
    {
        if (++_depth > MaxNesting)
        {
            throw Error($"the expression nests deeper than {MaxNesting} levels");
        }
        try
        {
            return TryTake('-') ? -Unary() : Power();
        }
        finally
        {
            _depth--;
        }
    }

    private Tensor<double> Power()
    {
        var bas = Atom();
        if (!TryTake('^'))
        {
            return bas;
        }
        var start = _position;
        var exponent = Unary();
        return bas.Pow(ConstantExponent(exponent, start));
    }

    private Tensor<double> Atom()
    {
        SkipSpace();
        if (AtEnd)
        {
            throw Error("the expression ends too early");
        }
        var start = _position;
        if (TryTake('('))
        {
            var inner = Sum();
            Expect(')', "to close the '(' at position " + start);
            return inner;
        }
        if (char.IsDigit(Current) || Current == '.')
        {
            return Number();
        }
        if (char.IsLetter(Current) || Current == '_')
        {
            var name = Name();
            SkipSpace();
            if (!AtEnd && Current == '(')
            {
                return Call(name, start);
            }
            if (_variables.TryGetValue(name, out var variable))
            {
                return variable;
            }
            throw new ExpressionException($"unknown variable '{name}' at position {start}; give it a value with --at {name}=...", _text, start);
        }
        throw Error($"unexpected '{Current}'");
    }

    private Tensor<double> Number()
    {
        var start = _position;
        while (!AtEnd && (char.IsDigit(Current) || Current == '.'))
        {
            _position++;
        }
        if (!AtEnd && (Current == 'e' || Current == 'E'))
        {
            _position++;
            if (!AtEnd && (Current == '+' || Current == '-'))
            {
                _position++;
            }
            while (!AtEnd && char.IsDigit(Current))
            {
                _position++;
            }
        }
        var text = _text[start.._position];
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
        {
            throw new ExpressionException($"'{text}' at position {start} is not a number", _text, start);
        }
        var constant = Tensor.Scalar(value);
        constant.Name = text;
        return constant;
    }

    private Tensor<double> Call(string name, int start)
    {
        Expect('(', "after " + name);
        var first = Sum();
        if (Array.IndexOf(BinaryFunctions, name) >= 0)
        {
            Expect(',', $"between the two arguments of {name}");
            var argumentStart = _position;
            var second = Sum();
            Expect(')', $"to close {name}(");
            return name switch
            {
                "max" => first.Max(second),
                "min" => first.Min(second),
                _ => first.Pow(ConstantExponent(second, argumentStart)),
            };
        }
        if (Array.IndexOf(UnaryFunctions, name) < 0)
        {
            throw new ExpressionException(
                $"unknown function '{name}' at position {start}; known: {string.Join(", ", UnaryFunctions.Concat(BinaryFunctions))}", _text, start);
        }
        Expect(')', $"to close {name}(");
        return name switch
        {
            "log" => first.Log(),
            "exp" => first.Exp(),
            "sin" => first.Sin(),
            "cos" => first.Cos(),
            "tanh" => first.Tanh(),
            "sigmoid" => first.Sigmoid(),
            "relu" => first.Relu(),
            "abs" => first.Abs(),
            _ => first.Sqrt(),
        };
    }

    private double ConstantExponent(Tensor<double> exponent, int start)
    {
        if (exponent.RequiresGrad)
        {
            throw new ExpressionException($"the exponent at position {start} must be a constant (x^2, pow(x, 0.5))", _text, start);
        }
        return exponent.Item;
    }

    private string Name()
    {
        var start = _position;
        while (!AtEnd && (char.IsLetterOrDigit(Current) || Current == '_'))
        {
            _position++;
        }
        return _text[start.._position];
    }

    private bool TryTake(char c)
    {
        SkipSpace();
        if (!AtEnd && Current == c)
        {
            _position++;
            return true;
        }
        return false;
    }

    private void Expect(char c, string why)
    {
        if (!TryTake(c))
        {
            throw Error(AtEnd ? $"expected '{c}' {why}, but the expression ends" : $"expected '{c}' {why}, found '{Current}'");
        }
    }

    private void SkipSpace()
    {
        while (!AtEnd && char.IsWhiteSpace(Current))
        {
            _position++;
        }
    }

    private ExpressionException Error(string what) =>
        new($"{what} at position {_position}", _text, Math.Min(_position, _text.Length));
}
