using System.Text;
using CrisisDesk.Web.Features.Notifications;

namespace CrisisDesk.Web.Features.RecipientLists;

/// <summary>One line of a CSV file that was not taken, and why (line numbers are the file's, from 1).</summary>
public sealed record RejectedLine(int Line, string Value, string Reason);

/// <summary>A recipient as read from a file or typed: a display name (may be empty) and a checked, normalised address.</summary>
public sealed record RecipientInput(int Line, string Name, string Address);

/// <summary>What a CSV file holds for a list: the recipients it can take, and every line it cannot, with the reason.</summary>
public sealed record CsvReading(IReadOnlyList<RecipientInput> Recipients, IReadOnlyList<RejectedLine> Rejected);

/// <summary>
/// Reads recipients from CSV (RFC 4180: commas, double-quoted fields with "" inside and line breaks, CRLF or LF).
/// Header-aware: a first row naming its columns (name; email/address for email lists; phone/number/mobile/address
/// for SMS lists) says where they are, in any order; without one, the columns are name,address, or address alone.
/// Each address is checked and normalised here (email as given, numbers to E.164); a bad or repeated one is
/// reported with its line and the rest is still taken.
/// </summary>
public static class RecipientCsv
{
    public const int MaxRows = 50_000;

    private static readonly string[] NameHeaders = ["name", "full name", "display name"];
    private static readonly string[] EmailHeaders = ["email", "e-mail", "email address", "address", "mail"];
    private static readonly string[] PhoneHeaders = ["phone", "number", "phone number", "mobile", "msisdn", "address", "sms"];

    public static CsvReading Read(string text, string kind)
    {
        var rows = Rows(text).ToList();
        var recipients = new List<RecipientInput>();
        var rejected = new List<RejectedLine>();
        if (rows.Count == 0)
            return new CsvReading(recipients, rejected);
        var addressHeaders = kind == RecipientListKinds.Sms ? PhoneHeaders : EmailHeaders;
        var header = rows[0].Fields.Select(f => f.Trim().ToLowerInvariant()).ToList();
        int nameAt, addressAt;
        var start = 0;
        if (header.Any(h => NameHeaders.Contains(h) || addressHeaders.Contains(h)))
        {
            nameAt = header.FindIndex(h => NameHeaders.Contains(h));
            addressAt = header.FindIndex(h => addressHeaders.Contains(h));
            start = 1;
            if (addressAt < 0)
            {
                rejected.Add(new RejectedLine(rows[0].Line, string.Join(",", rows[0].Fields),
                    $"the header names no {(kind == RecipientListKinds.Sms ? "phone" : "email")} column ({string.Join(", ", addressHeaders)})"));
                return new CsvReading(recipients, rejected);
            }
        }
        else
        {
            (nameAt, addressAt) = rows[0].Fields.Count == 1 ? (-1, 0) : (0, 1);
        }

        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var row in rows.Skip(start))
        {
            if (recipients.Count + rejected.Count >= MaxRows)
            {
                rejected.Add(new RejectedLine(row.Line, "", $"the file has more than {MaxRows} rows: split it"));
                break;
            }
            var raw = addressAt < row.Fields.Count ? row.Fields[addressAt].Trim() : "";
            var name = nameAt >= 0 && nameAt < row.Fields.Count ? row.Fields[nameAt].Trim() : "";
            var (address, problem) = Check(raw, kind);
            if (problem is not null)
                rejected.Add(new RejectedLine(row.Line, raw, problem));
            else if (!seen.Add(address!))
                rejected.Add(new RejectedLine(row.Line, raw, $"duplicate: {address} is already in this file"));
            else
                recipients.Add(new RecipientInput(row.Line, name.Length > 200 ? name[..200] : name, address!));
        }
        return new CsvReading(recipients, rejected);
    }

    /// <summary>The normalised address, or why it cannot be one (used for typed recipients too).</summary>
    public static (string? Address, string? Problem) Check(string raw, string kind)
    {
        if (raw.Length == 0)
            return (null, kind == RecipientListKinds.Sms ? "no phone number" : "no email address");
        if (kind == RecipientListKinds.Sms)
        {
            var number = Contacts.NormalisePhone(raw);
            if (number.StartsWith("00", StringComparison.Ordinal))
                number = "+" + number[2..];
            return Contacts.PhoneProblem(number) is null
                ? (number, null)
                : (null, number.StartsWith('+') || number.StartsWith("00", StringComparison.Ordinal)
                    ? "not a phone number that can be written in E.164 form (+ country code, 7 to 15 digits)"
                    : "not in international form: start with + and the country code (+44 7700 900123), E.164 has no national numbers");
        }
        return Contacts.EmailProblem(raw) is null ? (raw, null) : (null, "malformed email address (name@example.org)");
    }

    private sealed record Row(int Line, List<string> Fields);

    /// <summary>The file's non-empty records, each with the line it starts on.</summary>
    private static IEnumerable<Row> Rows(string text)
    {
        if (text.Length > 0 && text[0] == '\uFEFF')
            text = text[1..];
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var rowLine = 1;
        var quoted = false;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i += 2;
                    continue;
                }
                if (c == '"')
                    quoted = false;
                else
                {
                    if (c == '\n')
                        line++;
                    field.Append(c);
                }
                i++;
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    field.Clear();
                    if (fields.Any(f => f.Trim().Length > 0))
                        yield return new Row(rowLine, fields);
                    fields = [];
                    line++;
                    rowLine = line;
                    break;
                default:
                    field.Append(c);
                    break;
            }
            i++;
        }
        fields.Add(field.ToString());
        if (fields.Any(f => f.Trim().Length > 0))
            yield return new Row(rowLine, fields);
    }
}
