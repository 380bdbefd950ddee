using System.Security.Claims;
using CrisisDesk.Core.Rebuttals;
using CrisisDesk.IntegrationTests.Support;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Rebuttals;
using Dapper;
using Microsoft.Extensions.DependencyInjection;

namespace CrisisDesk.IntegrationTests.Publishing;

/// <summary>Two people saving a template under the same new name at once: the second hears a plain conflict, not a server error.</summary>
public sealed class RebuttalTemplateRaceTests(PublishingFactory app) : IClassFixture<PublishingFactory>
{
    [Fact]
    public async Task A_template_saved_under_a_new_name_someone_is_saving_at_the_same_moment_is_refused_as_a_conflict()
    {
        var (name, _) = await app.CreateUserAsync(Roles.Operator);
        var user = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, name), new Claim(ClaimTypes.Role, Roles.Operator)], "test"));
        var templates = app.Services.GetRequiredService<RebuttalCommands>();
        var templateName = $"Bridge open {Guid.NewGuid():N}";

        // The other person's save: inserted, not yet committed, so ours finds no template of that name and inserts too.
        await using var connection = await app.Database.DataSource.OpenConnectionAsync();
        await using var theirs = await connection.BeginTransactionAsync();
        await connection.ExecuteAsync("INSERT INTO rebuttal_templates (name, variants, created_by) VALUES (@templateName, '{\"X\":\"theirs\"}', 'someone')",
            new { templateName }, theirs);
        var ours = templates.SaveTemplateAsync(user, templateName.ToUpperInvariant(), new Dictionary<TextChannel, string> { [TextChannel.X] = "ours" });
        await app.Database.WaitForLockWaitAsync("transactionid");
        await theirs.CommitAsync();

        var refused = await Assert.ThrowsAsync<CommandException>(() => ours);
        Assert.Equal(409, refused.StatusCode);
        Assert.Contains("saved a template named", refused.Message, StringComparison.Ordinal);
        Assert.Equal("theirs", (await templates.TemplatesAsync()).Single(t => t.Name == templateName).Variants[TextChannel.X]);

        // Saving again replaces theirs, as the message says.
        await templates.SaveTemplateAsync(user, templateName, new Dictionary<TextChannel, string> { [TextChannel.X] = "ours" });
        Assert.Equal("ours", (await templates.TemplatesAsync()).Single(t => t.Name == templateName).Variants[TextChannel.X]);
    }
}
