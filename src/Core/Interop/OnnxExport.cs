using System.Runtime.InteropServices;
using DistTrain.Core.Data;
using DistTrain.Core.Training;
using DistTrain.Core.Nn;

namespace DistTrain.Core.Interop;

/// <summary>
/// A trained network as an ONNX model (opset 13), for ONNX Runtime, ML.NET and every other runtime
/// that reads ONNX. Each layer is one <c>Gemm</c> (Y = X·Wᵀ + b: our W is stored out×in, so
/// transB = 1) followed by its activation (<c>Relu</c>, <c>Sigmoid</c>, <c>Tanh</c>; none for
/// identity); the last layer gives logits, or with <paramref name="softmax"/> class probabilities.
/// The input is <c>input</c>, batch × inputs (any batch size); the output <c>logits</c> or
/// <c>probabilities</c>, batch × outputs. Weights are float32 initializers named as in
/// <see cref="Network{T}.NamedParameters"/>.
/// </summary>
/// <remarks>Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto, …).</remarks>
public static class OnnxExport
{
    public const string InputName = "input";
    public const long IrVersion = 8; // ONNX 1.10+: read by every current runtime
    public const long Opset = 13;
    private const int FloatType = 1; // TensorProto.DataType.FLOAT
    private const int IntAttribute = 2, FloatAttribute = 1; // AttributeProto.AttributeType

    public static string OutputName(bool softmax) => softmax ? "probabilities" : "logits";

    /// <summary>Writes the ONNX model of <paramref name="spec"/> with <paramref name="parameters"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, ModelSpec spec, ReadOnlySpan<float> parameters, bool softmax)
    {
        DataFiles.WriteRegular(path, ToBytes(spec, parameters, softmax), "ONNX model", "model.onnx");
    }

    public static byte[] ToBytes(ModelSpec spec, ReadOnlySpan<float> parameters, bool softmax)
    {
        var network = spec.Network;
        if (parameters.Length != network.ParameterCount)
        {
            throw new ArgumentException($"Network {network} has {network.ParameterCount} parameters; got {parameters.Length}.");
        }
        var graph = new ProtoWriter();
        var x = InputName;
        var offset = 0;
        for (var l = 0; l < network.LayerCount; l++)
        {
            int inputs = network.LayerSizes[l], outputs = network.LayerSizes[l + 1];
            string weight = $"layer{l}.weight", bias = $"layer{l}.bias", linear = $"layer{l}.linear";
            Initializer(graph, weight, [outputs, inputs], parameters.Slice(offset, inputs * outputs));
            offset += inputs * outputs;
            Initializer(graph, bias, [outputs], parameters.Slice(offset, outputs));
            offset += outputs;

            var last = l == network.LayerCount - 1;
            var y = last && !softmax ? OutputName(softmax) : linear;
            Node(graph, "Gemm", [x, weight, bias], y, $"layer{l}.gemm", n => n.Message(5, a => a.String(1, "transB").Int(3, 1).Int(20, IntAttribute)));
            x = y;
            var activation = last ? ActivationKind.Identity : network.Activation;
            if (activation != ActivationKind.Identity)
            {
                var activated = $"layer{l}.{OpType(activation).ToLowerInvariant()}";
                Node(graph, OpType(activation), [x], activated, activated);
                x = activated;
            }
        }
        if (softmax)
        {
            Node(graph, "Softmax", [x], OutputName(softmax), "softmax", n => n.Message(5, a => a.String(1, "axis").Int(3, 1).Int(20, IntAttribute)));
        }
        graph.String(2, "disttrain");
        graph.Message(11, v => ValueInfo(v, InputName, network.InputSize));
        graph.Message(12, v => ValueInfo(v, OutputName(softmax), network.OutputSize));

        var model = new ProtoWriter()
            .Int(1, IrVersion)
            .String(2, "DistTrain")
            .String(3, typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0")
            .String(6, $"{network} {network.Activation} {spec.Loss}");
        model.Bytes(7, graph.Written);
        model.Message(8, o => o.String(1, "").Int(2, Opset));
        return model.Written.ToArray();
    }

    private static string OpType(ActivationKind activation) => activation switch
    {
        ActivationKind.ReLU => "Relu",
        ActivationKind.Sigmoid => "Sigmoid",
        ActivationKind.Tanh => "Tanh",
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "no ONNX operator for this activation"),
    };

    /// <summary>NodeProto: inputs (1), output (2), name (3), op_type (4), attributes (5).</summary>
    private static void Node(ProtoWriter graph, string op, string[] inputs, string output, string name, Action<ProtoWriter>? attributes = null) =>
        graph.Message(1, n =>
        {
            foreach (var input in inputs)
            {
                n.String(1, input);
            }
            n.String(2, output).String(3, name).String(4, op);
            attributes?.Invoke(n);
        });

    /// <summary>TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian floats).</summary>
    private static void Initializer(ProtoWriter graph, string name, long[] dims, ReadOnlySpan<float> values)
    {
        var tensor = new ProtoWriter();
        foreach (var dim in dims)
        {
            tensor.Int(1, dim);
        }
        tensor.Int(2, FloatType).String(8, name);
        tensor.Bytes(9, BitConverter.IsLittleEndian ? MemoryMarshal.AsBytes(values) : throw new PlatformNotSupportedException("ONNX raw data is little-endian"));
        graph.Bytes(5, tensor.Written);
    }

    /// <summary>ValueInfoProto: name (1), type (2) = a float tensor of shape [batch, size].</summary>
    private static void ValueInfo(ProtoWriter value, string name, int size) => value
        .String(1, name)
        .Message(2, type => type.Message(1, tensor => tensor
            .Int(1, FloatType)
            .Message(2, shape => shape
                .Message(1, d => d.String(2, "batch"))
                .Message(1, d => d.Int(1, size)))));
}
