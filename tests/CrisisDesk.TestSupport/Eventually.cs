using Xunit;

namespace CrisisDesk.TestSupport;

/// <summary>Waiting for something another thread, node or process makes true, with a message that says what never happened.</summary>
public static class Eventually
{
    public static async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? patience = null)
    {
        var wait = patience ?? TimeSpan.FromSeconds(30);
        var deadline = DateTime.UtcNow + wait;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
                Assert.Fail($"Waited {wait} until {what}, in vain.");
            await Task.Delay(20);
        }
    }
}
