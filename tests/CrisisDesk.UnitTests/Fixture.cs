namespace CrisisDesk.UnitTests;

/// <summary>Fixtures are copied beside the test assembly under Fixtures/.</summary>
internal static class Fixture
{
    public static string Path(params string[] parts) => System.IO.Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
}
