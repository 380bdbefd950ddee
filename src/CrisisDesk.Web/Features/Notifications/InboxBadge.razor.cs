using System.Security.Claims;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;

namespace CrisisDesk.Web.Features.Notifications;

public partial class InboxBadge
{
    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    private int _count;
    private long _newestShown;
    private ClaimsPrincipal? _user;
    private IDisposable? _subscription;
    private IJSObjectReference? _module;

    private string Describe() => _count switch
    {
        0 => "Notifications: nothing unread",
        1 => "Notifications: 1 unread",
        var n => $"Notifications: {n} unread",
    };

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        // Only once interactive (not while prerendering).
        if (!firstRender)
            return;
        _user = (await Auth).User;
        if (_user.Identity?.Name is not { } name)
            return;
        _subscription = Hub.Subscribe(name, () => InvokeAsync(RefreshAsync));
        _count = await Inbox.UnreadCountAsync(_user);
        // What is already there when the page opens is not news: only later ones pop up.
        _newestShown = (await Inbox.ListAsync(_user)).Select(i => i.Id).DefaultIfEmpty(0).Max();
        StateHasChanged();
    }

    private async Task RefreshAsync()
    {
        try
        {
            _count = await Inbox.UnreadCountAsync(_user!);
            var fresh = (await Inbox.ListAsync(_user!)).Where(i => i.Id > _newestShown && i.ReadAt is null).OrderBy(i => i.Id).ToList();
            if (fresh.Count > 0)
            {
                _newestShown = fresh[^1].Id;
                _module ??= await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Notifications/InboxBadge.razor.js");
                foreach (var item in fresh.TakeLast(3))
                    await _module.InvokeVoidAsync("show", item.Title, item.Body, item.Link, $"crisisdesk-{item.Id}");
            }
            StateHasChanged();
        }
        catch (JSDisconnectedException)
        {
            // The page is gone.
        }
    }

    public async ValueTask DisposeAsync()
    {
        _subscription?.Dispose();
        if (_module is not null)
        {
            try
            {
                await _module.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The page is gone.
            }
        }
    }
}
