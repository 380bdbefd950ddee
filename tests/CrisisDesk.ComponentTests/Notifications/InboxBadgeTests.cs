using CrisisDesk.Web.Features.Notifications;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor;

namespace CrisisDesk.ComponentTests.Notifications;

/// <summary>The bell: its count on first render, and a new one counted the moment the hub says the inbox changed.</summary>
public sealed class InboxBadgeTests : ComponentTest
{
    private readonly FakeInbox _inbox = new();
    private readonly NotificationHub _hub = new();

    public InboxBadgeTests()
    {
        Context.Services.AddSingleton<INotificationInbox>(_inbox);
        Context.Services.AddSingleton(_hub);
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        var auth = Context.AddAuthorization();
        auth.SetAuthorized("duty.officer");
        Context.Render<MudPopoverProvider>();
    }

    [Fact]
    public async Task The_bell_counts_the_unread_and_moves_when_the_hub_says_so()
    {
        _inbox.Items.Add(FakeInbox.Item(1, "Alert waiting for your approval: Flood"));
        var bell = Context.Render<InboxBadge>();
        await bell.WaitForAssertionAsync(() => Assert.Equal("1", bell.Find("[data-testid=inbox-count]").TextContent));
        Assert.Equal("Notifications: 1 unread", bell.Find("[data-testid=inbox-badge]").GetAttribute("aria-label"));

        _inbox.Items.Add(FakeInbox.Item(2, "Rebuttal waiting for your approval: Bridge"));
        _hub.Changed(["someone.else"]);
        Assert.Equal("1", bell.Find("[data-testid=inbox-count]").TextContent);
        _hub.Changed(["Duty.Officer"]); // names are matched without case, as sign-in does

        await bell.WaitForAssertionAsync(() => Assert.Equal("2", bell.Find("[data-testid=inbox-count]").TextContent));
        // The new one is also shown by the browser (when the person allowed it): the module is asked once.
        await bell.WaitForAssertionAsync(() => Assert.Single(Context.JSInterop.Invocations, i => i.Identifier == "show"));
    }
}
