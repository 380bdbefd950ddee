using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using Npgsql;

namespace CrisisDesk.Web.Features.Audit;

/// <summary>
/// Checks the event log's hash chain and records that it did (<c>audit.verified</c>, with the outcome), so the log
/// itself shows when it was last proven intact and by whom.
/// </summary>
public static class AuditVerifier
{
    public static async Task<ChainVerification> VerifyAndRecordAsync(NpgsqlDataSource dataSource, string actor, string via, CancellationToken cancellationToken = default)
    {
        var result = await EventLog.VerifyChainAsync(dataSource, cancellationToken);
        await EventLog.AppendAsync(dataSource, actor, null, new AuditVerified(
            result.Holds, result.Linked, result.HeadSeq, result.HeadHashHex, result.Break?.Seq, result.Break?.Kind.ToString().ToLowerInvariant(),
            result.Break?.Problem, via), cancellationToken);
        return result;
    }

    /// <summary>The outcome in one sentence, as the command line and the admin page state it.</summary>
    public static string Describe(ChainVerification result) => result.Break is { } broken
        ? $"The event log was tampered with: {broken.Kind.ToString().ToLowerInvariant()} event {broken.Seq}: {broken.Problem}. {result.Linked} events link before it."
        : $"The event log is intact: {result.Linked} events link from the first to the head (event {result.HeadSeq}, hash {result.HeadHashHex}).";
}
