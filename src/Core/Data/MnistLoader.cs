using System.Numerics.Tensors;

namespace DistTrain.Core.Data;

/// <summary>
/// Loads MNIST, and any other IDX dataset with the same layout (Fashion-MNIST, KMNIST, ...):
/// an image file of shape [count, ...] and a label file of shape [count] for each of train and test.
/// </summary>
public static class MnistLoader
{
    public const int DigitClassCount = 10;

    /// <summary>
    /// Reads the train and test splits from <paramref name="directory"/>. Pixels become floats in [0, 1].
    /// When <paramref name="verifyChecksums"/> is set and the directory holds a <c>SHA256SUMS</c> file,
    /// every listed file is verified first. Labels must lie in [0, <paramref name="classCount"/>);
    /// pass null to infer the class count as the largest label (over both splits) plus one.
    /// </summary>
    public static (Dataset Train, Dataset Test) Load(string directory, bool verifyChecksums = true, int? classCount = DigitClassCount)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (classCount is <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "the class count must be positive");
        }

        if (!Directory.Exists(directory))
        {
            throw new DatasetException($"{directory}: dataset directory does not exist");
        }

        if (verifyChecksums)
        {
            Checksums.Verify(directory);
        }

        string[] paths = ResolveFiles(directory);
        (IdxArray trainImages, IdxArray trainLabels) = ReadSplit(paths[0], paths[1]);
        (IdxArray testImages, IdxArray testLabels) = ReadSplit(paths[2], paths[3]);

        int[] trainShape = trainImages.Dimensions[1..];
        int[] testShape = testImages.Dimensions[1..];
        if (!trainShape.AsSpan().SequenceEqual(testShape))
        {
            throw new DatasetException(
                $"{paths[2]}: images of shape [{string.Join(", ", testShape)}] do not match the training images " +
                $"of shape [{string.Join(", ", trainShape)}] in {paths[0]}");
        }

        int classes = classCount ?? Math.Max(MaxLabel(trainLabels.Data), MaxLabel(testLabels.Data)) + 1;
        CheckLabels(trainLabels.Data, classes, paths[1]);
        CheckLabels(testLabels.Data, classes, paths[3]);

        string name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory)));
        return (
            ToDataset($"{name}/train", trainImages, trainLabels, classes),
            ToDataset($"{name}/test", testImages, testLabels, classes));
    }

    private static string[] ResolveFiles(string directory)
    {
        string[] standard = [MnistFileNames.TrainImages, MnistFileNames.TrainLabels, MnistFileNames.TestImages, MnistFileNames.TestLabels];
        var paths = new string[standard.Length];
        var missing = new List<string>();
        for (int i = 0; i < standard.Length; i++)
        {
            string? path = MnistFileNames.Find(directory, standard[i]);
            if (path is null)
            {
                missing.Add(standard[i] + "[.gz]");
            }
            else
            {
                paths[i] = path;
            }
        }

        if (missing.Count > 0)
        {
            throw new DatasetException(
                $"{directory}: missing {string.Join(", ", missing)} (dotted names such as train-images.idx3-ubyte also work)");
        }

        return paths;
    }

    private static (IdxArray Images, IdxArray Labels) ReadSplit(string imagesPath, string labelsPath)
    {
        IdxArray images = IdxFile.Read(imagesPath);
        if (images.Dimensions.Length < 2)
        {
            throw new DatasetException(
                $"{imagesPath}: an image file needs at least 2 dimensions (count, then the image shape), found {images.Dimensions.Length}");
        }

        IdxArray labels = IdxFile.Read(labelsPath);
        if (labels.Dimensions.Length != 1)
        {
            throw new DatasetException($"{labelsPath}: a label file has 1 dimension, found {labels.Dimensions.Length}");
        }

        if (labels.Dimensions[0] != images.Dimensions[0])
        {
            throw new DatasetException(
                $"{labelsPath}: holds {labels.Dimensions[0]} labels but {imagesPath} holds {images.Dimensions[0]} images");
        }

        return (images, labels);
    }

    private static int MaxLabel(byte[] labels) => labels.Length == 0 ? 0 : TensorPrimitives.Max<byte>(labels);

    private static void CheckLabels(byte[] labels, int classCount, string path)
    {
        if (classCount > byte.MaxValue)
        {
            return;
        }

        int bad = labels.AsSpan().IndexOfAnyInRange((byte)classCount, byte.MaxValue);
        if (bad >= 0)
        {
            throw new DatasetException(
                $"{path}: label {labels[bad]} at index {bad} is outside [0, {classCount}) " +
                "(pass classCount: null to infer the class count from the labels)");
        }
    }

    private static Dataset ToDataset(string name, IdxArray images, IdxArray labels, int classCount)
    {
        // byte -> float is exact and division is correctly rounded, so this equals byte / 255f per pixel.
        var features = GC.AllocateUninitializedArray<float>(images.Data.Length);
        TensorPrimitives.ConvertTruncating<byte, float>(images.Data, features);
        TensorPrimitives.Divide(features, 255f, features);

        int[] classes = new int[labels.Data.Length];
        for (int i = 0; i < classes.Length; i++)
        {
            classes[i] = labels.Data[i];
        }

        return new Dataset(name, features, images.Dimensions[1..], classes, classCount);
    }
}
