using System.Security.Claims;
using CrisisDesk.Web.Components.Layout;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Rendering;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.JSInterop;

namespace CrisisDesk.UnitTests.Layout;

/// <summary>The layout rendered by Blazor's own renderer around a page that fails.</summary>
public sealed class MainLayoutTests
{
    [Fact]
    public async Task A_page_that_fails_shows_the_error_inside_the_layout_and_the_error_is_logged()
    {
        var errors = new RecordingErrorLogger();
        await using var services = new ServiceCollection()
            .AddLogging()
            .AddAuthorizationCore()
            .AddSingleton<NavigationManager, FixedNavigationManager>()
            .AddSingleton<IJSRuntime, UnusedJSRuntime>()
            .AddSingleton<IErrorBoundaryLogger>(errors)
            .BuildServiceProvider();
        await using var renderer = new HtmlRenderer(services, NullLoggerFactory.Instance);

        var html = await renderer.Dispatcher.InvokeAsync(async () =>
            (await renderer.RenderComponentAsync<LayoutAroundFailingPage>()).ToHtmlString());

        Assert.Contains("data-testid=\"page-error\"", html, StringComparison.Ordinal);
        Assert.Contains("Reload this view", html, StringComparison.Ordinal);
        Assert.Contains("class=\"topbar\"", html, StringComparison.Ordinal); // the rest of the layout still renders
        Assert.DoesNotContain("page content", html, StringComparison.Ordinal);
        Assert.Equal("the page broke", Assert.Single(errors.Logged).Message);
    }

    private sealed class LayoutAroundFailingPage : ComponentBase
    {
        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            var anonymous = Task.FromResult(new AuthenticationState(new ClaimsPrincipal(new ClaimsIdentity())));
            builder.OpenComponent<CascadingValue<Task<AuthenticationState>>>(0);
            builder.AddComponentParameter(1, "Value", anonymous);
            builder.AddComponentParameter(2, "ChildContent", (RenderFragment)(layout =>
            {
                layout.OpenComponent<MainLayout>(0);
                layout.AddComponentParameter(1, "Body", (RenderFragment)(body =>
                {
                    body.OpenComponent<FailingPage>(0);
                    body.CloseComponent();
                }));
                layout.CloseComponent();
            }));
            builder.CloseComponent();
        }
    }

    private sealed class FailingPage : ComponentBase
    {
        protected override void BuildRenderTree(RenderTreeBuilder builder)
        {
            builder.AddContent(0, "page content");
            throw new InvalidOperationException("the page broke");
        }
    }

    private sealed class RecordingErrorLogger : IErrorBoundaryLogger
    {
        public List<Exception> Logged { get; } = [];

        public ValueTask LogErrorAsync(Exception exception)
        {
            Logged.Add(exception);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FixedNavigationManager : NavigationManager
    {
        public FixedNavigationManager() => Initialize("http://localhost/", "http://localhost/incidents/1");
    }

    /// <summary>The layout's circuit marker asks for a JS runtime but calls it only on an interactive render.</summary>
    private sealed class UnusedJSRuntime : IJSRuntime
    {
        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, object?[]? args) => throw new InvalidOperationException("no JS in a static render");

        public ValueTask<TValue> InvokeAsync<TValue>(string identifier, CancellationToken cancellationToken, object?[]? args) => throw new InvalidOperationException("no JS in a static render");
    }
}
