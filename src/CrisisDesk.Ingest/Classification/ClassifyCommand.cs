using System.Globalization;
using System.Text;
using System.Text.Json;
using CrisisDesk.Core.Classification;
using CrisisDesk.Core.Ingest.Formats;

namespace CrisisDesk.Ingest.Classification;

/// <summary>
/// <c>classify FILE</c>: reads a CrisisLexT26 labelled CSV, or JSON Lines with at least <c>id</c> and <c>text</c>, and
/// writes one JSON line per post: <c>{"id": "...", "informative": true|false, "informationType": "...", "sentiment": n}</c>.
/// A record it cannot read is reported on standard error with its number and the reason, and the rest are still
/// classified; the exit code is then 1 (2 for a missing file or bad usage, 0 when every record was read).
/// </summary>
public static class ClassifyCommand
{
    public const int ExitOk = 0;
    public const int ExitSomeRecordsUnreadable = 1;
    public const int ExitUsage = 2;

    public static async Task<int> RunAsync(string path, TextWriter output, TextWriter errors, PostClassifier classifier)
    {
        if (!File.Exists(path))
        {
            await errors.WriteLineAsync($"classify: {path}: no such file").ConfigureAwait(false);
            return ExitUsage;
        }
        var bytes = await File.ReadAllBytesAsync(path).ConfigureAwait(false);
        var unreadable = 0;
        var records = IsJsonLines(bytes) ? ReadJsonLines(bytes) : ReadCrisisLexCsv(bytes);
        foreach (var (number, id, text, error) in records)
        {
            if (error is not null)
            {
                unreadable++;
                await errors.WriteLineAsync($"classify: record {number}: {error}").ConfigureAwait(false);
                continue;
            }
            await output.WriteLineAsync(Line(id!, classifier.Classify(text!))).ConfigureAwait(false);
        }
        await output.FlushAsync().ConfigureAwait(false);
        return unreadable == 0 ? ExitOk : ExitSomeRecordsUnreadable;
    }

    /// <summary>The output line, in the issue's exact shape and key order.</summary>
    public static string Line(string id, PostClassification classification) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"id\": {JsonSerializer.Serialize(id)}, \"informative\": {(classification.Informative ? "true" : "false")}, \"informationType\": {JsonSerializer.Serialize(CrisisLexLabels.Name(classification.InformationType))}, \"sentiment\": {Math.Round(classification.Sentiment, 4):0.0###}}}");

    private static bool IsJsonLines(byte[] bytes)
    {
        foreach (var b in bytes.AsSpan(bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0))
        {
            if (b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
                continue;
            return b == (byte)'{';
        }
        return false;
    }

    private static IEnumerable<(int Number, string? Id, string? Text, string? Error)> ReadJsonLines(byte[] bytes)
    {
        var number = 0;
        using var reader = new StreamReader(new MemoryStream(bytes), Encoding.UTF8);
        while (reader.ReadLine() is { } line)
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            yield return ReadJsonLine(number, line);
        }
    }

    private static (int, string?, string?, string?) ReadJsonLine(int number, string line)
    {
        try
        {
            using var json = JsonDocument.Parse(line);
            if (json.RootElement.ValueKind != JsonValueKind.Object)
                return (number, null, null, "not a JSON object");
            if (!json.RootElement.TryGetProperty("id", out var id) || id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number))
                return (number, null, null, "no \"id\" (a string or a number)");
            if (!json.RootElement.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
                return (number, null, null, "no \"text\" string");
            return (number, id.ValueKind == JsonValueKind.String ? id.GetString() : id.GetRawText(), text.GetString(), null);
        }
        catch (JsonException e)
        {
            return (number, null, null, $"not JSON ({e.Message})");
        }
    }

    private static string? Decode(UTF8Encoding utf8, byte[] bytes, int start, int length)
    {
        try
        {
            return utf8.GetString(bytes, start, length).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }

    private static IEnumerable<(int Number, string? Id, string? Text, string? Error)> ReadCrisisLexCsv(byte[] bytes)
    {
        var number = 0;
        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
        foreach (var (start, length) in Csv.SplitRecords(bytes))
        {
            number++;
            var record = Decode(utf8, bytes, start, length);
            if (record is null)
            {
                yield return (number, null, null, "not valid UTF-8");
                continue;
            }
            var fields = Csv.ParseRecord(record, out var error);
            if (fields is null)
            {
                yield return (number, null, null, error);
                continue;
            }
            if (number == 1 && fields[0].Trim() == "Tweet ID")
                continue;
            if (fields.Count < 2)
            {
                yield return (number, null, null, $"a CrisisLexT26 record has an id and a text, this one has {fields.Count} field(s)");
                continue;
            }
            yield return (number, fields[0].Trim(), fields[1], null);
        }
    }
}
