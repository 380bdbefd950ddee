using System.Text.RegularExpressions;
using MimeKit;

namespace CrisisDesk.Web.Features.Notifications;

/// <summary>Checks the addresses and numbers people give, so a bad one is refused at its field and never queued.</summary>
public static partial class Contacts
{
    /// <summary>Null when <paramref name="email"/> is one plain address (name@domain.tld); else why not.</summary>
    public static string? EmailProblem(string email)
    {
        var text = email.Trim();
        if (!MailboxAddress.TryParse(ParserOptions.Default, text, out var mailbox) || !string.Equals(mailbox.Address, text, StringComparison.Ordinal)
            || !PlainAddress().IsMatch(text))
            return $"\"{email}\" is not an email address (name@example.org).";
        return null;
    }

    /// <summary>Null when <paramref name="phone"/> is a number in international (E.164) form; else why not.</summary>
    public static string? PhoneProblem(string phone) =>
        InternationalNumber().IsMatch(phone.Trim()) ? null : $"\"{phone}\" is not a phone number in international form (+44 7700 900123 → +447700900123).";

    /// <summary>A number as typed with spaces, dashes or brackets, reduced to E.164 when it can be.</summary>
    public static string NormalisePhone(string phone) => Separators().Replace(phone.Trim(), "");

    [GeneratedRegex(@"^[^@\s]+@[^@\s]+\.[^@\s.]+$")]
    private static partial Regex PlainAddress();

    [GeneratedRegex(@"^\+[1-9][0-9]{6,14}$")]
    private static partial Regex InternationalNumber();

    [GeneratedRegex(@"[\s\-().]")]
    private static partial Regex Separators();
}
