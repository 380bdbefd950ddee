using System.Security.Claims;
using CrisisDesk.Web.Features.Commands;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.JSInterop;

namespace CrisisDesk.Web.Features.Notifications;

public partial class NotificationsInbox
{
    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    private IReadOnlyList<InboxItem>? _items;
    private ClaimsPrincipal _user = new();
    private IDisposable? _subscription;
    private IJSObjectReference? _module;
    private string? _permission;
    private string? _error;

    protected override async Task OnInitializedAsync()
    {
        _user = (await Auth).User;
        _items = await Inbox.ListAsync(_user);
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (!firstRender || _user.Identity?.Name is not { } name)
            return;
        _subscription = Hub.Subscribe(name, () => InvokeAsync(async () => { _items = await Inbox.ListAsync(_user); StateHasChanged(); }));
        _module = await JS.InvokeAsync<IJSObjectReference>("import", "./Features/Notifications/InboxBadge.razor.js");
        _permission = await _module.InvokeAsync<string>("permission");
        StateHasChanged();
    }

    private string Ago(DateTime at)
    {
        var span = Clock.GetUtcNow().UtcDateTime - DateTime.SpecifyKind(at, DateTimeKind.Utc);
        return span.TotalMinutes < 1 ? "just now"
            : span.TotalHours < 1 ? $"{(int)span.TotalMinutes} min ago"
            : span.TotalDays < 1 ? $"{(int)span.TotalHours} h ago"
            : at.ToString("yyyy-MM-dd HH:mm 'UTC'", System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task AskPermissionAsync()
    {
        if (_module is not null)
            _permission = await _module.InvokeAsync<string>("request");
    }

    private Task OpenAsync(InboxItem item) => item.ReadAt is null ? RunAsync(() => Inbox.MarkReadAsync(_user, [item.Id])) : Task.CompletedTask;

    private Task MarkAllReadAsync() => RunAsync(() => Inbox.MarkReadAsync(_user, null));

    private Task AcknowledgeAsync(InboxItem item) => RunAsync(() => Inbox.AcknowledgeAsync(_user, item.Id));

    private async Task RunAsync(Func<Task> command)
    {
        _error = null;
        try
        {
            await command();
        }
        catch (CommandException e)
        {
            _error = e.Message;
        }
        _items = await Inbox.ListAsync(_user);
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
