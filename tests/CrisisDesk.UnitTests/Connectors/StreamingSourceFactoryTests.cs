using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Ingest.Connectors.Bluesky;
using CrisisDesk.Ingest.Connectors.Mastodon;
using CrisisDesk.Ingest.Connectors.X;
using Microsoft.Extensions.Configuration;

namespace CrisisDesk.UnitTests.Connectors;

public sealed class StreamingSourceFactoryTests
{
    private static SourceSecrets Secrets(params (string Key, string Value)[] extra) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CrisisDesk:Secrets:X:BearerToken"] = "secret-x",
            ["CrisisDesk:Secrets:Mastodon:Token"] = "secret-m",
            ["CrisisDesk:SecretHosts:Mastodon:Token"] = "mastodon.social, m.example",
        }.Concat(extra.Select(e => new KeyValuePair<string, string?>(e.Key, e.Value)))).Build());

    private static StreamingSourceFactory Factory(SourceSecrets? secrets = null) => new(ConnectorHarness.Http(), (secrets ?? Secrets()).Find);

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

    [Theory]
    // An X credential goes to X's hosts only, over https.
    [InlineData("x", """{"tokenSecret":"X:BearerToken","rules":[{"value":"flood"}],"baseAddress":"https://attacker.example/"}""", "only sent to api.x.com, api.twitter.com, not to attacker.example")]
    [InlineData("x", """{"tokenSecret":"X:BearerToken","rules":[{"value":"flood"}],"baseAddress":"http://api.x.com/"}""", "only sent over https")]
    [InlineData("x", """{"tokenSecret":"X:BearerToken","rules":[{"value":"flood"}],"baseAddress":"http://127.0.0.1:8080/"}""", "not to 127.0.0.1")]
    // Another platform's credential is refused whatever its host.
    [InlineData("mastodon", """{"instance":"https://api.x.com/","tokenSecret":"X:BearerToken","hashtag":"flood"}""", "is for x, not mastodon")]
    [InlineData("x", """{"tokenSecret":"Mastodon:Token","rules":[{"value":"flood"}],"baseAddress":"https://mastodon.social/"}""", "is for mastodon, not x")]
    // A Mastodon token belongs to the instance that issued it.
    [InlineData("mastodon", """{"instance":"https://mastodon.online/","tokenSecret":"Mastodon:Token","hashtag":"flood"}""", "not to mastodon.online")]
    public void Refuses_a_credential_bound_to_another_platform_or_host_or_over_http(string kind, string json, string reason)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() => Factory().Create(kind, json, new RecordingStatusReporter()));
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret-", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_structured_secret_declares_its_platform_and_hosts_and_http_on_loopback_needs_the_test_only_setting()
    {
        var json = """{"instance":"http://127.0.0.1:9000/","tokenSecret":"Local:Token","hashtag":"flood"}""";
        (string, string)[] bound = [("CrisisDesk:Secrets:Local:Token:Value", "secret-l"), ("CrisisDesk:Secrets:Local:Token:Platform", "mastodon"), ("CrisisDesk:Secrets:Local:Token:Hosts:0", "127.0.0.1")];

        var refused = Assert.ThrowsAny<ArgumentException>(() => Factory(Secrets(bound)).Create("mastodon", json, new RecordingStatusReporter()));
        Assert.Contains("only sent over https", refused.Message, StringComparison.Ordinal);

        var testOnly = Secrets([.. bound, (SourceSecrets.AllowHttpOnLoopbackSetting, "true")]);
        Assert.IsType<MastodonStreamingSource>(Factory(testOnly).Create("mastodon", json, new RecordingStatusReporter()));
        // The test-only setting is about loopback: any other host over http is still refused.
        var elsewhere = testOnly.Find("Local:Token")!.Binding.Refusal("mastodon", new Uri("http://mastodon.example/"));
        Assert.NotNull(elsewhere);
    }

    [Fact]
    public async Task The_connector_checks_the_binding_again_before_a_request_carries_the_credential()
    {
        var binding = Secrets().Find("X:BearerToken")!.Binding;
        var rules = new XStreamRules(ConnectorHarness.Http(), new XFilteredStreamOptions
        {
            BaseAddress = new Uri("http://127.0.0.1:9/"),
            BearerToken = "secret-x",
            Credential = binding,
        });

        var refused = await Assert.ThrowsAsync<CredentialRefusedException>(() => rules.ValidateAsync([new XStreamRule("flood", null)], CancellationToken.None));
        Assert.Contains("not to 127.0.0.1", refused.Message, StringComparison.Ordinal);
    }
}
