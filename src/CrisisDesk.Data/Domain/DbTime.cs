namespace CrisisDesk.Data.Domain;

/// <summary>
/// The instant a <c>timestamptz</c> column holds, as the domain passes instants around. EF Core and Dapper read such a
/// column as a <see cref="DateTime"/> in UTC, whose Kind is not always set; this says it is UTC.
/// </summary>
public static class DbTime
{
    public static DateTimeOffset Utc(DateTime value) => new(DateTime.SpecifyKind(value, DateTimeKind.Utc));
}
