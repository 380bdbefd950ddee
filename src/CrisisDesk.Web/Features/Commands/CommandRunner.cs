using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace CrisisDesk.Web.Features.Commands;

/// <summary>What a command is and who may run it: the policy, the words for a refusal, and the incident it touches.</summary>
public readonly record struct CommandSpec(string Policy, string What, int? IncidentId);

/// <summary>
/// The one way a command is written. The caller loads what the command is about (to know its incident), then
/// <see cref="RunAsync{T}"/> authorises with the role read afresh from the database (a refusal recorded), opens one
/// DbContext and one transaction, lets the command check the state and make its change, saves it, appends the events
/// it recorded, and commits: the change and its events exist together or not at all. A state check that fails throws
/// a <see cref="CommandException"/>, which rolls everything back.
/// </summary>
public sealed class CommandRunner(IDbContextFactory<CrisisDeskDbContext> contexts, CommandAuthorizer authorizer)
{
    /// <summary>Runs of one command that meet a concurrent change before it gives up (each run sees the newer row).</summary>
    public const int ConcurrentChangeAttempts = 3;

    /// <summary>
    /// Runs a command whose rows are saved under their xmin token (<see cref="RunAsync{T}"/> or
    /// <see cref="RunOnAsync{TRow, T}"/> inside <paramref name="run"/>), and runs it again from the start when its save
    /// finds a row someone changed since it was read. The failed run rolled back whole; the next one reads the row as it
    /// now is, so its checks answer as they did when the two queued on a row lock ("This alert is approved: …").
    /// </summary>
    /// <param name="givingUp">What the person hears after <see cref="ConcurrentChangeAttempts"/> runs each met a concurrent change.</param>
    public static async Task<T> RunWithRetryAsync<T>(Func<Task<T>> run, Func<CommandException> givingUp)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await run();
            }
            catch (DbUpdateConcurrencyException) when (attempt < ConcurrentChangeAttempts)
            {
                // Rolled back whole; the next run reads the newer row.
            }
            catch (DbUpdateConcurrencyException)
            {
                throw givingUp();
            }
        }
    }

    public async Task<T> RunAsync<T>(ClaimsPrincipal user, CommandSpec spec, Func<CommandTransaction, Task<T>> change, CancellationToken cancellationToken)
    {
        await authorizer.RequireAsync(user, spec.Policy, spec.What, spec.IncidentId, cancellationToken);
        return await RunAsAsync(user.ActorName(), change, cancellationToken);
    }

    /// <summary>
    /// As <see cref="RunAsync{T}"/>, without authorising here: a command CrisisDesk runs on its own behalf (the drill
    /// opened at first run), or one its caller authorised already because it had to read something before the
    /// transaction (a source's change stops the source first).
    /// </summary>
    public async Task<T> RunAsAsync<T>(string actor, Func<CommandTransaction, Task<T>> change, CancellationToken cancellationToken)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        // A command that fails rolls back whole, so EF's automatic savepoint around each save (two more round trips)
        // buys nothing; a command that must survive a failed save turns it on for that save.
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var command = new CommandTransaction(db, transaction, actor, cancellationToken);
        var result = await change(command);
        if (command.Skipped)
            return result; // nothing changed, nothing to record: rolled back on dispose
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return result;
    }

    /// <summary>
    /// A command on one row whose incident decides the authorisation (a rebuttal, an alert): the row is read once,
    /// tracked, in the command's own transaction, and the role is read afresh on that same connection, with the
    /// row's incident named in a refusal. No read before the transaction only to learn the incident.
    /// </summary>
    /// <param name="load">Reads the row for change (a compiled query); null when there is no such row.</param>
    /// <param name="incidentOf">The incident a refusal is recorded against.</param>
    /// <param name="notFound">What a person allowed to run the command hears when the row does not exist.</param>
    public async Task<(TRow Row, T Result)> RunOnAsync<TRow, T>(ClaimsPrincipal user, string policy, string what,
        Func<CrisisDeskDbContext, CancellationToken, Task<TRow?>> load, Func<TRow, int> incidentOf, Func<CommandException> notFound,
        Func<CommandTransaction, TRow, Task<T>> change, CancellationToken cancellationToken) where TRow : class
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        db.Database.AutoSavepointsEnabled = false;
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // BEGIN goes out with this first query: one round trip.
        var row = await load(db, cancellationToken);
        var command = new CommandTransaction(db, transaction, user.ActorName(), cancellationToken);
        // Refused before a missing row is reported, as when authorising came first: a person without the role learns nothing.
        await authorizer.RequireAsync(db, user, policy, what, row is null ? null : incidentOf(row), cancellationToken);
        if (row is null)
            throw notFound();
        var result = await change(command, row);
        if (command.Skipped)
            return (row, result);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (row, result);
    }
}

/// <summary>
/// The open transaction of one command: the DbContext to change the domain with, and the event log to record the
/// change in. The event log appends on the DbContext's own connection and transaction.
/// </summary>
public sealed class CommandTransaction(CrisisDeskDbContext db, IDbContextTransaction transaction, string actor, CancellationToken cancellationToken)
{
    public CrisisDeskDbContext Db { get; } = db;

    /// <summary>The DbContext's connection, for what stays on Npgsql (the event log).</summary>
    public NpgsqlConnection Connection => (NpgsqlConnection)Db.Database.GetDbConnection();

    public NpgsqlTransaction Transaction { get; } = (NpgsqlTransaction)transaction.GetDbTransaction();

    /// <summary>Who runs the command, as the event log names them.</summary>
    public string Actor { get; } = actor;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The sequence number of the last event recorded, for announcing the change after the commit.</summary>
    public long LastSeq { get; private set; }

    internal bool Skipped { get; private set; }

    /// <summary>Saves the changes made so far (ids and concurrency tokens come back), in this transaction.</summary>
    public Task SaveAsync() => Db.SaveChangesAsync(CancellationToken);

    /// <summary>
    /// Saves the change, then appends its events in this transaction (several in the round trips of one: an approval
    /// that also publishes).
    /// </summary>
    public async Task<long> RecordAsync(int? incidentId, params EventPayload[] payloads)
    {
        if (Db.ChangeTracker.HasChanges())
            await Db.SaveChangesAsync(CancellationToken);
        LastSeq = await EventLog.AppendAsync(Db, Actor, incidentId, payloads, CancellationToken);
        return LastSeq;
    }

    /// <summary>The command found nothing to change (already done by someone): no event, nothing committed.</summary>
    public void NothingChanged() => Skipped = true;
}
