using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Events;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Dapper;
using Npgsql;

namespace CrisisDesk.Web.Features.RecipientLists;

public static class RecipientListKinds
{
    public const string Email = "email";
    public const string Sms = "sms";

    public static string Label(string kind) => kind == Sms ? "SMS" : "Email";
}

/// <summary>A list as the page shows it.</summary>
public sealed record RecipientListView(int Id, string Name, string Kind, int Recipients, DateTime CreatedAt);

public sealed record RecipientView(long Id, string Name, string Address, DateTime AddedAt);

/// <summary>What an import did: how many recipients it added and every line it did not take, with the reason.</summary>
public sealed record ImportReport(int ListId, int Added, IReadOnlyList<RejectedLine> Rejected);

/// <summary>A list command that cannot be done as asked (a bad name or address, a list that does not exist).</summary>
public sealed class RecipientListException(string message, int status = StatusCodes.Status400BadRequest) : CommandException(message, status);

/// <summary>
/// Email and SMS recipient lists (Admin): create, rename, delete, add and remove recipients, import CSV. Each command
/// is authorised on the server and written with its event in one transaction; the event counts, never addresses.
/// </summary>
public sealed class RecipientListCommands(NpgsqlDataSource dataSource, CommandAuthorizer authorizer)
{
    public async Task<IReadOnlyList<RecipientListView>> ListAsync(string? kind = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<RecipientListView>(new CommandDefinition("""
            SELECT l.id, l.name, l.kind, (SELECT count(*)::int FROM list_recipients r WHERE r.list_id = l.id) AS Recipients, l.created_at AS CreatedAt
              FROM recipient_lists l WHERE l.deleted_at IS NULL AND (@kind::text IS NULL OR l.kind = @kind) ORDER BY l.kind, lower(l.name)
            """, new { kind }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<IReadOnlyList<RecipientView>> RecipientsAsync(ClaimsPrincipal user, int listId, CancellationToken cancellationToken = default)
    {
        // Addresses are personal data: only Admins read them.
        await authorizer.RequireAsync(user, Policies.Admin, "read a recipient list", null, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return (await connection.QueryAsync<RecipientView>(new CommandDefinition("""
            SELECT id, name, address, added_at AS AddedAt FROM list_recipients WHERE list_id = @listId ORDER BY lower(name), lower(address)
            """, new { listId }, cancellationToken: cancellationToken))).ToList();
    }

    public async Task<int> CreateAsync(ClaimsPrincipal user, string name, string kind, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "create a recipient list", null, cancellationToken);
        name = CheckName(name);
        if (kind is not (RecipientListKinds.Email or RecipientListKinds.Sms))
            throw new RecipientListException("A list is either \"email\" or \"sms\".");
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await RequireFreeNameAsync(connection, transaction, name, kind, null);
        var id = await connection.ExecuteScalarAsync<int>("INSERT INTO recipient_lists (name, kind) VALUES (@name, @kind) RETURNING id", new { name, kind }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new RecipientListCreated(id, name, kind), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    public async Task RenameAsync(ClaimsPrincipal user, int listId, string name, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "rename a recipient list", null, cancellationToken);
        name = CheckName(name);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var list = await LockAsync(connection, transaction, listId);
        if (list.Name == name)
            return;
        await RequireFreeNameAsync(connection, transaction, name, list.Kind, listId);
        await connection.ExecuteAsync("UPDATE recipient_lists SET name = @name WHERE id = @listId", new { listId, name }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new RecipientListRenamed(listId, list.Name, name), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Deletes a list and erases its recipients; deliveries already queued keep their own copy of who they go to.</summary>
    public async Task DeleteAsync(ClaimsPrincipal user, int listId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "delete a recipient list", null, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var list = await LockAsync(connection, transaction, listId);
        var erased = await connection.ExecuteAsync("DELETE FROM list_recipients WHERE list_id = @listId", new { listId }, transaction);
        await connection.ExecuteAsync("UPDATE recipient_lists SET deleted_at = now() WHERE id = @listId", new { listId }, transaction);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new RecipientListDeleted(listId, list.Name, list.Kind, erased), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Adds one typed recipient; a bad or repeated address is refused with the reason.</summary>
    public async Task<long> AddAsync(ClaimsPrincipal user, int listId, string? name, string address, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "add a recipient", null, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var list = await LockAsync(connection, transaction, listId);
        var (normalised, problem) = RecipientCsv.Check((address ?? "").Trim(), list.Kind);
        if (problem is not null)
            throw new RecipientListException($"\"{address}\": {problem}.");
        var id = await connection.ExecuteScalarAsync<long?>("""
            INSERT INTO list_recipients (list_id, name, address) VALUES (@listId, @name, @address)
            ON CONFLICT (list_id, lower(address)) DO NOTHING RETURNING id
            """, new { listId, name = (name ?? "").Trim(), address = normalised }, transaction)
            ?? throw new RecipientListException($"{normalised} is already on this list.", StatusCodes.Status409Conflict);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new RecipientListMembersChanged(listId, "manual", 1, 0, 0), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return id;
    }

    public async Task RemoveAsync(ClaimsPrincipal user, int listId, long recipientId, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "remove a recipient", null, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(connection, transaction, listId);
        var removed = await connection.ExecuteAsync("DELETE FROM list_recipients WHERE id = @recipientId AND list_id = @listId", new { listId, recipientId }, transaction);
        if (removed == 0)
            throw new RecipientListException("That recipient is not on this list.", StatusCodes.Status404NotFound);
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new RecipientListMembersChanged(listId, "manual", 0, 1, 0), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>
    /// Imports a CSV file into a list: every good line is added in one transaction (all or, on a database failure,
    /// none: nothing half-imported), every other line is reported with its number, its value and the reason, including
    /// the addresses already on the list.
    /// </summary>
    public async Task<ImportReport> ImportAsync(ClaimsPrincipal user, int listId, string csv, CancellationToken cancellationToken = default)
    {
        await authorizer.RequireAsync(user, Policies.Admin, "import recipients", null, cancellationToken);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var list = await LockAsync(connection, transaction, listId);
        var reading = RecipientCsv.Read(csv, list.Kind);
        var rejected = reading.Rejected.ToList();
        var added = 0;
        foreach (var recipient in reading.Recipients)
        {
            var inserted = await connection.ExecuteAsync("""
                INSERT INTO list_recipients (list_id, name, address) VALUES (@listId, @name, @address) ON CONFLICT (list_id, lower(address)) DO NOTHING
                """, new { listId, recipient.Name, recipient.Address }, transaction);
            if (inserted == 1)
                added++;
            else
                rejected.Add(new RejectedLine(recipient.Line, recipient.Address, $"duplicate: {recipient.Address} is already on the list"));
        }
        rejected.Sort((a, b) => a.Line.CompareTo(b.Line));
        await EventLog.AppendAsync(connection, transaction, user.ActorName(), null, new RecipientListMembersChanged(listId, "csv", added, 0, rejected.Count), cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ImportReport(listId, added, rejected);
    }

    private sealed record Locked(int Id, string Name, string Kind);

    private static async Task<Locked> LockAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, int listId) =>
        await connection.QuerySingleOrDefaultAsync<Locked>(
            "SELECT id, name, kind FROM recipient_lists WHERE id = @listId AND deleted_at IS NULL FOR UPDATE", new { listId }, transaction)
        ?? throw new RecipientListException($"There is no recipient list {listId}.", StatusCodes.Status404NotFound);

    private static string CheckName(string? name)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > 200)
            throw new RecipientListException("Give the list a name (up to 200 characters).");
        return name;
    }

    private static async Task RequireFreeNameAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, string kind, int? except)
    {
        if (await connection.ExecuteScalarAsync<bool>("""
                SELECT EXISTS (SELECT 1 FROM recipient_lists WHERE kind = @kind AND lower(name) = lower(@name) AND deleted_at IS NULL AND id IS DISTINCT FROM @except)
                """, new { name, kind, except }, transaction))
            throw new RecipientListException($"There is already an {RecipientListKinds.Label(kind)} list called \"{name}\".", StatusCodes.Status409Conflict);
    }
}
