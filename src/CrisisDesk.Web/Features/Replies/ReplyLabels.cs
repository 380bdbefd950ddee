using System.Globalization;
using CrisisDesk.Web.Features.Enquiries;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>A reply's state in words: waiting for approval, sent back, queued, delivered, or what went wrong.</summary>
public static class ReplyLabels
{
    public static string State(ReplyView reply) => reply.State switch
    {
        ReplyView.AwaitingApproval => "waiting for approval",
        ReplyView.Rejected => "sent back" + (reply.DecisionComment is { } why ? $": {why}" : ""),
        _ => reply.DeliveryStatus switch
        {
            "succeeded" => "delivered",
            "failed" => "not delivered",
            "abandoned" => "abandoned",
            _ => "sending",
        },
    };
}

/// <summary>An enquiry's status and wait in words.</summary>
public static class EnquiryLabels
{
    public static string Status(string status) => status switch
    {
        "open" => "Open",
        "answered" => "Answered",
        "no-answer-needed" => "No answer needed",
        _ => status,
    };

    /// <summary>"waiting 12 min" while open; "after 4 min" once answered (beside the status word).</summary>
    public static string Waited(EnquiryView enquiry, DateTimeOffset now)
    {
        var wait = Duration(enquiry.Waited(now));
        return enquiry.FirstAnsweredAt is not null ? $"after {wait}" : enquiry.Status == "open" ? $"waiting {wait}" : $"closed after {wait}";
    }

    public static string Duration(TimeSpan span) => span.TotalMinutes < 1 ? $"{Math.Max(0, (int)span.TotalSeconds)} s"
        : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min"
        : span.TotalDays < 1 ? string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalHours} h {span.Minutes} min")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)span.TotalDays} d {span.Hours} h");
}
