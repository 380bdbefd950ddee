using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>
/// The turn to replace one rota (an incident's, or the default), held until the current transaction ends, in raw SQL
/// because LINQ has no advisory locks. A rota is replaced by deleting its rows and inserting the new ones; two Admins
/// saving one rota at once would otherwise both delete the old rows, and the second, not seeing the first's new rows,
/// would insert a position that is already taken (a unique violation, which reached the Admin as a server error).
/// With the turn, the second replaces the first's rota, and the log records both.
/// </summary>
public static class EscalationRotaLocks
{
    /// <summary>The advisory lock class (first key; the second is the incident, 0 for the default rota).</summary>
    private const int RotaLockClass = 0x43445254; // "CDRT"

    public static Task ForChangeAsync(CrisisDeskDbContext db, int? incidentId, CancellationToken cancellationToken) =>
        db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock({RotaLockClass}, {incidentId ?? 0})", cancellationToken);
}
