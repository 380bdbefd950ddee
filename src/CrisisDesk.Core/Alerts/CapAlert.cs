namespace CrisisDesk.Core.Alerts;

/// <summary>
/// An OASIS CAP 1.2 alert message (the <c>alert</c> element). Property names follow the CAP element names.
/// The model holds what CAP can say; whether a given alert obeys the CAP rules is <see cref="CapValidator"/>'s job.
/// </summary>
public sealed record CapAlert
{
    /// <summary>Unique per sender; CAP forbids spaces, commas, '&lt;' and '&amp;'.</summary>
    public required string Identifier { get; init; }

    /// <summary>Globally unique originator id (for example an e-mail address or domain); same character rules as identifier.</summary>
    public required string Sender { get; init; }

    /// <summary>Origination time. CAP keeps whole seconds and an explicit offset.</summary>
    public required DateTimeOffset Sent { get; init; }

    public required CapStatus Status { get; init; }
    public required CapMsgType MsgType { get; init; }
    public string? Source { get; init; }
    public required CapScope Scope { get; init; }

    /// <summary>Rule for limiting distribution; used with (and only with) <see cref="CapScope.Restricted"/>.</summary>
    public string? Restriction { get; init; }

    /// <summary>Intended recipients; required with <see cref="CapScope.Private"/>. Written space-separated, quoted when an address holds whitespace.</summary>
    public EquatableList<string> Addresses { get; init; } = [];

    /// <summary>Special handling codes (for example a CAP profile URN).</summary>
    public EquatableList<string> Codes { get; init; } = [];

    public string? Note { get; init; }

    /// <summary>Earlier messages this one updates, cancels, acknowledges or rejects.</summary>
    public EquatableList<CapReference> References { get; init; } = [];

    /// <summary>Incident names this message belongs to. Written space-separated, quoted when a name holds whitespace.</summary>
    public EquatableList<string> Incidents { get; init; } = [];

    /// <summary>One block per language (or per distinct audience).</summary>
    public EquatableList<CapInfo> Infos { get; init; } = [];

    /// <summary>This message as other messages refer to it in their <c>references</c>.</summary>
    public CapReference AsReference() => new(Sender, Identifier, Sent);
}

/// <summary>One entry of <c>references</c>: an earlier message named by <c>sender,identifier,sent</c>.</summary>
public sealed record CapReference(string Sender, string Identifier, DateTimeOffset Sent)
{
    public override string ToString() => $"{Sender},{Identifier},{CapDateTime.Format(Sent)}";
}

/// <summary>A CAP <c>valueName</c>/<c>value</c> pair (eventCode, parameter, geocode).</summary>
public sealed record CapValuePair(string ValueName, string Value);

/// <summary>The <c>info</c> element: what happened, what to do, where, in one language.</summary>
public sealed record CapInfo
{
    /// <summary>RFC 3066 language tag; CAP reads a missing one as <see cref="DefaultLanguage"/>.</summary>
    public string? Language { get; init; }

    public const string DefaultLanguage = "en-US";

    public required EquatableList<CapCategory> Categories { get; init; }
    public required string Event { get; init; }
    public EquatableList<CapResponseType> ResponseTypes { get; init; } = [];
    public required CapUrgency Urgency { get; init; }
    public required CapSeverity Severity { get; init; }
    public required CapCertainty Certainty { get; init; }
    public string? Audience { get; init; }
    public EquatableList<CapValuePair> EventCodes { get; init; } = [];
    public DateTimeOffset? Effective { get; init; }
    public DateTimeOffset? Onset { get; init; }
    public DateTimeOffset? Expires { get; init; }
    public string? SenderName { get; init; }

    /// <summary>Short and direct; CAP suggests 160 characters as a target.</summary>
    public string? Headline { get; init; }

    public string? Description { get; init; }
    public string? Instruction { get; init; }

    /// <summary>Absolute URI of a page with more information.</summary>
    public string? Web { get; init; }

    public string? Contact { get; init; }
    public EquatableList<CapValuePair> Parameters { get; init; } = [];
    public EquatableList<CapResource> Resources { get; init; } = [];
    public EquatableList<CapArea> Areas { get; init; } = [];
}

/// <summary>The <c>resource</c> element: a file that adds to the info (image, audio, map).</summary>
public sealed record CapResource
{
    public required string ResourceDesc { get; init; }

    /// <summary>RFC 2046 MIME type, for example <c>image/png</c>.</summary>
    public required string MimeType { get; init; }

    /// <summary>Size in bytes.</summary>
    public long? Size { get; init; }

    public string? Uri { get; init; }

    /// <summary>The resource itself, base-64 encoded, when it travels inside the message.</summary>
    public string? DerefUri { get; init; }

    /// <summary>SHA-1 of the resource file, hexadecimal.</summary>
    public string? Digest { get; init; }
}

/// <summary>The <c>area</c> element: the geographic area the info applies to.</summary>
public sealed record CapArea
{
    public required string AreaDesc { get; init; }
    public EquatableList<CapPolygon> Polygons { get; init; } = [];
    public EquatableList<CapCircle> Circles { get; init; } = [];
    public EquatableList<CapValuePair> Geocodes { get; init; } = [];

    /// <summary>Altitude in feet above mean sea level (the lower limit when <see cref="Ceiling"/> is set).</summary>
    public decimal? Altitude { get; init; }

    /// <summary>Upper limit in feet; CAP allows it only together with <see cref="Altitude"/>.</summary>
    public decimal? Ceiling { get; init; }
}
