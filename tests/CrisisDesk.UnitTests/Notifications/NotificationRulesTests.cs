using CrisisDesk.Core.Rebuttals;
using CrisisDesk.Web.Features.Account;
using CrisisDesk.Web.Features.Notifications;

namespace CrisisDesk.UnitTests.Notifications;

public sealed class NotificationRulesTests
{
    [Theory]
    [InlineData("duty.officer@riverside.gov.uk")]
    [InlineData("a+b@example.org")]
    public void A_plain_email_address_is_accepted(string email) => Assert.Null(Contacts.EmailProblem(email));

    [Theory]
    [InlineData("duty officer at riverside")]
    [InlineData("duty@localhost")]
    [InlineData("Duty <duty@example.org>")]
    [InlineData("a@b@example.org")]
    [InlineData("duty@example.org, other@example.org")]
    public void Anything_but_one_plain_address_is_refused_with_the_reason(string email) =>
        Assert.Contains("is not an email address", Contacts.EmailProblem(email), StringComparison.Ordinal);

    [Theory]
    [InlineData("+44 7700 900123", "+447700900123")]
    [InlineData("+1 (415) 555-0100", "+14155550100")]
    public void A_number_in_international_form_is_normalised_and_accepted(string typed, string stored)
    {
        Assert.Equal(stored, Contacts.NormalisePhone(typed));
        Assert.Null(Contacts.PhoneProblem(Contacts.NormalisePhone(typed)));
    }

    [Theory]
    [InlineData("07700900123")]
    [InlineData("+0447700900123")]
    [InlineData("+44 7700 CALL ME")]
    [InlineData("+12")]
    public void A_number_not_in_international_form_is_refused_with_the_reason(string typed) =>
        Assert.Contains("international form", Contacts.PhoneProblem(Contacts.NormalisePhone(typed)), StringComparison.Ordinal);

    [Fact]
    public void Quiet_hours_over_midnight_hold_the_night_in_the_persons_time_zone()
    {
        var quiet = new QuietHours(new TimeOnly(22, 0), new TimeOnly(7, 0), "Europe/London");
        // 23:30 in London in summer is 22:30 UTC; 07:30 London is 06:30 UTC.
        Assert.True(quiet.Contains(new DateTimeOffset(2026, 7, 1, 22, 30, 0, TimeSpan.Zero)));
        Assert.True(quiet.Contains(new DateTimeOffset(2026, 7, 1, 5, 59, 0, TimeSpan.Zero)));
        Assert.False(quiet.Contains(new DateTimeOffset(2026, 7, 1, 6, 30, 0, TimeSpan.Zero)));
        Assert.False(quiet.Contains(new DateTimeOffset(2026, 7, 1, 12, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Quiet_hours_within_a_day_hold_only_that_span()
    {
        var quiet = new QuietHours(new TimeOnly(12, 0), new TimeOnly(13, 0), "UTC");
        Assert.True(quiet.Contains(new DateTimeOffset(2026, 1, 1, 12, 30, 0, TimeSpan.Zero)));
        Assert.False(quiet.Contains(new DateTimeOffset(2026, 1, 1, 13, 0, 0, TimeSpan.Zero)));
    }

    [Fact]
    public void Rumour_severity_thresholds_count_from_the_least()
    {
        Assert.True(RumourSeverities.AtLeast("Critical", "High"));
        Assert.True(RumourSeverities.AtLeast("High", "High"));
        Assert.False(RumourSeverities.AtLeast("Medium", "High"));
        Assert.True(RumourSeverities.AtLeast("Low", null));
    }

    [Fact]
    public void Role_defaults_ask_approvers_by_email_for_approvals_and_ring_nobody_by_sms()
    {
        Assert.Contains(RoleDefaults.For(Roles.Approver), r => r is { Kind: NotificationKinds.Approval, InApp: true, Email: true });
        Assert.DoesNotContain(RoleDefaults.For(Roles.Operator), r => r.Kind == NotificationKinds.Approval && r.Any);
        Assert.All(Roles.All.SelectMany(RoleDefaults.For), r => Assert.False(r.Sms));
        Assert.All(Roles.All, role => Assert.Equal(NotificationKinds.All, RoleDefaults.For(role).Select(r => r.Kind)));
    }

    [Fact]
    public void An_sms_keeps_the_whole_link_and_fits_two_segments_however_long_the_title()
    {
        var link = new Uri("https://alerts.riverside.example.gov/incidents/12/alerts/345");
        var message = new NotificationMessage(1, "Alert waiting for your approval: " + new string('x', 400), "body", link, Urgent: true, null, "+447700900123");

        var text = message.SmsText();

        Assert.StartsWith("URGENT Alert waiting", text, StringComparison.Ordinal);
        Assert.EndsWith(" " + link.AbsoluteUri, text, StringComparison.Ordinal);
        Assert.True(ChannelText.Count(TextChannel.Sms, text).Segments <= 2, text);
    }
}
