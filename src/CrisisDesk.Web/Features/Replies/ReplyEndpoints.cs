using CrisisDesk.Ingest.Connectors;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;
using CrisisDesk.Web.Features.Publishing;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CrisisDesk.Web.Features.Replies;

/// <summary>The organisation's accounts, the reply approval rule and replies in thread, over HTTP, with the page's rules.</summary>
public static class ReplyEndpoints
{
    public sealed record AccountRequest(string? Handle, string? BaseUrl, string? SecretName);
    public sealed record RuleRequest(bool NeedsApproval);
    public sealed record ReplyRequest(string? Text, int? RebuttalId);
    public sealed record DecisionRequest(string? Comment);

    /// <summary>The reply channels (in the outbox beside the publishing ones), their commands and the accounts they speak with.</summary>
    public static IHostApplicationBuilder AddReplies(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.TryAddSingleton<SourceSecrets>();
        services.TryAddSingleton(sp => OutboundNetwork.FromConfiguration(sp.GetRequiredService<IConfiguration>()));
        foreach (var channel in new[] { ChannelNames.XReply, ChannelNames.MastodonReply, ChannelNames.BlueskyReply })
        {
            // Under the same outbound address policy as every other channel and source.
            services.AddHttpClient(channel)
                .ConfigurePrimaryHttpMessageHandler(sp => sp.GetRequiredService<OutboundNetwork>().CreateHandler())
                .AddHttpMessageHandler(() => new RedirectHandler());
        }
        services.AddSingleton<ReplyOutbox>();
        services.AddSingleton<IDeliveryChannel, XReplyChannel>();
        services.AddSingleton<IDeliveryChannel, MastodonReplyChannel>();
        services.AddSingleton<IDeliveryChannel, BlueskyReplyChannel>();
        services.AddSingleton<OrgAccountStore>();
        services.AddSingleton<ReplyCommands>();
        return builder;
    }

    public static IEndpointRouteBuilder MapReplyEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var api = endpoints.MapGroup("/api").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        api.MapGet("/incidents/{incidentId:int}/accounts", async (int incidentId, OrgAccountStore accounts, CancellationToken ct) =>
            Results.Ok(await accounts.ListAsync(incidentId, ct)));
        api.MapPut("/incidents/{incidentId:int}/accounts/{platform}", async (int incidentId, string platform, AccountRequest request, HttpContext http, OrgAccountStore accounts) =>
        {
            var input = new OrgAccountInput(platform, request.Handle ?? "", request.BaseUrl ?? "", request.SecretName ?? "");
            return Results.Ok(new { id = await accounts.SaveAsync(http.User, incidentId, input, http.RequestAborted) });
        });
        api.MapDelete("/incidents/{incidentId:int}/accounts/{accountId:int}", async (int incidentId, int accountId, HttpContext http, OrgAccountStore accounts) =>
            { await accounts.RemoveAsync(http.User, incidentId, accountId, http.RequestAborted); return Results.NoContent(); });
        api.MapGet("/reply-rules", async (OrgAccountStore accounts, CancellationToken ct) => Results.Ok(await accounts.RulesAsync(ct)));
        api.MapPut("/reply-rules/{platform}/{role}", async (string platform, string role, RuleRequest request, HttpContext http, OrgAccountStore accounts) =>
            { await accounts.SetRuleAsync(http.User, platform, role, request.NeedsApproval, http.RequestAborted); return Results.NoContent(); });
        api.MapGet("/enquiry-rule", async (OrgAccountStore accounts, CancellationToken ct) => Results.Ok(await accounts.EnquiryRuleAsync(ct)));
        api.MapPut("/enquiry-rule", async (EnquiryRuleSettings request, HttpContext http, OrgAccountStore accounts) =>
            { await accounts.SetEnquiryRuleAsync(http.User, request, http.RequestAborted); return Results.NoContent(); });

        api.MapGet("/posts/{postId:long}/replies", async (long postId, ReplyCommands replies, CancellationToken ct) =>
            Results.Ok(await replies.ForPostAsync(postId, ct)));
        api.MapPost("/posts/{postId:long}/replies", async (long postId, ReplyRequest request, HttpContext http, ReplyCommands replies) =>
        {
            var outcome = await replies.ReplyAsync(http.User, postId, request.Text ?? "", request.RebuttalId, http.RequestAborted);
            return Results.Created($"/api/posts/{postId}/replies", outcome);
        });
        api.MapPost("/replies/{replyId:int}/approve", async (int replyId, DecisionRequest? request, HttpContext http, ReplyCommands replies) =>
            Results.Ok(new { deliveryId = await replies.ApproveAsync(http.User, replyId, request?.Comment, http.RequestAborted) }));
        api.MapPost("/replies/{replyId:int}/reject", async (int replyId, DecisionRequest request, HttpContext http, ReplyCommands replies) =>
            { await replies.RejectAsync(http.User, replyId, request.Comment ?? "", http.RequestAborted); return Results.NoContent(); });
        return endpoints;
    }
}
