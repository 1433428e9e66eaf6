using System.Runtime.InteropServices;

namespace DistTrain.Core.Data;

/// <summary>
/// Opening files of outside bytes (datasets, model files, checkpoints): only regular files, so a
/// device such as /dev/zero or a FIFO can never be read without end, and a missing file surfaces as
/// a <see cref="DatasetException"/> naming it.
/// </summary>
public static partial class DataFiles
{
    private const int BufferSize = 64 * 1024;

    /// <summary>Opens <paramref name="path"/> for reading, or throws naming the file.</summary>
    /// <exception cref="DatasetException">The file is missing, or is not a regular file.</exception>
    public static FileStream OpenRead(string path)
    {
        if (Kind(path) is { } kind && kind != "regular file")
        {
            throw new DatasetException($"{path}: is a {kind}, not a regular file");
        }
        try
        {
            return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, BufferSize, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetException($"{path}: file not found", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DatasetException($"{path}: cannot be read ({e.Message})", e);
        }
    }

    /// <summary>
    /// Writes <paramref name="bytes"/> to <paramref name="path"/>, a regular file (a device, FIFO or
    /// folder there is refused, never replaced): written aside and renamed, so a crash never leaves
    /// half a file under the real name. Errors name the file.
    /// </summary>
    /// <param name="what">What the file is, for errors ("model file").</param>
    /// <param name="example">A name the error suggests instead ("model.dtm").</param>
    public static void WriteRegular(string path, ReadOnlySpan<byte> bytes, string what, string example)
    {
        if (Kind(path) is { } kind && kind != "regular file")
        {
            var article = "aeiouAEIOU".Contains(what[0]) ? "an" : "a";
            throw new ArgumentException($"'{path}' is a {kind}; {article} {what} is saved to a regular file such as {example}.");
        }
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }
        // A name of its own, created exclusively: a file, link or FIFO someone left at "path.tmp" is
        // never opened (as root, a link there would have had its target overwritten).
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write))
            {
                file.Write(bytes);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            throw new IOException($"Cannot write {what} '{path}': {e.Message}", e);
        }
    }

    /// <summary>What <paramref name="path"/> is ("regular file", "directory", "character device", …),
    /// after symbolic links; null when it does not exist or the system cannot say.</summary>
    public static string? Kind(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Directory.Exists(path) ? "directory" : File.Exists(path) ? "regular file" : null;
        }
        // statx's buffer has the same layout on every Linux architecture (unlike stat's): the mode
        // is the 16-bit field at offset 28.
        Span<byte> buffer = stackalloc byte[256];
        const int AtFdCwd = -100, StatxType = 0x1;
        try
        {
            if (Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(buffer)) != 0)
            {
                return null;
            }
        }
        catch (EntryPointNotFoundException)
        {
            return File.Exists(path) ? "regular file" : Directory.Exists(path) ? "directory" : null;
        }
        var mode = BitConverter.ToUInt16(buffer[28..30]) & 0xF000;
        return mode switch
        {
            0x8000 => "regular file",
            0x4000 => "directory",
            0x2000 => "character device",
            0x6000 => "block device",
            0x1000 => "FIFO",
            0xC000 => "socket",
            _ => "special file",
        };
    }

    /// <summary>The absolute path with every symbolic link resolved (realpath(3)); null when it does
    /// not exist. Containment checks compare these, so a link cannot lead out of a folder.</summary>
    public static string? RealPath(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return Path.Exists(path) ? Path.GetFullPath(path) : null;
        }
        var resolved = RealPathNative(path, 0);
        if (resolved == 0)
        {
            return null;
        }
        try
        {
            return Marshal.PtrToStringUTF8(resolved);
        }
        finally
        {
            Free(resolved);
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte buffer);
}
