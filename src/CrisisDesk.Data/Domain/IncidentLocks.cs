using Microsoft.EntityFrameworkCore;

namespace CrisisDesk.Data.Domain;

/// <summary>An incident as read under its share lock: when it was closed (null while open).</summary>
public sealed record SharedIncident(DateTime? ClosedAt);

/// <summary>
/// An incident's row read <c>FOR SHARE</c>, which LINQ cannot say, on the DbContext's connection and in its current
/// transaction (the command's), and held to its commit: the incident cannot be closed between a command's check that it
/// is open and the rows the command adds to it.
/// </summary>
public static class IncidentLocks
{
    /// <summary>Share-locks the incident; null when there is no such incident.</summary>
    public static Task<SharedIncident?> ShareAsync(CrisisDeskDbContext db, int incidentId, CancellationToken cancellationToken) =>
        db.Incidents.FromSql($"SELECT * FROM incidents WHERE id = {incidentId} FOR SHARE")
            .Select(i => new SharedIncident(i.ClosedAt)).SingleOrDefaultAsync(cancellationToken);
}
