using CrisisDesk.Web.Features.Account;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace CrisisDesk.UnitTests.Account;

/// <summary>Single sign-on settings are checked at start, each problem named with its setting; the role map picks the highest role.</summary>
public sealed class SingleSignOnOptionsTests
{
    private static SingleSignOnOptionsValidator Validator(params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build());

    private static SingleSignOnOptions Configured() => new()
    {
        Authority = "https://login.example.org/realms/ops",
        ClientId = "crisisdesk",
        ClientSecret = "Oidc:ClientSecret",
        RoleMap = new(StringComparer.OrdinalIgnoreCase) { ["crisis-operators"] = "Operator", ["crisis-admins"] = "Admin" },
    };

    private static readonly (string, string) Secret = ("CrisisDesk:Secrets:Oidc:ClientSecret", "s3cret");

    [Fact]
    public void Unconfigured_is_off_and_valid()
    {
        var options = new SingleSignOnOptions();
        Assert.False(options.Enabled);
        Assert.True(Validator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void A_complete_configuration_is_valid()
    {
        Assert.True(Validator(Secret).Validate(null, Configured()).Succeeded);
    }

    [Fact]
    public void A_client_id_without_an_authority_is_refused()
    {
        var result = Validator().Validate(null, new SingleSignOnOptions { ClientId = "crisisdesk" });
        Assert.Contains("CrisisDesk:Oidc:Authority is not", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Each_problem_names_its_setting()
    {
        var options = Configured();
        options.Authority = "http://login.example.org/";
        options.ClientId = "";
        options.RoleMap["finance"] = "Superuser";
        var result = Validator().Validate(null, options);
        Assert.False(result.Succeeded);
        Assert.Contains("CrisisDesk:Oidc:Authority must use https", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("CrisisDesk:Oidc:ClientId must be set", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("CrisisDesk:Secrets:Oidc:ClientSecret has no value", result.FailureMessage, StringComparison.Ordinal);
        Assert.Contains("CrisisDesk:Oidc:RoleMap:finance is \"Superuser\", which is not a role", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_role_map_is_refused()
    {
        var options = Configured();
        options.RoleMap.Clear();
        Assert.Contains("CrisisDesk:Oidc:RoleMap must map at least one", Validator(Secret).Validate(null, options).FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Plain_http_is_allowed_only_to_loopback_with_the_test_setting()
    {
        var options = Configured();
        options.Authority = "http://127.0.0.1:5000";
        Assert.False(Validator(Secret).Validate(null, options).Succeeded);
        Assert.True(Validator(Secret, ("CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback", "true")).Validate(null, options).Succeeded);
        options.Authority = "http://login.example.org";
        Assert.False(Validator(Secret, ("CrisisDesk:Testing:AllowCredentialsOverHttpOnLoopback", "true")).Validate(null, options).Succeeded);
    }

    [Fact]
    public void The_highest_mapped_role_counts_and_unmapped_values_give_none()
    {
        var options = Configured();
        Assert.Equal("Admin", options.RoleFor(["crisis-operators", "staff", "CRISIS-ADMINS"]));
        Assert.Equal("Operator", options.RoleFor(["crisis-operators"]));
        Assert.Null(options.RoleFor(["finance"]));
        Assert.Null(options.RoleFor([]));
    }
}
