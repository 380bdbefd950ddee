using System.Globalization;

namespace CrisisDesk.Core.Ingest.Formats.Feeds;

/// <summary>
/// Dates as feeds really write them: RFC 822 (RSS <c>pubDate</c>) with its common deviations (two-digit years,
/// full day and month names, missing seconds, named and colon zones) and RFC 3339 (Atom, <c>dc:date</c>, CAP),
/// including a space for <c>T</c> and a missing offset. A zone-less time is read as UTC.
/// </summary>
public static class FeedDates
{
    private static readonly string[] Rfc3339Formats =
    [
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd'T'HH:mmK",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", "yyyy-MM-dd'T'HH:mm:sszzz",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd",
    ];

    private static readonly Dictionary<string, int> ZoneMinutes = new(StringComparer.OrdinalIgnoreCase)
    {
        ["GMT"] = 0, ["UT"] = 0, ["UTC"] = 0, ["Z"] = 0, ["WET"] = 0,
        ["EST"] = -300, ["EDT"] = -240, ["CST"] = -360, ["CDT"] = -300,
        ["MST"] = -420, ["MDT"] = -360, ["PST"] = -480, ["PDT"] = -420,
        ["AKST"] = -540, ["AKDT"] = -480, ["HST"] = -600,
        ["BST"] = 60, ["IST"] = 60, ["CET"] = 60, ["CEST"] = 120, ["WEST"] = 60, ["EET"] = 120, ["EEST"] = 180,
        ["AEST"] = 600, ["AEDT"] = 660, ["ACST"] = 570, ["ACDT"] = 630, ["AWST"] = 480, ["NZST"] = 720, ["NZDT"] = 780,
    };

    private static readonly string[] Months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

    public static bool TryParse(string? value, out DateTimeOffset result)
    {
        result = default;
        if (string.IsNullOrWhiteSpace(value))
        {
            return false;
        }

        var text = value.Trim();
        return LooksIso(text) ? TryParseRfc3339(text, out result) : TryParseRfc822(text, out result) || TryParseRfc3339(text, out result);
    }

    private static bool LooksIso(string text) => text.Length >= 10 && char.IsAsciiDigit(text[0]) && text[4] == '-';

    private static bool TryParseRfc3339(string text, out DateTimeOffset result)
    {
        // Real feeds: lower-case t/z, a space for T, "+0100" without the colon.
        var normal = text.Replace(' ', 'T').ToUpperInvariant();
        if (normal.Length > 5 && (normal[^5] == '+' || normal[^5] == '-') && normal[^4..].All(char.IsAsciiDigit) && normal.IndexOf('T', StringComparison.Ordinal) > 0)
        {
            normal = string.Concat(normal.AsSpan(0, normal.Length - 2), ":", normal.AsSpan(normal.Length - 2));
        }

        return DateTimeOffset.TryParseExact(normal, Rfc3339Formats, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out result);
    }

    private static bool TryParseRfc822(string text, out DateTimeOffset result)
    {
        result = default;
        var tokens = text.Split([' ', ',', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries);
        var i = 0;
        if (i < tokens.Length && char.IsLetter(tokens[i][0]) && !IsMonth(tokens[i]))
        {
            i++; // day name, possibly wrong or in full: ignored, the date itself decides
        }

        if (tokens.Length - i < 4)
        {
            return false;
        }

        int day;
        int month;
        // "10 Jun 2003" is the norm; "Jun 10 2003" turns up too.
        if (int.TryParse(tokens[i], NumberStyles.None, CultureInfo.InvariantCulture, out day) && IsMonth(tokens[i + 1]))
        {
            month = MonthNumber(tokens[i + 1]);
        }
        else if (IsMonth(tokens[i]) && int.TryParse(tokens[i + 1], NumberStyles.None, CultureInfo.InvariantCulture, out day))
        {
            month = MonthNumber(tokens[i]);
        }
        else
        {
            return false;
        }

        if (!int.TryParse(tokens[i + 2], NumberStyles.None, CultureInfo.InvariantCulture, out var year))
        {
            return false;
        }

        if (tokens[i + 2].Length <= 2)
        {
            year += year < 50 ? 2000 : 1900;
        }

        var timeParts = tokens[i + 3].Split(':');
        if (timeParts.Length is < 2 or > 3
            || !int.TryParse(timeParts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hour)
            || !int.TryParse(timeParts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minute))
        {
            return false;
        }

        var second = 0;
        if (timeParts.Length == 3 && !int.TryParse(timeParts[2].Split('.')[0], NumberStyles.None, CultureInfo.InvariantCulture, out second))
        {
            return false;
        }

        var offsetMinutes = 0;
        if (tokens.Length > i + 4 && !TryZone(tokens[i + 4], out offsetMinutes))
        {
            offsetMinutes = 0; // an unknown zone name: UTC is the least wrong guess, and the item is not lost
        }

        if (month < 1 || day is < 1 or > 31 || hour > 23 || minute > 59 || second > 60 || year is < 1 or > 9999 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        result = new DateTimeOffset(year, month, day, hour, minute, Math.Min(second, 59), TimeSpan.FromMinutes(offsetMinutes));
        return true;
    }

    private static bool IsMonth(string token) => MonthNumber(token) > 0;

    private static int MonthNumber(string token)
    {
        if (token.Length < 3 || !char.IsLetter(token[0]))
        {
            return 0;
        }

        var prefix = token[..3].ToLowerInvariant();
        return Array.IndexOf(Months, prefix) + 1;
    }

    private static bool TryZone(string token, out int minutes)
    {
        minutes = 0;
        if (ZoneMinutes.TryGetValue(token, out minutes))
        {
            return true;
        }

        var zone = token.Replace(":", "", StringComparison.Ordinal);
        if (zone.StartsWith("GMT", StringComparison.OrdinalIgnoreCase) || zone.StartsWith("UTC", StringComparison.OrdinalIgnoreCase))
        {
            zone = zone[3..];
        }

        if (zone.Length == 5 && (zone[0] == '+' || zone[0] == '-')
            && int.TryParse(zone.AsSpan(1, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var h)
            && int.TryParse(zone.AsSpan(3, 2), NumberStyles.None, CultureInfo.InvariantCulture, out var m))
        {
            minutes = (zone[0] == '-' ? -1 : 1) * (h * 60 + m);
            return h <= 14 && m < 60;
        }

        return false;
    }
}
