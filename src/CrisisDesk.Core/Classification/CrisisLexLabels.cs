namespace CrisisDesk.Core.Classification;

/// <summary>CrisisLexT26's informativeness labels, in the order of their stored codes (0, 1, 2).</summary>
public enum Informativeness : short
{
    NotRelated = 0,
    RelatedNotInformative = 1,
    RelatedInformative = 2,
}

/// <summary>CrisisLexT26's six information types, in the order of their stored codes (1..6).</summary>
public enum InformationType : short
{
    AffectedIndividuals = 1,
    InfrastructureAndUtilities = 2,
    DonationsAndVolunteering = 3,
    CautionAndAdvice = 4,
    SympathyAndSupport = 5,
    OtherUsefulInformation = 6,
}

/// <summary>The labels exactly as CrisisLexT26 writes them, and the codes CrisisDesk stores.</summary>
public static class CrisisLexLabels
{
    /// <summary>Informativeness names as in the CrisisLexT26 files, indexed by <see cref="Informativeness"/>.</summary>
    public static IReadOnlyList<string> InformativenessNames { get; } =
        ["Not related", "Related - but not informative", "Related and informative"];

    /// <summary>Information type names as in the CrisisLexT26 files, indexed by <see cref="InformationType"/> − 1.</summary>
    public static IReadOnlyList<string> InformationTypeNames { get; } =
    [
        "Affected individuals",
        "Infrastructure and utilities",
        "Donations and volunteering",
        "Caution and advice",
        "Sympathy and support",
        "Other Useful Information",
    ];

    public static string Name(Informativeness value) => InformativenessNames[(int)value];

    public static string Name(InformationType value) => InformationTypeNames[(int)value - 1];

    /// <summary>The informativeness a CrisisLexT26 label names, or null for "Not applicable" and anything else.</summary>
    public static Informativeness? ParseInformativeness(string label)
    {
        var i = IndexOf(InformativenessNames, label);
        return i < 0 ? null : (Informativeness)i;
    }

    /// <summary>The information type a CrisisLexT26 label names, or null for "Not labeled", "Not applicable" and anything else.</summary>
    public static InformationType? ParseInformationType(string label)
    {
        var i = IndexOf(InformationTypeNames, label);
        return i < 0 ? null : (InformationType)(i + 1);
    }

    private static int IndexOf(IReadOnlyList<string> names, string label)
    {
        label = label.Trim();
        for (var i = 0; i < names.Count; i++)
        {
            if (string.Equals(names[i], label, StringComparison.OrdinalIgnoreCase))
                return i;
        }
        return -1;
    }
}
