using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

public sealed class CapValidateCommandTests : IDisposable
{
    private readonly string directory = Directory.CreateTempSubdirectory("crisisdesk-cap-cmd-").FullName;
    private readonly StringWriter stdout = new();
    private readonly StringWriter stderr = new();

    public void Dispose()
    {
        stdout.Dispose();
        stderr.Dispose();
        Directory.Delete(directory, recursive: true);
    }

    private string Save(string name, string content)
    {
        var path = Path.Combine(directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static string[] Lines(StringWriter writer) =>
        writer.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Valid_files_exit_zero()
    {
        var ours = Save("ours.cap", CapXml.Write(CapSamples.Simple()));
        var australia = CapSamples.Fixture("australia.cap");

        var exit = CapValidateCommand.Run([ours, australia], stdout, stderr);

        Assert.Equal(0, exit);
        Assert.Equal(
            [
                $"{ours}: valid CAP 1.2",
                $"{australia}: info[1].parameter[6].value: warning: value is empty; leave an element out rather than send it empty",
                $"{australia}: info[2].parameter[6].value: warning: value is empty; leave an element out rather than send it empty",
                $"{australia}: valid CAP 1.2",
            ],
            Lines(stdout));
        Assert.Empty(stderr.ToString());
    }

    [Fact]
    public void Invalid_file_exits_non_zero_with_one_line_per_problem()
    {
        var bad = CapSamples.Simple() with { Scope = CapScope.Private, Identifier = "has space" };
        var file = Save("bad.cap", CapXml.Write(bad));

        var exit = CapValidateCommand.Run([file], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitInvalid, exit);
        Assert.Equal(
            [
                $"{file}: identifier: error: identifier must not contain spaces, commas, '<' or '&' (found whitespace): other messages refer to it in references",
                $"{file}: addresses: error: scope is Private, so addresses is required: list the intended recipients",
            ],
            Lines(stdout));
    }

    [Fact]
    public void Cap_11_file_is_a_clear_error()
    {
        var weather = CapSamples.Fixture("weather.cap");

        var exit = CapValidateCommand.Run([weather], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitInvalid, exit);
        Assert.Equal(
            [$"{weather}: alert: error: this is a CAP 1.1 alert (namespace 'urn:oasis:names:tc:emergency:cap:1.1'); only CAP 1.2 (namespace 'urn:oasis:names:tc:emergency:cap:1.2') is accepted"],
            Lines(stdout));
    }

    [Fact]
    public void Missing_file_is_a_clear_error_and_other_files_are_still_checked()
    {
        var missing = Path.Combine(directory, "nope.cap");
        var good = Save("good.cap", CapXml.Write(CapSamples.Simple()));

        var exit = CapValidateCommand.Run([missing, good], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitUnreadable, exit);
        Assert.Equal([$"{missing}: error: cannot read the file: no such file"], Lines(stderr));
        Assert.Equal([$"{good}: valid CAP 1.2"], Lines(stdout));
    }

    [Fact]
    public void Directory_is_a_clear_error()
    {
        var exit = CapValidateCommand.Run([directory], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitUnreadable, exit);
        Assert.StartsWith($"{directory}: error: cannot read the file:", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Not_xml_is_a_clear_error()
    {
        var file = Save("notes.txt", "this is not CAP");

        var exit = CapValidateCommand.Run([file], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitInvalid, exit);
        Assert.StartsWith($"{file}: document: error: not well-formed XML:", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void No_files_prints_usage()
    {
        var exit = CapValidateCommand.Run([], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitUnreadable, exit);
        Assert.StartsWith("usage: cap validate FILE...", stderr.ToString(), StringComparison.Ordinal);
    }
}
