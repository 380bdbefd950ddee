using System.Text;
using CrisisDesk.Core.Classification;
using CrisisDesk.Data.Domain;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Triage;

/// <summary>A post as the triage feed shows it, with its story and triage marks; <see cref="Headline"/> holds search highlights.</summary>
/// <param name="EditedAt">When the author made the version shown, if the post was edited (its earlier versions: <see cref="TriageQueries.VersionsAsync"/>).</param>
/// <param name="DeletedAt">When CrisisDesk learnt that the author deleted it; the text stays for the record.</param>
public sealed record TriagePost(long Id, string Platform, string? AuthorHandle, string? AuthorName, DateTime CreatedAt, string Text, string? Url,
    bool HasMedia, string? Lang, long? StoryId, int StorySize, bool Flagged, bool Reviewed, string? Headline, DateTime? EditedAt = null, DateTime? DeletedAt = null)
{
    /// <summary>As the war room reads it: the text cut at a length a page can show (<see cref="PostText"/>), with the
    /// whole text's length and the attached photo's address. (Dapper picks the constructor whose columns the query selects.)</summary>
    public TriagePost(long id, string platform, string? authorHandle, string? authorName, DateTime createdAt, string text, string? url,
        bool hasMedia, string? lang, long? storyId, int storySize, bool flagged, bool reviewed, string? headline, DateTime? editedAt, DateTime? deletedAt,
        int textLength, string? thumbnail)
        : this(id, platform, authorHandle, authorName, createdAt, text, url, hasMedia, lang, storyId, storySize, flagged, reviewed, headline, editedAt, deletedAt)
    {
        TextLength = textLength;
        Thumbnail = thumbnail;
    }

    /// <summary>As the war room reads it, with what the classification stage stored (null for posts stored before it ran).</summary>
    public TriagePost(long id, string platform, string? authorHandle, string? authorName, DateTime createdAt, string text, string? url,
        bool hasMedia, string? lang, long? storyId, int storySize, bool flagged, bool reviewed, string? headline, DateTime? editedAt, DateTime? deletedAt,
        int textLength, string? thumbnail, short? informativeness, short? informationType, float? sentiment)
        : this(id, platform, authorHandle, authorName, createdAt, text, url, hasMedia, lang, storyId, storySize, flagged, reviewed, headline, editedAt, deletedAt,
            textLength, thumbnail)
    {
        Informativeness = (Informativeness?)informativeness;
        InformationType = (InformationType?)informationType;
        Sentiment = sentiment;
    }

    /// <summary>CrisisLexT26 informativeness, from the pipeline's classifier.</summary>
    public Informativeness? Informativeness { get; init; }

    /// <summary>CrisisLexT26 information type, from the pipeline's classifier.</summary>
    public InformationType? InformationType { get; init; }

    /// <summary>VADER's compound score, −1..+1.</summary>
    public float? Sentiment { get; init; }

    /// <summary>The whole text's length in characters; <see cref="Text"/> may hold only its start.</summary>
    public int TextLength { get; init; } = Text.Length;

    /// <summary>The https address of a photo attached to the post, when its platform gave one.</summary>
    public string? Thumbnail { get; init; }

}

/// <summary>One version of an edited post: the original or an edit, as the author made it and as CrisisDesk received it.</summary>
/// <param name="Original">The post as first stored, before any edit.</param>
public sealed record PostVersion(string Version, bool Original, string Text, DateTime VersionAt, DateTime ReceivedAt);

/// <summary>A story as the stories panel lists it.</summary>
public sealed record StoryRow(long Id, int Size, DateTime FirstPostAt, DateTime LatestPostAt, double GrowthPerMinute, string SampleText);

/// <summary>One item in the media panel: what an outlet or agency published, and when.</summary>
public sealed record MediaItem(long Id, string Platform, string Outlet, DateTime CreatedAt, string Text, string? Url);

/// <summary>
/// What the triage views read; one short-lived connection (or DbContext) per query, never one per circuit. The stories'
/// rows are read through the domain's DbContext; what reads posts (the feed, its counts, search, facets, a story's
/// members, the media panel) stays on Npgsql by the rule in CrisisDeskDbContext's remarks.
/// </summary>
public sealed class TriageQueries(NpgsqlDataSource dataSource, IDbContextFactory<CrisisDeskDbContext> contexts)
{
    /// <summary>The filter as SQL conditions on <c>p</c> (posts) with its parameters.</summary>
    /// <param name="fewPosts">The query reads a short range of posts (a live update's): search then looks each one up
    /// rather than first collecting every match of the incident.</param>
    private static (string Where, DynamicParameters Parameters) Conditions(int incidentId, TriageFilter filter, bool fewPosts = false)
    {
        var where = new StringBuilder("p.incident_id = @incidentId");
        var parameters = new DynamicParameters(new { incidentId });
        if (filter.HasSearch)
        {
            // Posts up to the indexer's progress through the search index; the few above it (the last moments, not
            // indexed yet) by their text: search finds a post as soon as it is stored.
            where.Append(fewPosts
                ? """
                     AND CASE WHEN p.id <= coalesce((SELECT indexed_up_to FROM search_progress WHERE incident_id = @incidentId), 0)
                              THEN EXISTS (SELECT 1 FROM post_search s WHERE s.post_id = p.id AND s.document @@ websearch_to_tsquery('simple'::regconfig, @search))
                              ELSE to_tsvector('simple'::regconfig, p.text) @@ websearch_to_tsquery('simple'::regconfig, @search) END
                    """
                : """
                     AND p.id IN (
                        SELECT s.post_id FROM post_search s
                         WHERE s.incident_id = @incidentId AND s.document @@ websearch_to_tsquery('simple'::regconfig, @search)
                        UNION
                        SELECT t.id FROM posts t
                         WHERE t.incident_id = @incidentId
                           AND t.id > coalesce((SELECT indexed_up_to FROM search_progress WHERE incident_id = @incidentId), 0)
                           AND to_tsvector('simple'::regconfig, t.text) @@ websearch_to_tsquery('simple'::regconfig, @search))
                    """);
            parameters.Add("search", filter.Search!.Trim());
        }
        if (!string.IsNullOrEmpty(filter.Platform))
        {
            where.Append(" AND p.platform = @platform");
            parameters.Add("platform", filter.Platform);
        }
        if (!string.IsNullOrEmpty(filter.Language))
        {
            where.Append(" AND p.lang = @lang");
            parameters.Add("lang", filter.Language);
        }
        if (filter.MediaOnly)
            where.Append(" AND p.has_media");
        if (filter.OfficialOnly)
        {
            where.Append(" AND ").Append(TriageFilter.OfficialCondition);
            parameters.Add("official", TriageFilter.OfficialPlatforms.ToArray());
        }
        if (filter.WindowMinutes is { } minutes && filter.WindowEnd is { } end)
        {
            where.Append(" AND p.created_at > @windowEnd - make_interval(mins => @minutes)");
            parameters.Add("minutes", minutes);
            parameters.Add("windowEnd", DateTime.SpecifyKind(end, DateTimeKind.Utc));
        }
        else if (filter.WindowMinutes is { } latestMinutes)
        {
            where.Append(" AND p.created_at > (SELECT max(created_at) FROM posts WHERE incident_id = @incidentId) - make_interval(mins => @minutes)");
            parameters.Add("minutes", latestMinutes);
        }
        if (filter.Type is { } type)
        {
            where.Append(" AND p.information_type = @informationType");
            parameters.Add("informationType", (short)type);
        }
        if (filter.AtLeast is { } atLeast)
        {
            where.Append(" AND p.informativeness >= @informativeness");
            parameters.Add("informativeness", (short)atLeast);
        }
        if (filter.UnreviewedOnly)
            where.Append(" AND NOT EXISTS (SELECT 1 FROM post_triage t WHERE t.post_id = p.id AND t.reviewed_at IS NOT NULL)");
        switch (filter.Place)
        {
            case FeedPlace.IncidentArea:
                // The area's box narrows on the index; the exact shape is tested on the post's point (its box's centre).
                where.Append("""
                     AND p.geo_south IS NOT NULL AND EXISTS (
                        SELECT 1 FROM incidents i
                         WHERE i.id = @incidentId AND p.geo_north >= i.area_south AND p.geo_south <= i.area_north
                           AND p.geo_east >= i.area_west AND p.geo_west <= i.area_east
                           AND crisisdesk_in_cap_area((p.geo_south + p.geo_north) / 2, (p.geo_west + p.geo_east) / 2, i.area_polygons, i.area_circles))
                    """);
                break;
            case FeedPlace.MapView when filter.View is null:
                // The map has not said what it shows yet: the located posts.
                where.Append(" AND p.geo_south IS NOT NULL");
                break;
            case FeedPlace.MapView when filter.View is { } view:
                where.Append(" AND p.geo_south IS NOT NULL AND (p.geo_south + p.geo_north) / 2 BETWEEN @viewSouth AND @viewNorth");
                parameters.Add("viewSouth", view.South);
                parameters.Add("viewNorth", view.North);
                // A map panned round the world gives longitudes past ±180: bring them back, and a view that wraps
                // becomes two longitude ranges; one 360° wide or more holds every longitude.
                if (view.East - view.West < 360)
                {
                    var west = ((view.West + 180) % 360 + 360) % 360 - 180;
                    var east = west + (view.East - view.West);
                    where.Append(east <= 180
                        ? " AND (p.geo_west + p.geo_east) / 2 BETWEEN @viewWest AND @viewEast"
                        : " AND ((p.geo_west + p.geo_east) / 2 >= @viewWest OR (p.geo_west + p.geo_east) / 2 <= @viewEast - 360)");
                    parameters.Add("viewWest", west);
                    parameters.Add("viewEast", east);
                }
                break;
        }
        return (where.ToString(), parameters);
    }

    /// <summary>How many posts pass the filter up to <paramref name="anchorId"/> (all when null), and the newest id overall.</summary>
    public async Task<(long Count, long MaxId)> HeadAsync(int incidentId, TriageFilter filter, long? anchorId = null, CancellationToken cancellationToken = default)
    {
        var (where, parameters) = Conditions(incidentId, filter);
        parameters.Add("anchorId", anchorId ?? long.MaxValue);
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleAsync<(long, long)>(new CommandDefinition($"""
            SELECT (SELECT count(*) FROM posts p WHERE {where} AND p.id <= @anchorId),
                   (SELECT coalesce(max(id), 0) FROM posts WHERE incident_id = @incidentId)
            """, parameters, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// How many posts pass the filter with an id above <paramref name="afterId"/> and up to <paramref name="upToId"/>: the
    /// new posts of a live update, read along the (incident, id) index rather than by counting the whole incident.
    /// </summary>
    public async Task<long> CountBetweenAsync(int incidentId, TriageFilter filter, long afterId, long upToId, CancellationToken cancellationToken = default)
    {
        var (where, parameters) = Conditions(incidentId, filter, fewPosts: true);
        parameters.Add("afterId", afterId);
        parameters.Add("upToId", upToId);
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            $"SELECT count(*) FROM posts p WHERE {where} AND p.id > @afterId AND p.id <= @upToId", parameters, cancellationToken: cancellationToken));
    }

    /// <summary>A window of the filtered feed, newest first, as it stood when the newest post was <paramref name="anchorId"/>.</summary>
    public async Task<IReadOnlyList<TriagePost>> PageAsync(int incidentId, TriageFilter filter, long anchorId, int offset, int count, CancellationToken cancellationToken = default)
    {
        var (where, parameters) = Conditions(incidentId, filter);
        parameters.AddDynamicParams(new { anchorId, offset, count, start = HighlightedText.Start.ToString(), stop = HighlightedText.Stop.ToString(), shown = PostText.CardRead });
        // HighlightAll returns the whole text; the marker characters are taken out of the text first so a post cannot forge a highlight.
        var headline = filter.HasSearch
            ? """
              ts_headline('simple'::regconfig, replace(replace(left(p.text, @shown), @start, ''), @stop, ''), websearch_to_tsquery('simple'::regconfig, @search),
                          format('StartSel=%s, StopSel=%s, HighlightAll=true', @start, @stop))
              """
            : "NULL";
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<TriagePost>(new CommandDefinition($"""
            SELECT p.id, p.platform, p.author_handle AS AuthorHandle, p.author_name AS AuthorName, p.created_at AS CreatedAt, left(p.text, @shown) AS text, p.url,
                   p.has_media AS HasMedia, p.lang, p.story_id AS StoryId, coalesce(s.size, 0) AS StorySize,
                   coalesce(t.flagged_at IS NOT NULL, false) AS Flagged, coalesce(t.reviewed_at IS NOT NULL, false) AS Reviewed,
                   {headline} AS Headline, p.edited_at AS EditedAt, p.deleted_at AS DeletedAt,
                   length(p.text) AS TextLength, p.extra->>'thumbnail' AS Thumbnail,
                   p.informativeness AS Informativeness, p.information_type AS InformationType, p.sentiment AS Sentiment
              FROM posts p
              LEFT JOIN stories s ON s.id = p.story_id
              LEFT JOIN post_triage t ON t.post_id = p.id
             WHERE {where} AND p.id <= @anchorId
             ORDER BY p.id DESC
            OFFSET @offset LIMIT @count
            """, parameters, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    public async Task<TriagePost?> PostAsync(long postId, CancellationToken cancellationToken = default)
    {
        // hot path: the post's text and card columns, read as the feed reads them (Npgsql by the rule in CrisisDeskDbContext's remarks).
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<TriagePost>(new CommandDefinition("""
            SELECT p.id, p.platform, p.author_handle AS AuthorHandle, p.author_name AS AuthorName, p.created_at AS CreatedAt, left(p.text, @shown) AS text, p.url,
                   p.has_media AS HasMedia, p.lang, p.story_id AS StoryId, coalesce(s.size, 0) AS StorySize,
                   coalesce(t.flagged_at IS NOT NULL, false) AS Flagged, coalesce(t.reviewed_at IS NOT NULL, false) AS Reviewed, NULL AS Headline,
                   p.edited_at AS EditedAt, p.deleted_at AS DeletedAt, length(p.text) AS TextLength, p.extra->>'thumbnail' AS Thumbnail,
                   p.informativeness AS Informativeness, p.information_type AS InformationType, p.sentiment AS Sentiment
              FROM posts p LEFT JOIN stories s ON s.id = p.story_id LEFT JOIN post_triage t ON t.post_id = p.id
             WHERE p.id = @postId
            """, new { postId, shown = PostText.DrawerRead }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Every version of an edited post, newest first (the one shown first; the original last). Empty for a post never
    /// edited. After retention the texts are empty, as the post's is.
    /// </summary>
    public async Task<IReadOnlyList<PostVersion>> VersionsAsync(long postId, CancellationToken cancellationToken = default)
    {
        // hot path: post_versions is a post volume table, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PostVersion>(new CommandDefinition("""
            SELECT version, original, left(text, @shown) AS text, version_at AS VersionAt, received_at AS ReceivedAt
              FROM post_versions WHERE post_id = @postId
             ORDER BY original, version_at DESC, received_at DESC, version DESC
            """, new { postId, shown = PostText.DrawerRead }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>The platforms and languages present in the incident, for the filter menus.</summary>
    public async Task<(IReadOnlyList<string> Platforms, IReadOnlyList<string> Languages)> FacetsAsync(int incidentId, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var platforms = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT DISTINCT platform FROM posts WHERE incident_id = @incidentId ORDER BY 1", new { incidentId }, cancellationToken: cancellationToken));
        var languages = await connection.QueryAsync<string>(new CommandDefinition(
            "SELECT lang FROM posts WHERE incident_id = @incidentId AND lang IS NOT NULL GROUP BY lang ORDER BY count(*) DESC LIMIT 30", new { incidentId }, cancellationToken: cancellationToken));
        return (platforms.ToList(), languages.ToList());
    }

    /// <summary>The incident's stories with more than one post, fastest-growing and then largest first.</summary>
    public async Task<IReadOnlyList<StoryRow>> TopStoriesAsync(int incidentId, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Stories.AsNoTracking()
            .Where(s => s.IncidentId == incidentId && s.Size > 1)
            .OrderByDescending(s => s.GrowthPerMinute).ThenByDescending(s => s.Size).ThenBy(s => s.Id)
            .Take(limit)
            .Select(s => new StoryRow(s.Id, s.Size, s.FirstPostAt, s.LatestPostAt, s.GrowthPerMinute, s.SampleText))
            .ToListAsync(cancellationToken);
    }

    public async Task<StoryRow?> StoryAsync(long storyId, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.Stories.AsNoTracking()
            .Where(s => s.Id == storyId)
            .Select(s => new StoryRow(s.Id, s.Size, s.FirstPostAt, s.LatestPostAt, s.GrowthPerMinute, s.SampleText))
            .SingleOrDefaultAsync(cancellationToken);
    }

    /// <summary>A story's members, oldest first (the first post is the original).</summary>
    public async Task<IReadOnlyList<TriagePost>> StoryMembersAsync(long storyId, int limit, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<TriagePost>(new CommandDefinition("""
            SELECT p.id, p.platform, p.author_handle AS AuthorHandle, p.author_name AS AuthorName, p.created_at AS CreatedAt, left(p.text, @shown) AS text, p.url,
                   p.has_media AS HasMedia, p.lang, p.story_id AS StoryId, coalesce(s.size, 0) AS StorySize,
                   coalesce(t.flagged_at IS NOT NULL, false) AS Flagged, coalesce(t.reviewed_at IS NOT NULL, false) AS Reviewed, NULL AS Headline,
                   p.edited_at AS EditedAt, p.deleted_at AS DeletedAt, length(p.text) AS TextLength, p.extra->>'thumbnail' AS Thumbnail,
                   p.informativeness AS Informativeness, p.information_type AS InformationType, p.sentiment AS Sentiment
              FROM posts p JOIN stories s ON s.id = p.story_id LEFT JOIN post_triage t ON t.post_id = p.id
             WHERE p.story_id = @storyId
             ORDER BY p.created_at, p.id LIMIT @limit
            """, new { storyId, limit, shown = PostText.CardRead }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>What news outlets and agencies published, newest first.</summary>
    public async Task<IReadOnlyList<MediaItem>> MediaAsync(int incidentId, int limit, CancellationToken cancellationToken = default)
    {
        // hot path: posts at volume, Npgsql by the rule in CrisisDeskDbContext's remarks.
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<MediaItem>(new CommandDefinition($"""
            SELECT id, platform, coalesce(extra->>'outlet', author_name, author_handle, platform) AS Outlet, created_at AS CreatedAt, text, url
              FROM posts p WHERE incident_id = @incidentId AND {TriageFilter.OfficialCondition}
             ORDER BY created_at DESC, id DESC LIMIT @limit
            """, new { incidentId, limit, official = TriageFilter.OfficialPlatforms.ToArray() }, cancellationToken: cancellationToken));
        return rows.ToList();
    }
}
