using System.Globalization;
using CrisisDesk.Core.Posts;

namespace CrisisDesk.Core.Ingest.Formats;

/// <summary>
/// One record of a CrisisLexT26 labelled file: <c>"Tweet ID","Tweet Text",Information Source,Information Type,Informativeness</c>.
/// The files carry no time or author: the time comes from the tweet id, which is a snowflake (milliseconds since the
/// X epoch in its top bits).
/// </summary>
public sealed class CrisisLexCsvFormat : IPostNormaliser
{
    public const string Name = "crisislex.csv";

    /// <summary>The header line of the labelled files, as published.</summary>
    public const string Header = "Tweet ID, Tweet Text, Information Source, Information Type, Informativeness";

    private const long SnowflakeEpochMs = 1288834974657;

    public string Format => Name;

    public NormaliseResult Normalise(ReadOnlySpan<byte> payload)
    {
        var line = PayloadText.DecodeUtf8(payload, out var error);
        if (line is null)
            return NormaliseResult.Malformed(error!);
        var fields = Csv.ParseRecord(line, out error);
        if (fields is null)
            return NormaliseResult.Malformed(error!);
        if (fields.Count != 5)
            return NormaliseResult.Malformed($"a CrisisLex record has 5 fields (id, text, source, type, informativeness), this one has {fields.Count}");
        var id = fields[0].Trim();
        if (!ulong.TryParse(id, NumberStyles.None, CultureInfo.InvariantCulture, out var snowflake))
            return NormaliseResult.Malformed($"the tweet id \"{Truncate(id)}\" is not a number");
        var created = SnowflakeTime(snowflake);
        if (created is null)
            return NormaliseResult.Malformed($"the tweet id {id} is not a snowflake id (from before November 2010): its time is unknown");
        return NormaliseResult.Ok(new Post
        {
            Platform = "x",
            ExternalId = id,
            CreatedAt = created.Value,
            Text = fields[1],
            Url = $"https://x.com/i/web/status/{id}",
            Extra = PayloadText.ExtraJson(
                ("informationSource", fields[2].Trim()),
                ("informationType", fields[3].Trim()),
                ("informativeness", fields[4].Trim())),
        });
    }

    /// <summary>The time encoded in a snowflake id, or null for ids from before snowflakes.</summary>
    public static DateTimeOffset? SnowflakeTime(ulong id)
    {
        var ms = (long)(id >> 22) + SnowflakeEpochMs;
        // Pre-snowflake ids are small sequential numbers; they decode to times before the scheme existed.
        return id < (1UL << 32) ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms);
    }

    private static string Truncate(string value) => value.Length <= 40 ? value : value[..40] + "…";
}

/// <summary>RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks.</summary>
public static class Csv
{
    /// <summary>Splits one record into fields; null with a reason when a quote is left open or stray.</summary>
    public static List<string>? ParseRecord(string record, out string? error)
    {
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var i = 0;
        error = null;
        while (true)
        {
            field.Clear();
            if (i < record.Length && record[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= record.Length)
                    {
                        error = "a quoted field is not closed";
                        return null;
                    }
                    if (record[i] == '"')
                    {
                        if (i + 1 < record.Length && record[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    field.Append(record[i++]);
                }
                // Tolerate spaces between a closing quote and the comma, as the published header has after commas.
                while (i < record.Length && record[i] == ' ')
                    i++;
                if (i < record.Length && record[i] != ',')
                {
                    error = $"unexpected character '{record[i]}' after a quoted field at position {i}";
                    return null;
                }
            }
            else
            {
                var end = record.IndexOf(',', i);
                if (end < 0)
                    end = record.Length;
                field.Append(record, i, end - i);
                i = end;
            }
            fields.Add(field.ToString());
            if (i >= record.Length)
                return fields;
            i++; // the comma
        }
    }

    /// <summary>
    /// Splits a file's bytes into records (respecting quoted line breaks), each with its byte range, without decoding:
    /// a record with bad bytes is reported on its own and the rest of the file still reads.
    /// </summary>
    public static IEnumerable<(int Start, int Length)> SplitRecords(ReadOnlyMemory<byte> data)
    {
        var start = 0;
        var quoted = false;
        for (var i = 0; i < data.Length; i++)
        {
            var b = data.Span[i];
            if (b == (byte)'"')
                quoted = !quoted;
            else if (b == (byte)'\n' && !quoted)
            {
                var end = i > start && data.Span[i - 1] == (byte)'\r' ? i - 1 : i;
                if (end > start)
                    yield return (start, end - start);
                start = i + 1;
            }
        }
        if (start < data.Length)
            yield return (start, data.Length - start);
    }
}
