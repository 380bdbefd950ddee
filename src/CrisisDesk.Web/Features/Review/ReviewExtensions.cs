using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Commands;

namespace CrisisDesk.Web.Features.Review;

public static class ReviewExtensions
{
    /// <summary>Replay, reports and retention.</summary>
    public static IHostApplicationBuilder AddReview(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ReplayQueries>();
        builder.Services.AddSingleton<IncidentReports>();
        builder.Services.AddSingleton<IncidentDataExport>();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RetentionJob>();
        builder.Services.AddHostedService<RetentionService>();
        return builder;
    }

    public static IEndpointRouteBuilder MapReviewEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/api/review").RequireAuthorization(Policies.Viewer).WithCommandErrors();
        ReportEndpoints.Map(group);
        return endpoints;
    }
}
