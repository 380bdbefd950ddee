using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;
using CrisisDesk.Web.Features.Startup;

namespace CrisisDesk.Web.Features.Account;

/// <summary>
/// Refuses cross-site requests that change state, whatever the cookie's SameSite says. Every POST, PUT, PATCH or
/// DELETE under <c>/api</c> and <c>/account</c> must
/// <list type="number">
/// <item>come from this site: an <c>Origin</c> header, when sent, is this site's origin (browsers send it on every
/// cross-origin POST), and <c>Sec-Fetch-Site</c>, when sent, is <c>same-origin</c> or <c>none</c>;</item>
/// <item>prove it is not a plain cross-site form or a "simple" fetch: either the header
/// <c>X-CrisisDesk-Request: 1</c> (a custom header, which a browser sends cross-origin only after a CORS preflight,
/// and this site answers none) or the antiforgery token of one of its forms;</item>
/// <item>carry a body only of a content type its route documents (JSON routes application/json, CAP routes
/// application/cap+xml or application/xml, forms their form types; a bodiless command no body, or JSON): else 415.</item>
/// </list>
/// Blazor's circuit (<c>/_blazor</c>) is not under these paths and has its own origin check.
/// </summary>
public static class CrossSiteRequests
{
    public const string HeaderName = "X-CrisisDesk-Request";

    private static readonly string[] BodilessTypes = ["application/json"];

    public static IApplicationBuilder UseCrossSiteRequestChecks(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method) || HttpMethods.IsTrace(request.Method)
            || !(request.Path.StartsWithSegments("/api") || request.Path.StartsWithSegments("/account")))
        {
            await next(context);
            return;
        }
        if (!IsSameOrigin(context))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "Cross-site request refused",
                "This request came from another site (its Origin is not this site's), so it was not carried out.");
            return;
        }
        if (!request.Headers[HeaderName].Equals("1") && !await context.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(context))
        {
            await RefuseAsync(context, StatusCodes.Status403Forbidden, "Request token missing",
                $"Send the header \"{HeaderName}: 1\" with API calls (or the antiforgery token of the form).");
            return;
        }
        if (ContentTypeProblem(context) is { } problem)
        {
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType, "Unsupported content type", problem);
            return;
        }
        await next(context);
    });

    private static bool IsSameOrigin(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (headers["Sec-Fetch-Site"].ToString() is { Length: > 0 } site && site is not ("same-origin" or "none"))
            return false;
        var origin = headers.Origin.ToString();
        if (origin.Length == 0)
            return true;
        var own = context.RequestServices.GetRequiredService<PublicUrl>();
        return Origin(own.For(context.Request)) == origin.TrimEnd('/')
            || Origin(new Uri($"{context.Request.Scheme}://{context.Request.Host}/")) == origin.TrimEnd('/');
    }

    private static string Origin(Uri uri) => uri.GetLeftPart(UriPartial.Authority);

    private static string? ContentTypeProblem(HttpContext context)
    {
        var request = context.Request;
        var hasBody = request.ContentLength > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0);
        if (request.ContentType is null)
            return hasBody ? "Say what the body is with a Content-Type header." : null;
        var accepted = context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>()?.ContentTypes is { Count: > 0 } types ? types : BodilessTypes;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var sent))
            return $"\"{request.ContentType}\" is not a content type.";
        return accepted.Any(a => MediaTypeHeaderValue.TryParse(a, out var type) && sent.IsSubsetOf(type))
            ? null
            : $"This route takes {string.Join(" or ", accepted)}, not {sent.MediaType}.";
    }

    private static Task RefuseAsync(HttpContext context, int status, string title, string detail) =>
        Results.Problem(detail, statusCode: status, title: title).ExecuteAsync(context);
}
