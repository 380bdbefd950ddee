using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace CrisisDesk.ComponentTests;

/// <summary>
/// Owns a bUnit context with MudBlazor's services. MudBlazor registers services that only dispose asynchronously, so
/// the context is disposed through <see cref="IAsyncLifetime"/> rather than inherited (xunit v2 disposes synchronously).
/// </summary>
public abstract class ComponentTest : IAsyncLifetime
{
    protected BunitContext Context { get; } = new();

    protected ComponentTest()
    {
        Context.JSInterop.Mode = JSRuntimeMode.Loose;
        Context.Services.AddMudServices();
        // MapView reads its tile source from options; the defaults (OpenStreetMap) unless a test configures them.
        Context.Services.AddOptions();
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Context.DisposeAsync();
}
