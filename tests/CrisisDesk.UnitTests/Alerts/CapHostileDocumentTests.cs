using System.Net;
using System.Net.Sockets;
using CrisisDesk.Core.Alerts;

namespace CrisisDesk.UnitTests.Alerts;

/// <summary>DTDs, external entities and entity bombs are refused before the parser fetches or expands anything.</summary>
public sealed class CapHostileDocumentTests : IDisposable
{
    // A listener the external entity points at: if the parser ever fetched it, a connection would be waiting.
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly string directory = Directory.CreateTempSubdirectory("crisisdesk-cap-hostile-").FullName;

    public CapHostileDocumentTests() => listener.Start();

    public void Dispose()
    {
        listener.Stop();
        Directory.Delete(directory, recursive: true);
    }

    private string ExternalEntityDocument()
    {
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        return $"""
            <?xml version="1.0" encoding="UTF-8"?>
            <!DOCTYPE alert [ <!ENTITY remote SYSTEM "http://127.0.0.1:{port}/steal"> ]>
            <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&remote;</identifier></alert>
            """;
    }

    private const string FileEntityDocument = """
        <?xml version="1.0"?>
        <!DOCTYPE alert [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&secret;</identifier></alert>
        """;

    private const string BillionLaughs = """
        <?xml version="1.0"?>
        <!DOCTYPE lolz [
          <!ENTITY lol "lol">
          <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
          <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
          <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
          <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
          <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
          <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
          <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
          <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
        ]>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol9;</identifier></alert>
        """;

    // Even a harmless DTD is refused: CAP never needs one, and allowing some would mean parsing them.
    private const string HarmlessDtd = """
        <?xml version="1.0"?>
        <!DOCTYPE alert>
        <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier></alert>
        """;

    private static void AssertRefusedForDtd(IReadOnlyList<CapProblem> problems)
    {
        var problem = Assert.Single(problems);
        Assert.Equal(CapProblemSeverity.Error, problem.Severity);
        Assert.Equal("document", problem.Path);
        Assert.StartsWith("the document has a DTD (<!DOCTYPE ...>); DTDs are refused", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validator_refuses_an_external_entity_without_connecting_to_it()
    {
        AssertRefusedForDtd(CapValidator.Validate(ExternalEntityDocument()));

        Assert.False(listener.Pending(), "the parser connected to the external entity's address");
    }

    [Fact]
    public void Reader_refuses_an_external_entity_without_connecting_to_it()
    {
        var e = Assert.Throws<CapFormatException>(() => CapXml.Read(ExternalEntityDocument()));

        Assert.Contains("DTD", e.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending(), "the parser connected to the external entity's address");
    }

    [Fact]
    public void Local_file_entity_is_refused_and_its_content_never_appears()
    {
        var problems = CapValidator.Validate(FileEntityDocument);

        AssertRefusedForDtd(problems);
        Assert.DoesNotContain("root:", problems[0].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Billion_laughs_is_refused()
    {
        AssertRefusedForDtd(CapValidator.Validate(BillionLaughs));
        Assert.Throws<CapFormatException>(() => CapXml.Read(BillionLaughs));
    }

    [Fact]
    public void Any_dtd_is_refused()
    {
        AssertRefusedForDtd(CapValidator.Validate(HarmlessDtd));
    }

    [Fact]
    public void Command_refuses_a_file_with_an_external_entity_without_connecting()
    {
        var file = Path.Combine(directory, "xxe.cap");
        File.WriteAllText(file, ExternalEntityDocument());
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = CapValidateCommand.Run([file], stdout, stderr);

        Assert.Equal(CapValidateCommand.ExitInvalid, exit);
        Assert.StartsWith($"{file}: document: error: the document has a DTD", stdout.ToString(), StringComparison.Ordinal);
        Assert.False(listener.Pending(), "the parser connected to the external entity's address");
    }
}
