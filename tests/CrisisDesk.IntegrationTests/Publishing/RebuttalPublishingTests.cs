using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CrisisDesk.Web.Features.Account;
using Dapper;

namespace CrisisDesk.IntegrationTests.Publishing;

public sealed class RebuttalPublishingTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    [Fact]
    public async Task A_rebuttal_is_versioned_refused_to_its_writer_approved_by_another_and_posted_once_to_each_social_channel()
    {
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        var writer = await app.SignedInClientAsync(op, opPassword);
        var checker = await app.SignedInClientAsync(approver, approverPassword);
        var incident = await (await writer.PostAsJsonAsync("/api/incidents", new { name = "Dam rumour" })).Content.ReadFromJsonAsync<JsonElement>();
        var incidentId = incident.GetProperty("id").GetInt32();

        var drafted = await writer.PostAsJsonAsync($"/api/incidents/{incidentId}/rebuttals", new
        {
            title = "The dam has not failed",
            rumourId = 41,
            variants = new Dictionary<string, string> { ["X"] = "The dam has NOT failed. Engineers are on site.", ["Mastodon"] = "The dam has not failed.", ["Bluesky"] = "Dam is intact." },
        });
        Assert.Equal(HttpStatusCode.Created, drafted.StatusCode);
        var id = (await drafted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var tooLong = await writer.PutAsJsonAsync($"/api/rebuttals/{id}", new { variants = new Dictionary<string, string> { ["X"] = new string('a', 281) }, note = "too long" });
        Assert.Equal(HttpStatusCode.OK, tooLong.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await writer.PostAsync($"/api/rebuttals/{id}/submit", null)).StatusCode);
        await writer.PutAsJsonAsync($"/api/rebuttals/{id}", new
        {
            variants = new Dictionary<string, string> { ["X"] = "The dam has NOT failed. Engineers are on site: https://riverside.example.gov/dam", ["Mastodon"] = "The dam has not failed.", ["Bluesky"] = "Dam is intact.", ["Sms"] = "Dam intact." },
            note = "added link",
        });
        Assert.Equal(HttpStatusCode.NoContent, (await writer.PostAsync($"/api/rebuttals/{id}/submit", null)).StatusCode);
        var versions = await writer.GetFromJsonAsync<JsonElement>($"/api/rebuttals/{id}/versions");
        Assert.Equal([3, 2, 1], versions.EnumerateArray().Select(v => v.GetProperty("version").GetInt32()).ToArray());

        Assert.Equal(HttpStatusCode.Forbidden, (await writer.PostAsJsonAsync($"/api/rebuttals/{id}/approve", new { comment = "me" })).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await checker.PostAsJsonAsync($"/api/rebuttals/{id}/approve", new { comment = "matches the EA statement" })).StatusCode);
        var published = await writer.PostAsync($"/api/rebuttals/{id}/publish", null);
        Assert.Equal(HttpStatusCode.OK, published.StatusCode);

        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await PublishingFactory.EventuallyAsync(async () =>
            await connection.ExecuteScalarAsync<int>("SELECT count(*) FROM deliveries WHERE rebuttal_id = @id AND status = 'succeeded'", new { id }) == 3,
            "the rebuttal reached Mastodon, X and Bluesky");
        Assert.Single(app.Fakes.Tweets, t => t.StartsWith("The dam has NOT failed", StringComparison.Ordinal));
        Assert.Single(app.Fakes.MastodonStatuses, t => t == "The dam has not failed.");
        Assert.Single(app.Fakes.BlueskyRecords.Values, t => t == "Dam is intact.");
        Assert.Equal(41, await connection.ExecuteScalarAsync<int>("SELECT rumour_id FROM rebuttals WHERE id = @id", new { id }));
        Assert.Equal(["rebuttal.drafted", "rebuttal.revised", "rebuttal.revised", "rebuttal.submitted", "authorization.denied", "rebuttal.approved", "rebuttal.published"],
            (await connection.QueryAsync<string>("SELECT action FROM events WHERE incident_id = @incidentId AND action <> 'incident.opened' AND action NOT LIKE 'delivery.%' ORDER BY seq", new { incidentId })).ToArray());
    }

    [Fact]
    public async Task Our_public_feed_is_read_by_python_feedparser_and_our_published_cap_passes_xmllint()
    {
        var python = Require("/usr/bin/python3", "python3-feedparser");
        var xmllint = Require("/usr/bin/xmllint", "libxml2-utils");
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        // Publish one alert through the real flow so the feed has an entry.
        var (op, opPassword) = await app.CreateUserAsync(Roles.Operator);
        var (approver, approverPassword) = await app.CreateUserAsync(Roles.Approver);
        var writer = await app.SignedInClientAsync(op, opPassword);
        var checker = await app.SignedInClientAsync(approver, approverPassword);
        var incidentId = (await (await writer.PostAsJsonAsync("/api/incidents", new { name = "Feed check" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        var created = await writer.PostAsync($"/api/incidents/{incidentId}/alerts",
            new StringContent(CrisisDesk.Core.Alerts.CapXml.Write(AlertSamples.Flood("Feed check headline")), System.Text.Encoding.UTF8, "application/cap+xml"));
        var alertId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        await writer.PostAsync($"/api/alerts/{alertId}/submit", null);
        await checker.PostAsJsonAsync($"/api/alerts/{alertId}/approve", new { comment = "ok" });
        await PublishingFactory.EventuallyAsync(async () =>
            await connection.ExecuteScalarAsync<string>("SELECT status FROM deliveries WHERE alert_id = @alertId AND channel = 'cap-feed'", new { alertId }) == "succeeded", "the alert is in the feed");
        var identifier = await connection.ExecuteScalarAsync<string>("SELECT identifier FROM alerts WHERE id = @alertId", new { alertId });

        var directory = Directory.CreateTempSubdirectory("crisisdesk-feed-").FullName;
        try
        {
            var feedFile = Path.Combine(directory, "feed.atom");
            await File.WriteAllTextAsync(feedFile, await app.NewClient().GetStringAsync("/cap/feed.atom"));
            var script = "import feedparser,sys,json; d=feedparser.parse(sys.argv[1]); print(json.dumps({'bozo': d.bozo, 'titles': [e.title for e in d.entries], 'links': [l.href for e in d.entries for l in e.links if l.type == 'application/cap+xml']}))";
            var parsed = JsonDocument.Parse(Run(python, "-c", script, feedFile).Stdout).RootElement;
            Assert.False(parsed.GetProperty("bozo").GetBoolean(), "feedparser found the feed malformed");
            Assert.Contains("Feed check headline", parsed.GetProperty("titles").EnumerateArray().Select(t => t.GetString()));
            Assert.Contains($"https://alerts.riverside.example.gov/cap/alerts/{identifier}.xml", parsed.GetProperty("links").EnumerateArray().Select(t => t.GetString()));

            var capFile = Path.Combine(directory, "alert.xml");
            await File.WriteAllTextAsync(capFile, await app.NewClient().GetStringAsync($"/cap/alerts/{identifier}.xml"));
            var schema = Path.Combine(directory, "cap12.xsd");
            await using (var resource = typeof(CrisisDesk.Core.Alerts.CapXml).Assembly.GetManifestResourceStream("CrisisDesk.Core.Alerts.Schema.cap12.xsd")!)
            await using (var file = File.Create(schema))
                await resource.CopyToAsync(file);
            var lint = Run(xmllint, "--noout", "--nonet", "--schema", schema, capFile);
            Assert.True(lint.ExitCode == 0, "xmllint rejected our published CAP: " + lint.Stderr);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string Require(string path, string package)
    {
        if (!File.Exists(path))
            Assert.Fail($"{path} is missing: install Debian's {package}; this independent check must not be skipped");
        return path;
    }

    private static (int ExitCode, string Stdout, string Stderr) Run(string path, params string[] arguments)
    {
        var start = new ProcessStartInfo(path) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        if (process.ExitCode != 0 && path.EndsWith("python3", StringComparison.Ordinal))
            Assert.Fail("python3 with feedparser failed (install Debian's python3-feedparser): " + stderr.Result);
        return (process.ExitCode, stdout.Result, stderr.Result);
    }
}
