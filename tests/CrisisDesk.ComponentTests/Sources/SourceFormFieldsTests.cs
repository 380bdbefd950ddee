using System.Text.Json;
using CrisisDesk.Web.Features.Sources;

namespace CrisisDesk.ComponentTests.Sources;

/// <summary>Each kind's fields, typed as a person types them, become the config JSON the server checks, and back.</summary>
public sealed class SourceFormFieldsTests : ComponentTest
{
    // The upload control posts to the server's import (integration-tested in SourceSecurityTests); here only the fields.
    public SourceFormFieldsTests() => Context.ComponentFactories.AddStub<ReplayFileUpload>();

    private IRenderedComponent<SourceFormFields> Render(SourceForm form, IReadOnlyDictionary<string, string>? errors = null) =>
        Context.Render<SourceFormFields>(p => p
            .Add(f => f.Form, form)
            .Add(f => f.Errors, errors ?? new Dictionary<string, string>())
            .Add(f => f.SecretIsConfigured, name => name == "X:BearerToken"));

    /// <summary>
    /// Types into a field and waits until the field has taken the text: MudTextField applies input asynchronously, so a
    /// second field typed at once could otherwise race the first.
    /// </summary>
    private static async Task TypeAsync(IRenderedComponent<SourceFormFields> fields, string selector, string text)
    {
        fields.Find(selector).Input(text);
        await fields.WaitForAssertionAsync(() => Assert.Equal(text, fields.Find(selector).GetAttribute("value")));
    }

    private static string Json(SourceForm form) => form.ToConfig().GetRawText();

    [Fact]
    public async Task An_rss_feed_maps_address_keywords_and_interval_to_its_config()
    {
        var form = new SourceForm { Kind = "rss", Name = "Wessex News" };
        var fields = Render(form);

        await TypeAsync(fields, "#source-url", "https://example.org/news.rss");
        await TypeAsync(fields, "#source-keywords", "flood, River Wey , #A34");
        await TypeAsync(fields, "#source-poll", "300");

        await fields.WaitForAssertionAsync(() => Assert.Equal("""{"url":"https://example.org/news.rss","keywords":["flood","River Wey","#A34"],"pollIntervalSeconds":300}""", Json(form)));
    }

    [Fact]
    public void A_cap_feed_has_no_keywords_field()
    {
        var fields = Render(new SourceForm { Kind = "cap-feed" });
        Assert.Single(fields.FindAll("#source-url"));
        Assert.Empty(fields.FindAll("#source-keywords"));
        Assert.Contains("CAP index", fields.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task X_rules_are_added_typed_and_mapped_with_the_credential_name()
    {
        var form = new SourceForm { Kind = "x" };
        var fields = Render(form);

        await TypeAsync(fields, "#source-secret", "X:BearerToken");
        await TypeAsync(fields, "#source-rule-value-0", "flood -is:retweet");
        await TypeAsync(fields, "#source-rule-tag-0", "flood");
        fields.Find("[data-testid=add-rule] button, button[data-testid=add-rule]").Click();
        await TypeAsync(fields, "#source-rule-value-1", "A38 closed");

        await fields.WaitForAssertionAsync(() => Assert.Equal("""{"tokenSecret":"X:BearerToken","rules":[{"value":"flood -is:retweet","tag":"flood"},{"value":"A38 closed","tag":null}],"backfill":false}""", Json(form)));
        Assert.Contains("Configured on the server.", fields.Markup, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Mastodon_and_bluesky_and_replay_fields_map_to_their_keys()
    {
        var mastodon = new SourceForm { Kind = "mastodon" };
        var fields = Render(mastodon);
        await TypeAsync(fields, "#source-instance", "https://mastodon.social/");
        await TypeAsync(fields, "#source-secret", "Mastodon:Token");
        await TypeAsync(fields, "#source-hashtag", "flood");
        await fields.WaitForAssertionAsync(() => Assert.Equal("""{"instance":"https://mastodon.social/","tokenSecret":"Mastodon:Token","stream":"hashtag","hashtag":"flood"}""", Json(mastodon)));
        Assert.Contains("Not configured on the server yet.", fields.Markup, StringComparison.Ordinal);

        var bluesky = new SourceForm { Kind = "bluesky" };
        fields = Render(bluesky);
        await TypeAsync(fields, "#source-keywords", "flood");
        await TypeAsync(fields, "#source-rewind", "10");
        await fields.WaitForAssertionAsync(() => Assert.Equal("""{"keywords":["flood"],"rewindSeconds":10}""", Json(bluesky)));

        var replay = new SourceForm { Kind = "replay", Format = "post.jsonl" };
        fields = Render(replay);
        await TypeAsync(fields, "#source-file", "/data/drill.jsonl");
        await TypeAsync(fields, "#source-speed", "60");
        await fields.WaitForAssertionAsync(() => Assert.Equal("""{"file":"/data/drill.jsonl","format":"post.jsonl","speed":60}""", Json(replay)));
    }

    [Fact]
    public void A_stored_config_fills_the_fields_and_round_trips()
    {
        var stored = JsonDocument.Parse("""{"url":"https://example.org/a.xml","keywords":["flood","storm"],"pollIntervalSeconds":60}""").RootElement;
        var form = SourceForm.From("atom", "Atom feed", stored);
        var fields = Render(form);

        Assert.Equal("https://example.org/a.xml", fields.Find("#source-url").GetAttribute("value"));
        Assert.Equal("flood, storm", fields.Find("#source-keywords").GetAttribute("value"));
        Assert.Equal("60", fields.Find("#source-poll").GetAttribute("value"));
        Assert.Equal(stored.GetRawText(), Json(form));
    }

    [Fact]
    public void A_checker_message_shows_under_its_field()
    {
        var fields = Render(new SourceForm { Kind = "rss" }, new Dictionary<string, string> { ["url"] = "Expected an http:// or https:// address for the feed's address." });

        var url = fields.Find(".field-url");
        Assert.Contains("Expected an http:// or https:// address", url.TextContent, StringComparison.Ordinal);
        Assert.Contains("mud-input-error", url.InnerHtml, StringComparison.Ordinal);
    }
}
