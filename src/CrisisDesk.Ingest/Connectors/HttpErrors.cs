using System.Text;

namespace CrisisDesk.Ingest.Connectors;

internal static class HttpErrors
{
    /// <summary>Reads at most a few KiB of an error body for the operator-visible reason; the body is the server's, never ours.</summary>
    public static async Task<string?> ReadReasonAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            var buffer = new byte[2048];
            var total = 0;
            int read;
            while (total < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(total), cancellationToken)) > 0)
            {
                total += read;
            }
            var text = Encoding.UTF8.GetString(buffer, 0, total).ReplaceLineEndings(" ").Trim();
            return text.Length == 0 ? null : text.Length > 300 ? text[..300] + "…" : text;
        }
        catch (Exception ex) when (ex is IOException or HttpRequestException)
        {
            return null;
        }
    }
}
