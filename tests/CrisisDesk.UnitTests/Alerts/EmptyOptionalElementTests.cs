using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

/// <summary>
/// A real national alert carried empty optional elements (&lt;restriction/&gt;, &lt;addresses/&gt; with scope Public, an
/// empty &lt;note/&gt;). CAP 1.2 and its schema allow them, so in documents others wrote they are warnings; CrisisDesk's
/// own alerts are still held to never sending them.
/// </summary>
public sealed class EmptyOptionalElementTests : IDisposable
{
    private readonly StringWriter stdout = new();
    private readonly StringWriter stderr = new();

    public void Dispose()
    {
        stdout.Dispose();
        stderr.Dispose();
    }

    private static readonly string[] FixtureWarnings =
    [
        "restriction: warning: restriction is empty; leave an element out rather than send it empty",
        "addresses: warning: addresses is empty; leave an element out rather than send it empty",
        "note: warning: note is empty; leave an element out rather than send it empty",
        "info[1].parameter[6].value: warning: value is empty; leave an element out rather than send it empty",
        "info[2].parameter[6].value: warning: value is empty; leave an element out rather than send it empty",
    ];

    [Fact]
    public void A_real_alert_with_empty_restriction_addresses_and_note_is_valid_with_warnings()
    {
        var problems = CapValidator.Validate(CapSamples.ReadFixture("australia-empty-optional.cap"));

        Assert.Equal(FixtureWarnings, problems.Select(p => p.ToString()));
        Assert.True(problems.IsValid());
    }

    [Fact]
    public void Cap_validate_prints_the_warnings_and_exits_0()
    {
        var file = CapSamples.Fixture("australia-empty-optional.cap");

        var exit = CapValidateCommand.Run([file], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitValid, exit);
        Assert.Equal([.. FixtureWarnings.Select(w => $"{file}: {w}"), $"{file}: valid CAP 1.2"],
            stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        Assert.Empty(stderr.ToString());
    }

    [Fact]
    public void The_real_alert_can_be_read_into_the_model()
    {
        var alert = CapXml.Read(CapSamples.ReadFixture("australia-empty-optional.cap"));

        Assert.Empty(alert.Addresses);
        Assert.Equal(CapScope.Public, alert.Scope);
    }

    [Fact]
    public void Empty_references_in_an_alert_someone_else_wrote_is_a_warning()
    {
        var xml = CapXml.Write(CapSamples.Simple()).Replace("<scope>Public</scope>", "<scope>Public</scope><references/>", StringComparison.Ordinal);

        var problem = Assert.Single(CapValidator.Validate(xml));

        Assert.Equal("references: warning: references is empty; leave an element out rather than send it empty", problem.ToString());
    }

    [Theory]
    [InlineData("Restricted", "<restriction/>", "restriction", "scope is Restricted, so restriction is required")]
    [InlineData("Private", "<addresses> </addresses>", "addresses", "scope is Private, so addresses is required")]
    public void An_empty_element_the_scope_requires_is_still_an_error(string scope, string element, string path, string message)
    {
        var xml = CapXml.Write(CapSamples.Simple()).Replace("<scope>Public</scope>", $"<scope>{scope}</scope>{element}", StringComparison.Ordinal);

        var problems = CapValidator.Validate(xml);

        Assert.Contains(problems, p => p.IsError && p.Path == path && p.Message.StartsWith(message, StringComparison.Ordinal));
    }

    [Fact]
    public void An_update_with_empty_references_is_still_an_error()
    {
        var xml = CapXml.Write(CapSamples.Simple() with { MsgType = CapMsgType.Update })
            .Replace("<scope>Public</scope>", "<scope>Public</scope><references></references>", StringComparison.Ordinal);

        Assert.Contains(CapValidator.Validate(xml), p => p.IsError && p.Path == "references" && p.Message.StartsWith("msgType is Update, so references is required", StringComparison.Ordinal));
    }

    [Fact]
    public void A_non_empty_restriction_with_scope_public_is_still_an_error()
    {
        var xml = CapXml.Write(CapSamples.Simple()).Replace("<scope>Public</scope>", "<scope>Public</scope><restriction>Police only</restriction>", StringComparison.Ordinal);

        Assert.Contains(CapValidator.Validate(xml), p => p.IsError && p.Path == "restriction");
    }

    [Theory]
    [InlineData("restriction")]
    [InlineData("addresses")]
    public void CrisisDesks_own_alerts_never_send_them_empty(string name)
    {
        var own = name == "restriction" ? CapSamples.Simple() with { Restriction = "" } : CapSamples.Simple() with { Scope = CapScope.Private, Addresses = [""] };

        Assert.Contains(CapValidator.Validate(own), p => p.IsError && p.Path == name && p.Message == $"{name} is empty; it must have content");
    }
}
