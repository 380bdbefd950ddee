using System.Globalization;
using System.Text.RegularExpressions;

namespace CrisisDesk.Core.Alerts;

/// <summary>
/// CAP 1.2 date-times (section 3.3.2): <c>YYYY-MM-DDThh:mm:ssXzh:zm</c>, whole seconds, always an explicit offset,
/// never the letter <c>Z</c>; UTC is written <c>-00:00</c>.
/// </summary>
public static partial class CapDateTime
{
    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$", RegexOptions.CultureInvariant)]
    private static partial Regex CapForm();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+", RegexOptions.CultureInvariant)]
    private static partial Regex WithFraction();

    /// <summary>Writes the CAP form. Sub-second parts are dropped: CAP has none.</summary>
    public static string Format(DateTimeOffset value)
    {
        var whole = new DateTimeOffset(value.Ticks - (value.Ticks % TimeSpan.TicksPerSecond), value.Offset);
        var text = whole.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture);
        var offset = whole.Offset;
        if (offset == TimeSpan.Zero)
        {
            return text + "-00:00";
        }
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return text + sign + abs.Hours.ToString("00", CultureInfo.InvariantCulture) + ":" + abs.Minutes.ToString("00", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads a date-time only when it is in the exact CAP form.</summary>
    public static bool TryParse(string text, out DateTimeOffset value)
    {
        value = default;
        return CapForm().IsMatch(text)
            && DateTimeOffset.TryParseExact(text, "yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    /// <summary>Null when <paramref name="text"/> is a CAP date-time; otherwise what is wrong with it, in plain words.</summary>
    public static string? DescribeProblem(string text)
    {
        if (TryParse(text, out _))
        {
            return null;
        }
        var shown = "'" + text + "'";
        if (text.EndsWith('Z') || text.EndsWith('z'))
        {
            return shown + " ends in 'Z': CAP requires a numeric offset, written '-00:00' for UTC";
        }
        if (WithFraction().IsMatch(text))
        {
            return shown + " has fractional seconds: CAP date-times stop at whole seconds (YYYY-MM-DDThh:mm:ss+hh:mm)";
        }
        if (CapForm().IsMatch(text))
        {
            return shown + " is not a real date and time (a month, day, hour, minute or offset is out of range)";
        }
        if (Regex.IsMatch(text, @"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$", RegexOptions.CultureInvariant))
        {
            return shown + " has no time-zone offset: CAP requires one, such as '+01:00' or '-00:00' for UTC";
        }
        return shown + " is not in the CAP date-time form YYYY-MM-DDThh:mm:ss+hh:mm (for example 2026-11-21T14:32:00-00:00)";
    }
}
