using System.Net;
using CrisisDesk.IntegrationTests.Support;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CrisisDesk.IntegrationTests.Nodes;

/// <summary>
/// One CrisisDesk node (the real Program) on a shared test database, with the roles and settings given. With
/// <paramref name="listen"/> it listens on a loopback port of its own (Kestrel), so that other nodes can reach its hub.
/// </summary>
internal sealed class NodeFactory(string connectionString, string roles, IReadOnlyDictionary<string, string?>? settings = null, bool listen = false)
    : WebApplicationFactory<Program>
{
    public const string ClusterKey = "integration-cluster-key-0123456789abcdef";

    public ServerErrorLog ServerErrors { get; } = new();

    public NodeFactory Start()
    {
        if (listen)
        {
            UseKestrel(options => options.Listen(IPAddress.Loopback, 0));
            StartServer();
        }
        else
        {
            _ = Server;
        }
        return this;
    }

    /// <summary>Where the node listens (with <c>listen</c>).</summary>
    public Uri Address => new(Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Development");
        builder.ConfigureLogging(logging => logging.AddProvider(ServerErrors));
        builder.UseSetting("ConnectionStrings:CrisisDesk", connectionString);
        builder.UseSetting("CrisisDesk:Admin:UserName", CrisisDeskFactory.AdminUser);
        builder.UseSetting("CrisisDesk:Admin:Password", CrisisDeskFactory.AdminPassword);
        builder.UseSetting("CrisisDesk:Drill:OpenOnFirstRun", "false");
        builder.UseSetting("CrisisDesk:Roles", roles);
        builder.UseSetting("CrisisDesk:Nodes:ClusterKey", ClusterKey);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            builder.UseSetting(key, value);
    }
}
