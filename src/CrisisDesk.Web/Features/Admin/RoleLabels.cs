using CrisisDesk.Web.Features.Account;

namespace CrisisDesk.Web.Features.Admin;

/// <summary>Each role in words and what it may do, for the Users page's chips, tooltips and choices.</summary>
public static class RoleLabels
{
    /// <summary>What a role adds to the one below it, in a person's words.</summary>
    public static string Description(string role) => role switch
    {
        Roles.Viewer => "Can read the war room, rumours, alerts and reviews; changes nothing.",
        Roles.Operator => "A Viewer who also triages posts, flags rumours and drafts rebuttals and alerts.",
        Roles.Approver => "An Operator who also approves or sends back rebuttals and alerts, and reads the audit log.",
        Roles.Admin => "Everything: also manages users and sources and verifies the audit log.",
        _ => "Unknown role.",
    };

    /// <summary>The roles are already words; the label is the role itself, kept as one place to change.</summary>
    public static string Label(string role) => Roles.IsKnown(role) ? role : $"Unknown ({role})";
}
