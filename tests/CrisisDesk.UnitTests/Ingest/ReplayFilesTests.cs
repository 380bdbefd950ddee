using CrisisDesk.Ingest.Replay;

namespace CrisisDesk.UnitTests.Ingest;

/// <summary>Replay files come only from the import directory (and the bundled drill file), whatever path a config names.</summary>
public sealed class ReplayFilesTests : IDisposable
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"crisisdesk-replayfiles-{Guid.NewGuid():N}")).FullName;

    private string Imports => Path.Combine(_root, "imports");

    private ReplayFiles Files() => new(Imports, [new BundledReplayFile("bundled/drill.json")], bundleRoot: _root);

    public ReplayFilesTests()
    {
        Directory.CreateDirectory(Imports);
        Directory.CreateDirectory(Path.Combine(_root, "bundled"));
        File.WriteAllText(Path.Combine(Imports, "posts.jsonl"), "{}");
        File.WriteAllText(Path.Combine(_root, "bundled", "drill.json"), "[]");
        File.WriteAllText(Path.Combine(_root, "outside.json"), "secret");
    }

    [Fact]
    public void A_file_in_the_import_directory_resolves_by_name_or_by_its_full_path_and_the_bundled_file_by_its_relative_path()
    {
        var expected = Path.Combine(Imports, "posts.jsonl");
        Assert.Equal(expected, Files().Resolve("posts.jsonl"));
        Assert.Equal(expected, Files().Resolve(expected));
        Assert.Equal(Path.Combine(_root, "bundled/drill.json"), Files().Resolve("bundled/drill.json"));
    }

    [Fact]
    public void Paths_outside_the_import_directory_are_refused_with_one_message_whether_or_not_they_exist()
    {
        var link = Path.Combine(Imports, "innocent.json");
        File.CreateSymbolicLink(link, Path.Combine(_root, "outside.json"));
        var linkedDirectory = Path.Combine(Imports, "etc");
        Directory.CreateSymbolicLink(linkedDirectory, "/etc");

        string[] refused =
        [
            "/etc/shadow",                                   // exists, outside
            "/etc/no-such-file",                             // does not exist, outside
            "../outside.json",                               // traversal to an existing file
            "../no-such.json",                               // traversal to nothing
            Path.Combine(Imports, "..", "outside.json"),     // absolute, through ..
            "innocent.json",                                 // a link in the directory to a file outside
            "etc/shadow",                                    // through a linked directory
            "etc/passwd",
            "no-such.json",                                  // not there at all
            "../bundled/drill.json",                         // the bundled file by another path
            ".",                                             // the directory itself
        ];
        foreach (var path in refused)
        {
            var error = Assert.Throws<ReplayFileNotFoundException>(() => Files().Resolve(path));
            Assert.Equal($"The file \"{path}\" was not found in the import directory.", error.Message);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
