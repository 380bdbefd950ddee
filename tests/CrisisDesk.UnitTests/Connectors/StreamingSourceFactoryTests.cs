using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Connectors.Bluesky;
using CrisisDesk.Ingest.Connectors.Mastodon;
using CrisisDesk.Ingest.Connectors.X;

namespace CrisisDesk.UnitTests.Connectors;

public sealed class StreamingSourceFactoryTests
{
    private static StreamingSourceFactory Factory() =>
        new(ConnectorHarness.Http(), name => name == "X:BearerToken" ? "secret-x" : name == "Mastodon:Token" ? "secret-m" : null);

    [Fact]
    public void Builds_each_kind_from_its_json()
    {
        var status = new RecordingStatusReporter();
        Assert.IsType<XFilteredStreamSource>(Factory().Create("x", """{"tokenSecret":"X:BearerToken","rules":[{"value":"flood","tag":"f"}]}""", status));
        Assert.IsType<MastodonStreamingSource>(Factory().Create("mastodon", """{"instance":"https://mastodon.social","tokenSecret":"Mastodon:Token","hashtag":"flood"}""", status));
        Assert.IsType<JetstreamSource>(Factory().Create("bluesky", """{"keywords":["flood"]}""", status));
        Assert.Equal(["x.v2.stream", "mastodon.status", "bluesky.jetstream"], StreamingSourceFactory.Normalisers.Select(n => n.Format));
    }

    [Theory]
    [InlineData("x", """{"tokenSecret":"X:Missing","rules":[]}""", "credential 'X:Missing' for the x source is not configured")]
    [InlineData("x", """{"tokenSecret":"X:BearerToken"}""", "needs \"rules\"")]
    [InlineData("mastodon", """{"tokenSecret":"Mastodon:Token","hashtag":"flood"}""", "needs \"instance\"")]
    [InlineData("mastodon", """{"instance":"https://m.example","tokenSecret":"Mastodon:Token"}""", "needs a hashtag")]
    [InlineData("telegram", "{}", "unknown streaming source kind 'telegram'")]
    [InlineData("bluesky", "{", "not valid JSON")]
    public void Refuses_bad_configuration_with_a_reason_that_never_shows_a_credential(string kind, string json, string reason)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Factory().Create(kind, json, new RecordingStatusReporter()));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-", error.Message, StringComparison.Ordinal);
    }
}
