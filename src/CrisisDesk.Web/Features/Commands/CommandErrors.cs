namespace CrisisDesk.Web.Features.Commands;

/// <summary>The one endpoint filter that turns a refused command into its HTTP answer, for every API group.</summary>
public static class CommandErrors
{
    public static RouteGroupBuilder WithCommandErrors(this RouteGroupBuilder group)
    {
        group.AddEndpointFilter(async (context, next) =>
        {
            try
            {
                return await next(context);
            }
            catch (CommandException e)
            {
                return e.ToResult();
            }
            catch (CrisisDesk.Ingest.Pipeline.SourceNotStartableException e)
            {
                // Raised by the ingest host, which knows nothing of HTTP: the source was removed or stopped meanwhile.
                return Results.Problem(e.Message, statusCode: StatusCodes.Status409Conflict);
            }
        });
        return group;
    }
}
