using System.Security.Claims;
using CrisisDesk.Core.Events;
using CrisisDesk.Data.Domain;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using Microsoft.EntityFrameworkCore;
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
/// runs through <see cref="CommandRunner"/> (authorised on the server, written with its event in one transaction);
/// the event counts, never addresses. A command that changes a list or its members first locks the list's row
/// (<c>FOR UPDATE</c>), so two Admins' changes to one list queue, and the second sees the first's.
/// </summary>
public sealed class RecipientListCommands(IDbContextFactory<CrisisDeskDbContext> contexts, CommandRunner commands, CommandAuthorizer authorizer)
{
    public async Task<IReadOnlyList<RecipientListView>> ListAsync(string? kind = null, CancellationToken cancellationToken = default)
    {
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.RecipientLists.AsNoTracking()
            .Where(l => l.DeletedAt == null && (kind == null || l.Kind == kind))
            .OrderBy(l => l.Kind).ThenBy(l => l.Name.ToLower())
            .Select(l => new RecipientListView(l.Id, l.Name, l.Kind, db.ListRecipients.Count(r => r.ListId == l.Id), l.CreatedAt))
            .ToListAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<RecipientView>> RecipientsAsync(ClaimsPrincipal user, int listId, CancellationToken cancellationToken = default)
    {
        // Addresses are personal data: only Admins read them.
        await authorizer.RequireAsync(user, Policies.Admin, "read a recipient list", null, cancellationToken);
        await using var db = await contexts.CreateDbContextAsync(cancellationToken);
        return await db.ListRecipients.AsNoTracking()
            .Where(r => r.ListId == listId)
            .OrderBy(r => r.Name.ToLower()).ThenBy(r => r.Address.ToLower())
            .Select(r => new RecipientView(r.Id, r.Name, r.Address, r.AddedAt))
            .ToListAsync(cancellationToken);
    }

    public Task<int> CreateAsync(ClaimsPrincipal user, string name, string kind, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "create a recipient list", null), async command =>
        {
            name = CheckName(name);
            if (kind is not (RecipientListKinds.Email or RecipientListKinds.Sms))
                throw new RecipientListException("A list is either \"email\" or \"sms\".");
            await RequireFreeNameAsync(command, name, kind, null);
            var list = new RecipientListRow { Name = name, Kind = kind };
            command.Db.RecipientLists.Add(list);
            await OrNameTakenAsync(command.SaveAsync(), name, kind);
            await command.RecordAsync(null, new RecipientListCreated(list.Id, name, kind));
            return list.Id;
        }, cancellationToken);

    public Task RenameAsync(ClaimsPrincipal user, int listId, string name, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "rename a recipient list", null), async command =>
        {
            name = CheckName(name);
            var list = await LockAsync(command, listId);
            if (list.Name == name)
            {
                command.NothingChanged();
                return 0;
            }
            await RequireFreeNameAsync(command, name, list.Kind, listId);
            await OrNameTakenAsync(command.Db.RecipientLists.Where(l => l.Id == listId)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.Name, name), command.CancellationToken), name, list.Kind);
            await command.RecordAsync(null, new RecipientListRenamed(listId, list.Name, name));
            return 0;
        }, cancellationToken);

    /// <summary>Deletes a list and erases its recipients; deliveries already queued keep their own copy of who they go to.</summary>
    public Task DeleteAsync(ClaimsPrincipal user, int listId, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "delete a recipient list", null), async command =>
        {
            var list = await LockAsync(command, listId);
            var erased = await command.Db.ListRecipients.Where(r => r.ListId == listId).ExecuteDeleteAsync(command.CancellationToken);
            // The database's now(), as before.
            await command.Db.RecipientLists.Where(l => l.Id == listId)
                .ExecuteUpdateAsync(s => s.SetProperty(l => l.DeletedAt, l => DateTime.UtcNow), command.CancellationToken);
            await command.RecordAsync(null, new RecipientListDeleted(listId, list.Name, list.Kind, erased));
            return 0;
        }, cancellationToken);

    /// <summary>Adds one typed recipient; a bad or repeated address is refused with the reason.</summary>
    public Task<long> AddAsync(ClaimsPrincipal user, int listId, string? name, string address, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "add a recipient", null), async command =>
        {
            var list = await LockAsync(command, listId);
            var (normalised, problem) = RecipientCsv.Check((address ?? "").Trim(), list.Kind);
            if (problem is not null)
                throw new RecipientListException($"\"{address}\": {problem}.");
            // Compared as the unique index compares (PostgreSQL's lower()); the list is locked, so nobody adds it meanwhile.
            // Checked rather than caught from the insert: a person's repeated address is no database error to log.
            if (await command.Db.ListRecipients.AnyAsync(r => r.ListId == listId && r.Address.ToLower() == normalised!.ToLower(), command.CancellationToken))
                throw new RecipientListException($"{normalised} is already on this list.", StatusCodes.Status409Conflict);
            var recipient = new ListRecipientRow { ListId = listId, Name = (name ?? "").Trim(), Address = normalised! };
            command.Db.ListRecipients.Add(recipient);
            await command.SaveAsync();
            await command.RecordAsync(null, new RecipientListMembersChanged(listId, "manual", 1, 0, 0));
            return recipient.Id;
        }, cancellationToken);

    public Task RemoveAsync(ClaimsPrincipal user, int listId, long recipientId, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "remove a recipient", null), async command =>
        {
            await LockAsync(command, listId);
            var removed = await command.Db.ListRecipients.Where(r => r.Id == recipientId && r.ListId == listId).ExecuteDeleteAsync(command.CancellationToken);
            if (removed == 0)
                throw new RecipientListException("That recipient is not on this list.", StatusCodes.Status404NotFound);
            await command.RecordAsync(null, new RecipientListMembersChanged(listId, "manual", 0, 1, 0));
            return 0;
        }, cancellationToken);

    /// <summary>
    /// Imports a CSV file into a list: every good line is added in one transaction (all or, on a database failure,
    /// none: nothing half-imported), every other line is reported with its number, its value and the reason, including
    /// the addresses already on the list.
    /// </summary>
    public Task<ImportReport> ImportAsync(ClaimsPrincipal user, int listId, string csv, CancellationToken cancellationToken = default) =>
        commands.RunAsync(user, new CommandSpec(Policies.Admin, "import recipients", null), async command =>
        {
            var list = await LockAsync(command, listId);
            var reading = RecipientCsv.Read(csv, list.Kind);
            var rejected = reading.Rejected.ToList();
            var addresses = reading.Recipients.Select(r => r.Address).ToArray();
            // The file's addresses already on the list, as the unique index compares them (PostgreSQL's lower() on both
            // sides), in one query; the list is locked, so nobody adds one between this read and the insert.
            var onList = (await (from r in command.Db.ListRecipients
                                 where r.ListId == listId
                                 join a in addresses on r.Address.ToLower() equals a.ToLower()
                                 select a).ToListAsync(command.CancellationToken)).ToHashSet(StringComparer.Ordinal);
            var added = new List<ListRecipientRow>();
            foreach (var recipient in reading.Recipients)
            {
                if (onList.Contains(recipient.Address))
                    rejected.Add(new RejectedLine(recipient.Line, recipient.Address, $"duplicate: {recipient.Address} is already on the list"));
                else
                    added.Add(new ListRecipientRow { ListId = listId, Name = recipient.Name, Address = recipient.Address });
            }
            // Saved in EF Core's batches (many rows per round trip), where the Npgsql version sent one INSERT per line.
            command.Db.ListRecipients.AddRange(added);
            try
            {
                await command.SaveAsync();
            }
            catch (Exception e) when (IsUniqueViolation(e))
            {
                // The file's own repeats are found above as .NET folds case; PostgreSQL's lower() folds a few letters
                // differently (the dotted capital I, say), and then the index is the judge. Nothing was imported.
                throw new RecipientListException(
                    "Two addresses in this file are the same address as the database compares them (they differ only in the case of a letter such as İ); nothing was imported. Remove one and import again.",
                    StatusCodes.Status409Conflict);
            }
            rejected.Sort((a, b) => a.Line.CompareTo(b.Line));
            await command.RecordAsync(null, new RecipientListMembersChanged(listId, "csv", added.Count, 0, rejected.Count));
            return new ImportReport(listId, added.Count, rejected);
        }, cancellationToken);

    /// <summary>The list, locked until the command's transaction ends; a deleted or unknown list is a 404.</summary>
    private static async Task<RecipientListRow> LockAsync(CommandTransaction command, int listId) =>
        await RecipientListLocks.ForChangeAsync(command.Db, listId, command.CancellationToken)
        ?? throw new RecipientListException($"There is no recipient list {listId}.", StatusCodes.Status404NotFound);

    private static string CheckName(string? name)
    {
        name = (name ?? "").Trim();
        if (name.Length is 0 or > 200)
            throw new RecipientListException("Give the list a name (up to 200 characters).");
        return name;
    }

    /// <summary>
    /// A save that may meet the name's unique index: two Admins creating or renaming lists to one name at once both pass
    /// <see cref="RequireFreeNameAsync"/>, and the later one is told as if it had been checked after the first.
    /// </summary>
    private static async Task OrNameTakenAsync(Task save, string name, string kind)
    {
        try
        {
            await save;
        }
        catch (Exception e) when (IsUniqueViolation(e))
        {
            throw NameTaken(name, kind);
        }
    }

    /// <summary>A save meets the index as a DbUpdateException around it; an ExecuteUpdate (the rename) as the PostgresException itself.</summary>
    private static bool IsUniqueViolation(Exception e) =>
        (e as PostgresException ?? e.InnerException as PostgresException) is { SqlState: PostgresErrorCodes.UniqueViolation };

    private static RecipientListException NameTaken(string name, string kind) =>
        new($"There is already an {RecipientListKinds.Label(kind)} list called \"{name}\".", StatusCodes.Status409Conflict);

    private static async Task RequireFreeNameAsync(CommandTransaction command, string name, string kind, int? except)
    {
        if (await command.Db.RecipientLists.AnyAsync(l => l.Kind == kind && l.Name.ToLower() == name.ToLower() && l.DeletedAt == null
                                                          && (except == null || l.Id != except), command.CancellationToken))
            throw NameTaken(name, kind);
    }
}
