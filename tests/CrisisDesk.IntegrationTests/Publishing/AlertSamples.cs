using CrisisDesk.Core.Alerts;

namespace CrisisDesk.IntegrationTests.Publishing;

/// <summary>A valid CAP alert as an operator would compose it (identity and sent time are the server's to set).</summary>
internal static class AlertSamples
{
    public static CapAlert Flood(string headline = "Evacuate Lower Town now: River Ouse has breached its banks", CapStatus status = CapStatus.Actual) => new()
    {
        Identifier = "composer-placeholder",
        Sender = "composer@placeholder",
        Sent = new DateTimeOffset(2026, 11, 21, 14, 32, 0, TimeSpan.Zero),
        Status = status,
        MsgType = CapMsgType.Alert,
        Scope = CapScope.Public,
        Infos =
        [
            new CapInfo
            {
                Language = "en-GB",
                Categories = [CapCategory.Met],
                Event = "River flooding",
                ResponseTypes = [CapResponseType.Evacuate],
                Urgency = CapUrgency.Immediate,
                Severity = CapSeverity.Severe,
                Certainty = CapCertainty.Observed,
                SenderName = "Riverside Council Emergency Team",
                Headline = headline,
                Description = "Water is rising fast on Quay Street and Mill Lane.",
                Instruction = "Leave now by the A59. Do not drive through flood water.",
                Parameters = [new CapValuePair("CMAMtext", "Flood: evacuate Lower Town now")],
                Areas =
                [
                    new CapArea
                    {
                        AreaDesc = "Lower Town",
                        Polygons = [new CapPolygon([new(53.9590m, -1.0815m), new(53.9620m, -1.0700m), new(53.9550m, -1.0650m), new(53.9590m, -1.0815m)])],
                        Circles = [new CapCircle(new CapPoint(53.9600m, -1.0750m), 2.5m)],
                    },
                ],
            },
        ],
    };

    public static CapAlert Issued(string identifier) => Flood() with { Identifier = identifier, Sender = "alerts@riverside.example.gov", Sent = DateTimeOffset.UtcNow.AddSeconds(-DateTimeOffset.UtcNow.Second) };
}
