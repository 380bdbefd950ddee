namespace CrisisDesk.Web.Features.WarRoom;

/// <summary>
/// The "now" an incident's relative windows ("last 15 min") and charts count back from. A live incident runs on the
/// wall clock. A drill or a replay runs on its own clock: the newest post's event time, the replay's virtual now
/// (its posts are from 2015; compared with today's clock every window would be empty).
/// </summary>
public static class IncidentClock
{
    /// <param name="onEventTime">The incident is a drill, or every source it has replays a recording.</param>
    /// <param name="newestEventTime">The event time of the incident's newest post, if it has any.</param>
    /// <param name="wallClock">The wall clock now.</param>
    public static DateTime Now(bool onEventTime, DateTime? newestEventTime, DateTimeOffset wallClock) =>
        onEventTime && newestEventTime is { } newest ? AsUtc(newest) : wallClock.UtcDateTime;

    /// <summary>Words under a chart or window saying which clock it runs on.</summary>
    public static string Describe(bool onEventTime) =>
        onEventTime ? "incident time (the newest post's, as the replay runs)" : "now (UTC)";

    private static DateTime AsUtc(DateTime time) => time.Kind switch
    {
        DateTimeKind.Utc => time,
        DateTimeKind.Local => time.ToUniversalTime(),
        _ => DateTime.SpecifyKind(time, DateTimeKind.Utc),
    };
}
