using System.Xml.Linq;
using CrisisDesk.Core.Xml;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;

namespace CrisisDesk.Web.Features.Nodes;

/// <summary>
/// Data Protection's key ring in PostgreSQL (<c>data_protection_keys</c>, migration 0830; unmapped in EF), so that every
/// node reads the cookies and antiforgery tokens any node made, and a restart signs nobody out.
/// </summary>
internal sealed class SharedKeyRing(NpgsqlDataSource dataSource) : IXmlRepository
{
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = dataSource.CreateCommand("SELECT xml FROM data_protection_keys ORDER BY id");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            // Our own rows, but read like any XML: no DTD, no resolver.
            using var text = new StringReader(reader.GetString(0));
            using var xml = SafeXml.Create(text);
            elements.Add(XElement.Load(xml));
        }
        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        using var command = dataSource.CreateCommand("INSERT INTO data_protection_keys (friendly_name, xml) VALUES ($1, $2)");
        command.Parameters.Add(new() { Value = friendlyName });
        command.Parameters.Add(new() { Value = element.ToString(SaveOptions.DisableFormatting) });
        command.ExecuteNonQuery();
    }

    public static void AddTo(IServiceCollection services)
    {
        services.AddDataProtection().SetApplicationName("CrisisDesk");
        services.AddOptions<KeyManagementOptions>().Configure<NpgsqlDataSource>((options, dataSource) => options.XmlRepository = new SharedKeyRing(dataSource));
    }
}
