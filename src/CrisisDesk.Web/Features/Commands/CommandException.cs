namespace CrisisDesk.Web.Features.Commands;

/// <summary>
/// A command refused for a reason the person can act on, carrying the HTTP status the API answers with. Every
/// feature's refusal (<c>RumourInputException</c>, <c>RumourConflictException</c>, <c>CommandDeniedException</c>, …)
/// is one of these, so one endpoint filter (<see cref="CommandErrors"/>) answers them all and pages can still catch
/// the kind they show differently.
/// </summary>
public class CommandException(string message, int statusCode) : Exception(message)
{
    /// <summary>The HTTP status of the refusal: 400 bad input, 403 not allowed, 404 not found, 409 conflict with the current state.</summary>
    public int StatusCode { get; } = statusCode;

    /// <summary>The answer over HTTP: problem details with the message; a kind with more to say (the current state, each field's error) overrides it.</summary>
    public virtual IResult ToResult() => Results.Problem(Message, statusCode: StatusCode);
}
