using CrisisDesk.Web.Components;

namespace CrisisDesk.ComponentTests.Layout;

/// <summary>
/// The connection element Blazor's reconnection display drives (app.js maps its states to data-circuit; the browser
/// tests in ConnectionTests drive it for real): each state has its words, and the ways back are there.
/// </summary>
public sealed class ConnectionStatusTests : ComponentTest
{
    [Theory]
    [InlineData("connecting", "Connecting…")]
    [InlineData("connected", "Connected")]
    [InlineData("reconnecting", "Reconnecting · attempt 1")]
    [InlineData("paused", "Paused")]
    [InlineData("offline", "Offline")]
    [InlineData("ended", "Stopped")]
    public void Each_state_has_its_words_in_the_chip(string state, string words)
    {
        var status = Context.Render<ConnectionStatus>();

        Assert.Equal(words, status.Find($".connection-chip .circuit-{state}").TextContent.Trim());
    }

    [Fact]
    public void It_is_the_element_blazor_looks_for_starts_as_connecting_and_counts_attempts_where_blazor_writes_them()
    {
        var status = Context.Render<ConnectionStatus>();

        var root = status.Find("#components-reconnect-modal");
        Assert.Equal("down", root.GetAttribute("data-circuit"));
        Assert.Equal("status", status.Find(".connection-chip").GetAttribute("role"));
        Assert.NotNull(status.Find(".circuit-reconnecting #components-reconnect-current-attempt"));
    }

    [Fact]
    public void Offline_offers_retry_paused_offers_resume_and_a_stopped_view_offers_reload()
    {
        var status = Context.Render<ConnectionStatus>();

        Assert.Equal("Retry", status.Find("button.circuit-offline").TextContent.Trim());
        Assert.Equal("Resume", status.Find("button.circuit-paused").TextContent.Trim());
        Assert.Equal("Reload", status.Find("button.circuit-ended").TextContent.Trim());
        Assert.Equal("alertdialog", status.Find(".connection-panel").GetAttribute("role"));
    }
}
