using System.Net;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Ingest;
using CrisisDesk.Core.Ingest.Formats.Feeds;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Ingest.Connectors.Feeds;

/// <summary>
/// <c>probe rss|atom|cap-feed URL_OR_FILE</c>: reads a feed once, exactly as the connector would, and prints the
/// normalised posts as JSON Lines on stdout and every problem on stderr. Lets an operator test a feed before adding it.
/// </summary>
public static class FeedProbe
{
    public const int ExitRead = 0;
    public const int ExitRefused = 2;
    public const int ExitUnreachable = 3;
    public const int ExitUsage = 64;

    public static async Task<int> RunAsync(string kind, string urlOrFile, TextWriter stdout, TextWriter stderr, HttpClient http, CancellationToken cancellationToken)
    {
        FeedSourceKind feedKind;
        try
        {
            feedKind = FeedSourceOptions.ParseKind(kind);
        }
        catch (ArgumentException ex)
        {
            await stderr.WriteLineAsync("usage: probe rss|atom|cap-feed URL_OR_FILE: " + ex.Message);
            return ExitUsage;
        }

        var options = new FeedSourceOptions { Kind = feedKind, Url = new Uri("http://localhost/") };
        var (document, location, problem, exit) = await LoadAsync(urlOrFile, options.MaxDocumentBytes, http, cancellationToken);
        if (document is null)
        {
            await stderr.WriteLineAsync(problem);
            return exit;
        }

        FeedDocument feed;
        try
        {
            feed = FeedParser.Parse(document, options.MaxDocumentBytes);
        }
        catch (FeedFormatException ex) when (feedKind == FeedSourceKind.CapFeed && ex.RootElement == "alert")
        {
            // A single CAP document where an index was expected: read as a one-item feed, as the connector does.
            await PrintAsync(FeedFormats.CapAlert, document, location.ToString(), stdout, stderr);
            await stderr.WriteLineAsync($"read {location}: a single CAP alert");
            return ExitRead;
        }
        catch (FeedFormatException ex)
        {
            await stderr.WriteLineAsync($"refused: {location}: {ex.Message}");
            return ExitRefused;
        }

        var expected = feedKind == FeedSourceKind.Atom ? FeedKind.Atom : feedKind == FeedSourceKind.Rss ? FeedKind.Rss : feed.Kind;
        if (feed.Kind != expected)
        {
            await stderr.WriteLineAsync($"warning: asked for {kind} but the document is {(feed.Kind == FeedKind.Atom ? "an Atom feed" : "an RSS feed")}; read it as such");
        }

        var fetchedAt = DateTimeOffset.UtcNow;
        var count = 0;
        foreach (var entry in FeedItems.OldestFirst(feed))
        {
            count++;
            if (feedKind != FeedSourceKind.CapFeed)
            {
                await PrintAsync(FeedFormats.NewsItem, FeedItems.NewsPayload(feed, entry, location.ToString(), fetchedAt, []), FeedItems.SeenId(entry), stdout, stderr);
                continue;
            }

            var link = FeedItems.CapLinkOf(entry, location);
            // A local file is followed only from a local index: a remote feed must not make the probe read this machine's files.
            if (link is null || !(FeedItems.IsHttp(link) || (link.IsFile && location.IsFile)))
            {
                await stderr.WriteLineAsync($"entry '{FeedItems.SeenId(entry)}': no usable link to a CAP document ({link?.ToString() ?? "none"})");
                continue;
            }

            var (alert, _, alertProblem, _) = await LoadAsync(link.IsFile ? link.LocalPath : link.ToString(), options.MaxCapDocumentBytes, http, cancellationToken);
            if (alert is null)
            {
                await stderr.WriteLineAsync($"entry '{FeedItems.SeenId(entry)}': {alertProblem}");
                continue;
            }

            await PrintAsync(FeedFormats.CapAlert, alert, link.ToString(), stdout, stderr);
        }

        await stderr.WriteLineAsync($"read {feed.Title ?? location.ToString()}: {count} entries");
        return ExitRead;
    }

    private static async Task PrintAsync(string format, byte[] payload, string what, TextWriter stdout, TextWriter stderr)
    {
        var result = FeedNormalisers.Normalise(format, payload);
        if (result.Post is { } post)
        {
            await stdout.WriteLineAsync(ToJsonLine(post));
        }
        else if (result.IsMalformed)
        {
            await stderr.WriteLineAsync($"quarantined '{what}': {result.Error}");
        }
    }

    /// <summary>Only http(s) addresses or local files; a document is read whole up to the cap, never beyond.</summary>
    private static async Task<(byte[]? Document, Uri Location, string Problem, int Exit)> LoadAsync(string urlOrFile, long maxBytes, HttpClient http, CancellationToken cancellationToken)
    {
        if (Uri.TryCreate(urlOrFile, UriKind.Absolute, out var url) && !url.IsFile)
        {
            if (!FeedItems.IsHttp(url))
            {
                return (null, url, $"refused: only http, https or a local file can be probed, not {url.Scheme}:", ExitRefused);
            }

            try
            {
                var response = await FeedFetcher.GetAsync(http, url, null, null, maxBytes, new FeedSourceOptions { Kind = FeedSourceKind.Rss, Url = url }.UserAgent, TimeProvider.System, cancellationToken);
                if (response.TooLarge)
                {
                    return (null, url, $"refused: {url}: the document is larger than {maxBytes} bytes", ExitRefused);
                }

                return response.Status == HttpStatusCode.OK
                    ? (response.Body, url, "", ExitRead)
                    : (null, url, $"unreachable: {url}: HTTP {(int)response.Status} {response.Status}", ExitUnreachable);
            }
            catch (Exception ex) when (ex is FeedRedirectException or HttpRequestException or IOException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                return (null, url, $"unreachable: {url}: {ex.Message}", ExitUnreachable);
            }
        }

        var path = Path.GetFullPath(url?.IsFile == true ? url.LocalPath : urlOrFile);
        var location = new Uri(path);
        if (!File.Exists(path))
        {
            return (null, location, $"unreachable: no such file {path}", ExitUnreachable);
        }

        await using var file = File.OpenRead(path);
        var (bytes, tooLarge) = await FeedFetcher.ReadCappedAsync(file, maxBytes, cancellationToken);
        return tooLarge
            ? (null, location, $"refused: {path}: the document is larger than {maxBytes} bytes", ExitRefused)
            : (bytes, location, "", ExitRead);
    }

    /// <summary>A post as one JSON line; <see cref="Post.Extra"/> is embedded as the JSON object it is.</summary>
    public static string ToJsonLine(Post post)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("platform", post.Platform);
            json.WriteString("externalId", post.ExternalId);
            json.WriteString("createdAt", post.CreatedAt);
            json.WriteString("authorHandle", post.AuthorHandle);
            json.WriteString("authorName", post.AuthorName);
            json.WriteString("text", post.Text);
            json.WriteString("url", post.Url);
            json.WriteString("language", post.Language);
            json.WriteBoolean("hasMedia", post.HasMedia);
            json.WritePropertyName("extra");
            if (post.Extra is null)
            {
                json.WriteNullValue();
            }
            else
            {
                json.WriteRawValue(post.Extra);
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
