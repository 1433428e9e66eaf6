using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

public sealed class CsvLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Csv(string text) => _dir.WriteText("data.csv", text);

    [Fact]
    public void Load_LabelByName_TakesThatColumn()
    {
        string path = Csv("x,label,y\n1.5,2,-3\n4,0,5e-1\n");

        Dataset data = CsvLoader.Load(path, new CsvOptions { LabelColumn = "label" });

        Assert.Equal("data.csv", data.Name);
        Assert.Equal(2, data.Count);
        Assert.Equal([2], data.FeatureShape);
        Assert.Equal([1.5f, -3f, 4f, 0.5f], data.Features);
        Assert.Equal([2, 0], data.Labels);
        Assert.Equal(3, data.ClassCount);
    }

    [Fact]
    public void Load_LabelByIndex_TakesThatColumn()
    {
        string path = Csv("1;7;2\n3;8;1\n");

        Dataset data = CsvLoader.Load(path, new CsvOptions { LabelColumnIndex = 0, Delimiter = ';' });

        Assert.Equal([7f, 2f, 8f, 1f], data.Features);
        Assert.Equal([1, 3], data.Labels);
        Assert.Equal(4, data.ClassCount);
    }

    [Fact]
    public void Load_NoLabelChoice_UsesLastColumn()
    {
        string path = Csv("1,2,0\n3,4,1\n");

        Dataset data = CsvLoader.Load(path);

        Assert.Equal([0, 1], data.Labels);
        Assert.Equal([1f, 2f, 3f, 4f], data.Features);
    }

    [Theory]
    [InlineData("a,b,c\n1,2,1\n", 1)]
    [InlineData("\"a\",\"b, with comma\",c\r\n1,2,1\r\n", 1)]
    [InlineData("1,2,1\n3,4,0\n", 2)]
    public void Load_AutoHeader_DetectsTextFirstRow(string text, int expectedRows)
    {
        Dataset data = CsvLoader.Load(Csv(text));

        Assert.Equal(expectedRows, data.Count);
    }

    [Fact]
    public void Load_QuotedHeaderName_CanChooseLabel()
    {
        string path = Csv("\"f, one\",\"the \"\"label\"\"\"\n1,0\n");

        Dataset data = CsvLoader.Load(path, new CsvOptions { LabelColumn = "the \"label\"" });

        Assert.Equal([0], data.Labels);
    }

    [Fact]
    public void Load_MixedFirstRow_AsksForExplicitHeader()
    {
        string path = Csv("1,b,2\n1,2,1\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));
        Dataset data = CsvLoader.Load(path, new CsvOptions { HasHeader = true });

        Assert.StartsWith($"{path}:1:2: cannot tell whether line 1 is a header", e.Message);
        Assert.Equal(1, data.Count);
    }

    [Fact]
    public void Load_Regression_ReadsFloatTargets()
    {
        string path = Csv("x1,x2,price\n1,2,10.25\n3,4,-0.5\n\n");

        Dataset data = CsvLoader.Load(path, new CsvOptions { Task = CsvTask.Regression, LabelColumn = "price" });

        Assert.Equal(2, data.Count);
        Assert.Equal([10.25f, -0.5f], data.Targets);
        Assert.Equal(1, data.TargetWidth);
        Assert.Equal(0, data.ClassCount);
        Assert.Empty(data.Labels);
    }

    [Fact]
    public void Load_IntegralFloatLabels_AreAccepted()
    {
        Dataset data = CsvLoader.Load(Csv("1,2.0\n2,0\n"));

        Assert.Equal([2, 0], data.Labels);
    }

    [Fact]
    public void Load_NonNumericField_ReportsLineColumnAndText()
    {
        // Line 3 is blank: line numbers must still count it.
        string path = Csv("a,b,c\n1,2,1\n\n4,abc,0\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}:4:2: 'abc' is not a number", e.Message);
    }

    [Fact]
    public void Load_NaNFeature_IsRejected()
    {
        string path = Csv("1,2,1\nNaN,2,1\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}:2:1: 'NaN' is not a finite number", e.Message);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("cat")]
    public void Load_BadClassLabel_ReportsLineAndColumn(string label)
    {
        string path = Csv($"1,2,0\n3,4,{label}\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}:2:3: '{label}' is not a class label: labels must be integers >= 0", e.Message);
    }

    [Theory]
    [InlineData("1,2,0\n3,4\n", 2)]
    [InlineData("1,2,0\n3,4,0,5,6\n", 5)]
    public void Load_WrongColumnCount_ReportsLine(string text, int found)
    {
        string path = Csv(text);

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}:2: expected 3 columns (as on the first line), found {found}", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n  \n")]
    public void Load_EmptyFile_Throws(string text)
    {
        string path = Csv(text);

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}: file is empty", e.Message);
    }

    [Fact]
    public void Load_HeaderOnly_Throws()
    {
        string path = Csv("a,b\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}: no data rows", e.Message);
    }

    [Fact]
    public void Load_UnknownLabelName_ListsColumns()
    {
        string path = Csv("x,y,target\n1,2,0\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path, new CsvOptions { LabelColumn = "label" }));

        Assert.Equal($"{path}: no column named 'label'; the columns are 'x', 'y', 'target'", e.Message);
    }

    [Fact]
    public void Load_LabelNameWithoutHeader_Throws()
    {
        string path = Csv("1,2,0\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path, new CsvOptions { LabelColumn = "label" }));

        Assert.StartsWith($"{path}: label column 'label' is chosen by name, but the file has no header row", e.Message);
    }

    [Fact]
    public void Load_LabelIndexOutOfRange_Throws()
    {
        string path = Csv("1,2,0\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path, new CsvOptions { LabelColumnIndex = 3 }));

        Assert.StartsWith($"{path}: label column index 3 is out of range: the file has 3 columns", e.Message);
    }

    [Fact]
    public void Load_UnterminatedQuote_ReportsLineAndColumn()
    {
        string path = Csv("1,2,0\n1,\"2,0\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}:2:2: unterminated quoted field", e.Message);
    }

    [Fact]
    public void Load_BothLabelChoices_IsAnArgumentError()
    {
        string path = Csv("a,b\n1,0\n");

        Assert.Throws<ArgumentException>(() => CsvLoader.Load(path, new CsvOptions { LabelColumn = "b", LabelColumnIndex = 1 }));
    }

    [Fact]
    public void Load_MissingFile_Throws()
    {
        string path = _dir.File("absent.csv");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}: file not found", e.Message);
    }
}
