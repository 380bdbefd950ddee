using System.Text.Json;
using CrisisDesk.Ingest.Classification;

namespace CrisisDesk.UnitTests.Classification;

/// <summary>The <c>classify FILE</c> verb, with the committed model, on both input formats and on bad input.</summary>
public sealed class ClassifyCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("crisisdesk-classify-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private async Task<(int Exit, string[] Lines, string Errors)> RunAsync(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        await File.WriteAllTextAsync(path, content);
        var output = new StringWriter();
        var errors = new StringWriter();
        var exit = await ClassifyCommand.RunAsync(path, output, errors, ClassificationModel.Bundled.CreateClassifier());
        return (exit, output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), errors.ToString());
    }

    [Fact]
    public async Task A_CrisisLexT26_file_gives_one_line_per_post_in_the_documented_shape()
    {
        var (exit, lines, errors) = await RunAsync("sample.csv", """
            Tweet ID, Tweet Text, Information Source, Information Type, Informativeness
            "347465208519118848","Text REDCROSS to 90999 to donate $10 to help those affected by the floods, ""please"" share",Government,Donations and volunteering,Related and informative
            "347465208519118849","Line one
            and line two of one tweet :(",Outsiders,Sympathy and support,Related - but not informative

            """);

        Assert.Equal(0, exit);
        Assert.Equal("", errors);
        Assert.Equal(2, lines.Length);
        Assert.Matches("""^\{"id": "347465208519118848", "informative": (true|false), "informationType": "[A-Za-z ]+", "sentiment": -?[01]\.\d{1,4}\}$""", lines[0]);
        foreach (var line in lines)
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            Assert.Equal(["id", "informative", "informationType", "sentiment"], root.EnumerateObject().Select(p => p.Name));
            Assert.Contains(root.GetProperty("informationType").GetString(), Core.Classification.CrisisLexLabels.InformationTypeNames);
            Assert.InRange(root.GetProperty("sentiment").GetDouble(), -1, 1);
        }
        Assert.Equal("347465208519118849", JsonDocument.Parse(lines[1]).RootElement.GetProperty("id").GetString());
        Assert.True(JsonDocument.Parse(lines[1]).RootElement.GetProperty("sentiment").GetDouble() < 0, "the sad emoticon and the rest of the record are read");
    }

    [Fact]
    public async Task JSON_Lines_with_id_and_text_are_read_and_bad_lines_are_reported_while_the_rest_are_classified()
    {
        var (exit, lines, errors) = await RunAsync("posts.jsonl", """
            {"id": "a1", "text": "Roads closed, stay away from the river", "platform": "x"}
            {"id": 42, "text": "Thank you firefighters, you are heroes!"}
            {"id": "no-text"}
            {not json
            {"id": "a5", "text": "Power out across the east side"}
            """);

        Assert.Equal(ClassifyCommand.ExitSomeRecordsUnreadable, exit);
        Assert.Equal(["a1", "42", "a5"], lines.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
        Assert.Contains("record 3: no \"text\" string", errors, StringComparison.Ordinal);
        Assert.Contains("record 4: not JSON", errors, StringComparison.Ordinal);
        Assert.True(JsonDocument.Parse(lines[1]).RootElement.GetProperty("sentiment").GetDouble() > 0.5);
    }

    [Fact]
    public async Task A_missing_file_is_a_clear_error()
    {
        var errors = new StringWriter();
        var exit = await ClassifyCommand.RunAsync(Path.Combine(_directory, "absent.csv"), new StringWriter(), errors, ClassificationModel.Bundled.CreateClassifier());

        Assert.Equal(ClassifyCommand.ExitUsage, exit);
        Assert.Contains("absent.csv: no such file", errors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_verb_is_known_to_the_command_line()
    {
        Assert.True(Web.Cli.CommandLine.TryRun(["classify", Path.Combine(_directory, "absent.csv")], out var exit));
        Assert.Equal(ClassifyCommand.ExitUsage, await exit);
    }
}
