using System.Text;
using CrisisDesk.Core.Ingest.Formats;
using CrisisDesk.Core.Posts;
using Xunit;

namespace CrisisDesk.TestSupport;

/// <summary>Posts made through the real tweet format, as ingest would make them.</summary>
public static class TestPosts
{
    /// <summary>A tweet with exact coordinates (GeoJSON order: longitude, latitude), text "Seen at {id}".</summary>
    public static Post LocatedTweet(string id, double lat, double lon)
    {
        var point = FormattableString.Invariant($"[{lon},{lat}]");
        var json = $$$"""{"id_str":"{{{id}}}","created_at":"Tue Mar 24 10:00:00 +0000 2015","text":"Seen at {{{id}}}","user":{"screen_name":"u{{{id}}}"},"coordinates":{"type":"Point","coordinates":{{{point}}}}}""";
        return Assert.IsType<Post>(new XV1TweetFormat().Normalise(Encoding.UTF8.GetBytes(json)).Post);
    }
}
