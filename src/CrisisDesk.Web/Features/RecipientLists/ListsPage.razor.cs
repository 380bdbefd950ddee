using System.Security.Claims;
using CrisisDesk.Web.Features.Commands;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Forms;
using MudBlazor;

namespace CrisisDesk.Web.Features.RecipientLists;

/// <summary>The Admin's page for email and SMS recipient lists: create, rename, delete, add and remove people, import CSV.</summary>
public partial class ListsPage
{
    private IReadOnlyList<RecipientListView>? _lists;
    private RecipientListView? _selected;
    private IReadOnlyList<RecipientView>? _recipients;
    private ImportReport? _report;
    private string _newName = "";
    private string _newKind = RecipientListKinds.Email;
    private string? _renaming;
    private string? _recipientName;
    private string? _recipientAddress;
    private string? _error;
    private bool _busy;

    [Inject] private RecipientListCommands Lists { get; set; } = default!;
    [Inject] private IDialogService Dialogs { get; set; } = default!;
    [Inject] private ISnackbar Snackbar { get; set; } = default!;
    [CascadingParameter] private Task<AuthenticationState> Auth { get; set; } = default!;

    private string AddressLabel => _selected?.Kind == RecipientListKinds.Sms ? "Phone number" : "Email address";

    private string AddressHelp => _selected?.Kind == RecipientListKinds.Sms ? "International form: +44 7700 900123" : "name@example.org";

    private static string Plural(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    protected override Task OnInitializedAsync() => RunAsync(async _ => _lists = await Lists.ListAsync());

    private Task SelectAsync(int listId) => RunAsync(async user =>
    {
        _selected = _lists?.FirstOrDefault(l => l.Id == listId);
        _report = null;
        _renaming = null;
        _recipients = _selected is null ? null : await Lists.RecipientsAsync(user, _selected.Id);
    });

    private Task CreateAsync() => RunAsync(async user =>
    {
        var id = await Lists.CreateAsync(user, _newName, _newKind);
        _newName = "";
        await ReloadAsync(user, id);
    });

    private Task SaveNameAsync() => RunAsync(async user =>
    {
        await Lists.RenameAsync(user, _selected!.Id, _renaming ?? "");
        _renaming = null;
        await ReloadAsync(user, _selected.Id);
    });

    private async Task DeleteAsync()
    {
        var target = _selected!;
        var confirmed = await Dialogs.ShowMessageBoxAsync("Delete this list?",
            $"\"{target.Name}\" and its {Plural(target.Recipients, "recipient")} are deleted. Messages already queued to it still go.",
            yesText: "Delete", cancelText: "Cancel");
        if (confirmed != true)
            return;
        await RunAsync(async user =>
        {
            await Lists.DeleteAsync(user, target.Id);
            Snackbar.Add($"\"{target.Name}\" is deleted.", Severity.Success);
            await ReloadAsync(user, null);
        });
    }

    private Task AddAsync() => RunAsync(async user =>
    {
        await Lists.AddAsync(user, _selected!.Id, _recipientName, _recipientAddress ?? "");
        _recipientName = _recipientAddress = null;
        await ReloadAsync(user, _selected.Id);
    });

    private Task RemoveAsync(RecipientView recipient) => RunAsync(async user =>
    {
        await Lists.RemoveAsync(user, _selected!.Id, recipient.Id);
        await ReloadAsync(user, _selected.Id);
    });

    private Task ImportAsync(IBrowserFile? file) => RunAsync(async user =>
    {
        if (file is null)
            return;
        if (file.Size > RecipientListEndpoints.MaxCsvBytes)
        {
            _error = $"\"{file.Name}\" is larger than {RecipientListEndpoints.MaxCsvBytes / 1024 / 1024} MB: split it.";
            return;
        }
        using var reader = new StreamReader(file.OpenReadStream(RecipientListEndpoints.MaxCsvBytes), System.Text.Encoding.UTF8);
        var csv = await reader.ReadToEndAsync();
        var listId = _selected!.Id;
        _report = await Lists.ImportAsync(user, listId, csv);
        var report = _report;
        await ReloadAsync(user, listId);
        _report = report;
    });

    private async Task ReloadAsync(ClaimsPrincipal user, int? selectId)
    {
        _lists = await Lists.ListAsync();
        _selected = selectId is { } id ? _lists.FirstOrDefault(l => l.Id == id) : null;
        _report = null;
        _recipients = _selected is null ? null : await Lists.RecipientsAsync(user, _selected.Id);
    }

    /// <summary>Runs a command; a refusal is shown above the page, never thrown at the circuit.</summary>
    private async Task RunAsync(Func<ClaimsPrincipal, Task> command)
    {
        _error = null;
        _busy = true;
        try
        {
            await command((await Auth).User);
        }
        catch (CommandException e)
        {
            _error = e.Message;
        }
        finally
        {
            _busy = false;
        }
    }
}
