using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using Npgsql;

namespace CrisisDesk.Web.Features.Commands;

/// <summary>What a command is and who may run it: the policy, the words for a refusal, and the incident it touches.</summary>
public readonly record struct CommandSpec(string Policy, string What, int? IncidentId);

/// <summary>
/// The one way a command is written. The caller loads what the command is about (to know its incident), then
/// <see cref="RunAsync{T}"/> authorises with the role read afresh from the database (a refusal recorded), opens one
/// transaction, lets the command check the state and make its change, appends the events it recorded, and commits:
/// the change and its events exist together or not at all. A state check that fails throws a
/// <see cref="CommandException"/>, which rolls everything back.
/// </summary>
public sealed class CommandRunner(NpgsqlDataSource dataSource, CommandAuthorizer authorizer)
{
    public async Task<T> RunAsync<T>(ClaimsPrincipal user, CommandSpec spec, Func<CommandTransaction, Task<T>> change, CancellationToken cancellationToken)
    {
        await authorizer.RequireAsync(user, spec.Policy, spec.What, spec.IncidentId, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var command = new CommandTransaction(connection, transaction, user.ActorName(), cancellationToken);
        var result = await change(command);
        if (command.Skipped)
            return result; // nothing changed, nothing to record: rolled back on dispose
        await transaction.CommitAsync(cancellationToken);
        return result;
    }
}

/// <summary>The open transaction of one command: the connection to change things with, and the event log to record them in.</summary>
public sealed class CommandTransaction(NpgsqlConnection connection, NpgsqlTransaction transaction, string actor, CancellationToken cancellationToken)
{
    public NpgsqlConnection Connection { get; } = connection;

    public NpgsqlTransaction Transaction { get; } = transaction;

    /// <summary>Who runs the command, as the event log names them.</summary>
    public string Actor { get; } = actor;

    public CancellationToken CancellationToken { get; } = cancellationToken;

    /// <summary>The sequence number of the last event recorded, for announcing the change after the commit.</summary>
    public long LastSeq { get; private set; }

    internal bool Skipped { get; private set; }

    /// <summary>Appends an event in this transaction.</summary>
    public async Task<long> RecordAsync(int? incidentId, EventPayload payload)
    {
        LastSeq = await EventLog.AppendAsync(Connection, Transaction, Actor, incidentId, payload, CancellationToken);
        return LastSeq;
    }

    /// <summary>The command found nothing to change (already done by someone): no event, nothing committed.</summary>
    public void NothingChanged() => Skipped = true;
}
