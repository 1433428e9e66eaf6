using System.Text;
using DistTrain.Core.Interop;

namespace DistTrain.Distributed.Tests.Reports;

/// <summary>The event files TensorBoard reads: framing, checksums and Event messages, checked
/// against TensorBoard's message definitions and an independent CRC.</summary>
public sealed class TensorBoardWriterTests
{
    [Fact]
    public void Crc32C_MatchesTheStandardCheckValue_AndABitwiseReference()
    {
        Assert.Equal(0xE3069283u, Crc32C.Compute(Encoding.ASCII.GetBytes("123456789")));
        var random = new Random(5);
        for (var length = 0; length < 70; length++)
        {
            var data = new byte[length];
            random.NextBytes(data);
            Assert.Equal(TensorBoardRecords.Crc32C(data), Crc32C.Compute(data));
        }
    }

    [Fact]
    public void Scalars_ReadBack_ThroughTensorBoardsMessageDefinitions()
    {
        var folder = Directory.CreateTempSubdirectory("tb-").FullName;
        try
        {
            string path;
            using (var writer = new TensorBoardWriter(Path.Combine(folder, "run")))
            {
                path = writer.Path;
                writer.Scalar("train/loss", 1, 2.5);
                writer.Scalar("train/loss", 2, 0.125);
                writer.Scalar("epoch/test_accuracy", 938, 0.9314);
            }
            Assert.Contains(".tfevents.", Path.GetFileName(path)); // how TensorBoard finds event files

            var events = TensorBoardRecords.Read(path);
            Assert.Equal(4, events.Count);
            Assert.Equal(TensorBoardWriter.FileVersion, events[0].FileVersion);
            var scalars = events.Skip(1).Select(e => (e.Summary.Value.Single().Tag, e.Step, e.Summary.Value.Single().SimpleValue)).ToArray();
            Assert.Equal([("train/loss", 1L, 2.5f), ("train/loss", 2L, 0.125f), ("epoch/test_accuracy", 938L, 0.9314f)], scalars);
            Assert.All(events, e => Assert.InRange(e.WallTime, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
