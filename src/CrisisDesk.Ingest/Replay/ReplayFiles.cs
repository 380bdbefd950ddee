using CrisisDesk.Data;
using Microsoft.Extensions.Configuration;

namespace CrisisDesk.Ingest.Replay;

/// <summary>A file shipped with CrisisDesk that a replay may read wherever it lies (the drill's data set), relative to the application's directory.</summary>
public sealed record BundledReplayFile(string RelativePath);

/// <summary>
/// The only files a replay source may read: those in the import directory (<c>CrisisDesk:Replay:ImportDirectory</c>,
/// by default <c>imports</c> under the data directory), and the bundled files named explicitly. A path is resolved in
/// full (every symbolic link along it followed) before it is checked, so <c>../</c> and links out of the directory
/// lead nowhere. Every refusal reads the same, whether or not something exists at that path outside the directory.
/// </summary>
public sealed class ReplayFiles
{
    public const string Section = "CrisisDesk:Replay";

    private readonly string _bundleRoot;
    private readonly HashSet<string> _bundled;

    public ReplayFiles(string importDirectory, IEnumerable<BundledReplayFile> bundled, string? bundleRoot = null)
    {
        ImportDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(importDirectory));
        _bundleRoot = bundleRoot ?? AppContext.BaseDirectory;
        _bundled = bundled.Select(b => Normalise(b.RelativePath)).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Where replay files are imported to and read from.</summary>
    public string ImportDirectory { get; }

    public static ReplayFiles FromConfiguration(IConfiguration configuration, IEnumerable<BundledReplayFile> bundled)
    {
        var configured = configuration[$"{Section}:ImportDirectory"];
        var dataDirectory = configuration[$"{CrisisDeskDataOptions.Section}:DataDirectory"];
        var directory = !string.IsNullOrWhiteSpace(configured) ? configured
            : Path.Combine(string.IsNullOrWhiteSpace(dataDirectory) ? CrisisDeskDataOptions.DefaultDataDirectory() : dataDirectory, "imports");
        return new ReplayFiles(directory, bundled);
    }

    /// <summary>
    /// The real path of the file a replay config names: a bundled file by its relative path, else a file in the
    /// import directory (a bare name, a path relative to it, or an absolute path inside it).
    /// </summary>
    /// <exception cref="ReplayFileNotFoundException">Anything else, with the same message whatever the reason.</exception>
    public string Resolve(string file)
    {
        if (string.IsNullOrWhiteSpace(file) || file.Contains('\0', StringComparison.Ordinal))
            throw new ReplayFileNotFoundException(file);
        if (!Path.IsPathRooted(file) && _bundled.Contains(Normalise(file)))
        {
            var bundledPath = Path.Combine(_bundleRoot, file);
            return File.Exists(bundledPath) ? bundledPath : throw new ReplayFileNotFoundException(file);
        }
        try
        {
            var directory = RealPath(ImportDirectory);
            var real = RealPath(Path.IsPathRooted(file) ? file : Path.Combine(ImportDirectory, file));
            var inside = directory is not null && real is not null
                && real.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal);
            // A file, not a directory. Devices and pipes lie outside (links to them resolve to where they are).
            if (inside && File.Exists(real))
                return real!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            // Unreadable or malformed: refused like any other path outside the directory.
        }
        throw new ReplayFileNotFoundException(file);
    }

    /// <summary>Whether <paramref name="file"/> names a file a replay may read (see <see cref="Resolve"/>).</summary>
    public bool TryResolve(string file, out string path)
    {
        try
        {
            path = Resolve(file);
            return true;
        }
        catch (ReplayFileNotFoundException)
        {
            path = "";
            return false;
        }
    }

    private static string Normalise(string relative) => relative.Replace('\\', '/');

    /// <summary>
    /// The path with every symbolic link along it followed (as realpath(3)), or null when a part of it does not exist.
    /// </summary>
    public static string? RealPath(string path)
    {
        // Not Path.GetFullPath: it would fold "link/.." by its text, before the link is followed.
        var full = Path.IsPathRooted(path) ? path : Path.Combine(Directory.GetCurrentDirectory(), path);
        var root = Path.GetPathRoot(full)!;
        var pending = new Stack<string>(full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse());
        var current = root;
        var hops = 0;
        while (pending.TryPop(out var part))
        {
            if (part == ".")
                continue;
            if (part == "..")
            {
                current = Path.GetDirectoryName(current) ?? root;
                continue;
            }
            var next = Path.Combine(current, part);
            FileSystemInfo info = Directory.Exists(next) ? new DirectoryInfo(next) : new FileInfo(next);
            if (!info.Exists)
                return null;
            if (info.LinkTarget is { } target)
            {
                // Too many links: a loop.
                if (++hops > 40)
                    return null;
                // The link's own text, part by part: its ".." apply to where the link leads, not to its text.
                if (Path.IsPathRooted(target))
                    current = Path.GetPathRoot(target)!;
                foreach (var p in target.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries).Reverse())
                    pending.Push(p);
                continue;
            }
            current = next;
        }
        return current;
    }
}

/// <summary>A replay file that is not in the import directory (or does not exist there): the message never says which.
/// An <see cref="ArgumentException"/>: a config naming it is refused like any other unusable config.</summary>
public sealed class ReplayFileNotFoundException(string file)
    : ArgumentException($"The file \"{Shorten(file)}\" was not found in the import directory.")
{
    private static string Shorten(string file) =>
        file.Length > 200 ? file[..200] + "…" : file.Replace('\0', '?');
}
