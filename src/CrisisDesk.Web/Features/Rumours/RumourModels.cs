using CrisisDesk.Core.Rumours;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Rumours;

/// <summary>A rumour as stored, with the version every change must name.</summary>
public sealed record RumourState
{
    public int Id { get; init; }
    public int IncidentId { get; init; }
    public string Claim { get; init; } = "";
    public string Severity { get; init; } = "";
    public string Owner { get; init; } = "";
    public string Status { get; init; } = nameof(RumourStatus.New);
    public int Version { get; init; }
    public string[] Keywords { get; init; } = [];
    public DateTime CreatedAt { get; init; }
    public string CreatedBy { get; init; } = "";
    public DateTime UpdatedAt { get; init; }

    [System.Text.Json.Serialization.JsonIgnore]
    public RumourStatus StatusValue => Enum.Parse<RumourStatus>(Status);

    public string StatusLabel => RumourLifecycle.Label(StatusValue);
}

/// <summary>A rumour on the board: its state and how far it has spread.</summary>
public sealed record RumourCard(RumourState Rumour, long LinkedPosts, long LinkedStories, long PendingSuggestions);

/// <summary>An entry of a rumour's history.</summary>
public sealed record RumourNote(long Id, DateTime At, string Author, string? FromStatus, string? ToStatus, string Note);

/// <summary>A story proposed as a link, awaiting a person's decision.</summary>
public sealed record RumourSuggestion(long Id, int RumourId, long StoryId, long PostId, double Score, string Reason, string PostText, int StorySize, DateTime CreatedAt);

/// <summary>Linked posts per minute of event time.</summary>
public sealed record SpreadMinute(DateTime Minute, int Count)
{
    public string Label => Minute.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>Input that cannot be accepted; the message says what to change.</summary>
public sealed class RumourInputException(string message) : CommandException(message, StatusCodes.Status400BadRequest);

/// <summary>
/// The change was based on an older version: someone else changed the rumour first. Carries the current state, so the
/// person sees what changed and can apply their change again (their input is kept by the page).
/// </summary>
public sealed class RumourConflictException(RumourState current, int expectedVersion)
    : CommandException($"Rumour {current.Id} was changed by someone else (it is now version {current.Version}, status {RumourLifecycle.Label(current.StatusValue)}, you had version {expectedVersion}).",
        StatusCodes.Status409Conflict)
{
    public RumourState Current { get; } = current;

    /// <summary>The conflict with the rumour as it is now, so a script can show it and try again.</summary>
    public override IResult ToResult() => Results.Json(new { title = "Conflict", detail = Message, current = Current }, statusCode: StatusCode);
}

/// <summary>The rumour's latest rebuttal: where its answer stands.</summary>
public sealed record RumourRebuttal(int Id, int RumourId, string Title, string State, int Version);
