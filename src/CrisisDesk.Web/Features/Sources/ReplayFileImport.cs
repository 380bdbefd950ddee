using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Ingest.Replay;
using CrisisDesk.Web.Features.Account;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CrisisDesk.Web.Features.Sources;

/// <summary>A file saved into the import directory: the name a replay source's <c>file</c> takes, and its sniffed format.</summary>
public sealed record ReplayFileImported(string File, string Format, long Bytes);

/// <summary>
/// Uploads of replay files into the import directory (Admin): the size capped while it is read, the name reduced to
/// safe characters (never a path), the format sniffed from the content, never an existing file overwritten, and the
/// upload recorded in the event log (<c>source.replay_file_uploaded</c>, with the file's SHA-256).
/// </summary>
public sealed partial class ReplayFileImport(IDbContextFactory<CrisisDeskDbContext> contexts, NpgsqlDataSource dataSource, CommandAuthorizer authorizer, ReplayFiles files, IConfiguration configuration)
{
    /// <summary>The largest upload, <c>CrisisDesk:Replay:MaxUploadBytes</c> (default 100 MiB).</summary>
    public long MaxBytes => configuration.GetValue($"{ReplayFiles.Section}:MaxUploadBytes", 100L * 1024 * 1024);

    public async Task<ReplayFileImported> ImportAsync(ClaimsPrincipal user, int incidentId, string? fileName, Stream content, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "upload a replay file", incidentId, cancellationToken);
        await using (var db = await contexts.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.Incidents.AnyAsync(i => i.Id == incidentId, cancellationToken))
                throw new SourceNotFoundException($"There is no incident {incidentId}.");
        }
        var name = SafeName(fileName);
        var bytes = await ReadCappedAsync(content, cancellationToken);
        var format = ReplaySource.SniffFormat(bytes) ?? throw new SourceInputException(new Dictionary<string, string>
        {
            ["file"] = "This is not a replay file: no post could be read from it as X v1.1 tweets (JSON), CrisisLexT26 CSV or JSON Lines of posts.",
        });

        Directory.CreateDirectory(files.ImportDirectory);
        var saved = await SaveNewAsync(name, bytes, cancellationToken);
        try
        {
            await EventLog.AppendAsync(dataSource, user.ActorName(), incidentId,
                new SourceReplayFileUploaded(Path.GetFileName(saved), fileName, bytes.LongLength, format, Convert.ToHexStringLower(SHA256.HashData(bytes))),
                cancellationToken);
        }
        catch
        {
            // Not recorded, not kept: every file in the directory came with its event.
            File.Delete(saved);
            throw;
        }
        return new ReplayFileImported(Path.GetFileName(saved), format, bytes.LongLength);
    }

    /// <summary>
    /// The uploaded name reduced to letters, digits, '.', '_' and '-' (no directory part, no leading dot, at most 100
    /// characters), so it can never name a place outside the import directory.
    /// </summary>
    public static string SafeName(string? fileName)
    {
        var last = (fileName ?? "").Replace('\\', '/').Split('/').LastOrDefault() ?? "";
        var safe = UnsafeCharacters().Replace(last, "_").TrimStart('.', '-', '_');
        if (safe.Length > 100)
            safe = safe[^100..].TrimStart('.', '-', '_');
        return safe.Length == 0 ? "replay" : safe;
    }

    private async Task<byte[]> ReadCappedAsync(Stream content, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                throw new SourceInputException(new Dictionary<string, string> { ["file"] = $"The file is larger than {MaxBytes / (1024 * 1024)} MiB (CrisisDesk:Replay:MaxUploadBytes)." });
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>Writes to a temporary name, then moves it to a name not yet taken (name, name-2, …), never replacing a file.</summary>
    private async Task<string> SaveNewAsync(string name, byte[] bytes, CancellationToken cancellationToken)
    {
        var temporary = Path.Combine(files.ImportDirectory, $".upload-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(temporary, bytes, cancellationToken);
        var stem = Path.GetFileNameWithoutExtension(name);
        var extension = Path.GetExtension(name);
        try
        {
            for (var n = 1; n < 1000; n++)
            {
                var target = Path.Combine(files.ImportDirectory, n == 1 ? name : $"{stem}-{n}{extension}");
                if (File.Exists(target) || Directory.Exists(target))
                    continue;
                try
                {
                    File.Move(temporary, target, overwrite: false);
                    return target;
                }
                catch (IOException) when (File.Exists(target))
                {
                    // Taken in the meantime: the next name.
                }
            }
            throw new SourceConflictException($"Too many files named like \"{name}\" in the import directory.");
        }
        finally
        {
            if (File.Exists(temporary))
                File.Delete(temporary);
        }
    }

    [GeneratedRegex("[^A-Za-z0-9._-]", RegexOptions.CultureInvariant)]
    private static partial Regex UnsafeCharacters();
}
