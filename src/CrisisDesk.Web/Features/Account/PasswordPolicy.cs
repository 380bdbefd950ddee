using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace CrisisDesk.Web.Features.Account;

/// <summary>
/// What a password must be, after NIST SP 800-63B (§5.1.1.2): long enough, not too long for a passphrase, and not one an
/// attacker tries first: a common or breached password (the bundled list, Features/Account/Data/ATTRIBUTION.md), the
/// person's own name, or a repetitive or sequential string. No composition rules: any character counts, spaces and
/// any script included.
/// </summary>
public static class PasswordPolicy
{
    public const int MinimumLength = 12;
    public const int MaximumLength = 256;

    private const int FewestDistinctCharacters = 5;

    private static readonly Lazy<HashSet<string>> Common = new(LoadCommon);

    // Sequences people type: the alphabet, digits (wrapping 9 to 0) and the keyboard's letter rows, each twice so a wrap counts.
    private static readonly string[] Sequences = ["abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiopasdfghjklzxcvbnm", "qazwsxedcrfvtgbyhnujmikolp"];

    /// <summary>Why the password cannot be used, in plain words; null when it can.</summary>
    public static string? Problem(string? password, string? userName = null, string? displayName = null)
    {
        password ??= "";
        var length = new StringInfo(password.Normalize(NormalizationForm.FormC)).LengthInTextElements;
        if (length < MinimumLength)
            return $"A password has at least {MinimumLength} characters. A few unrelated words make a long one that is easy to remember.";
        if (length > MaximumLength)
            return $"A password has at most {MaximumLength} characters.";
        var folded = password.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
        if (IsRepetitive(folded))
            return "This password repeats the same few characters (like \"aaaaaaaaaaaa\" or \"abcabcabcabc\"): it is among the first an attacker tries.";
        if (IsSequential(folded))
            return "This password is a run of consecutive characters (like \"123456789012\" or \"abcdefghijkl\"): it is among the first an attacker tries.";
        if (IsCommon(folded))
            return "This password is on a list of common and breached passwords (with digits or symbols added it still is): choose another.";
        foreach (var name in new[] { userName, displayName })
            if (IsBuiltOn(folded, name))
                return "A password cannot be your user name or display name, nor be built around it: choose something else.";
        return null;
    }

    private static bool IsRepetitive(string password)
    {
        if (password.Distinct().Count() < FewestDistinctCharacters)
            return true;
        for (var unit = 1; unit <= password.Length / 2; unit++)
            if (password.Length % unit == 0 && password == string.Concat(Enumerable.Repeat(password[..unit], password.Length / unit)))
                return true;
        return false;
    }

    private static bool IsSequential(string password)
    {
        var text = new string(password.Where(c => !char.IsWhiteSpace(c) && c is not ('-' or '_' or '.')).ToArray());
        foreach (var sequence in Sequences)
        {
            var twice = sequence + sequence;
            var backwards = new string(twice.Reverse().ToArray());
            if (twice.Contains(text, StringComparison.Ordinal) || backwards.Contains(text, StringComparison.Ordinal))
                return true;
        }
        return false;
    }

    /// <summary>On the list as it is, or once digits and symbols added at either end are taken off ("password1234!").</summary>
    private static bool IsCommon(string password)
    {
        var common = Common.Value;
        if (common.Contains(password))
            return true;
        var core = password.Trim().TrimEnd(NotALetter).TrimStart(NotALetter);
        return core.Length >= 4 && core != password && (common.Contains(core) || IsRepetitive(core) && core.Length * 2 <= password.Length);
    }

    private static readonly char[] NotALetter = "0123456789!@#$%^&*()-_=+[]{};:'\",.<>/?\\|`~ ".ToCharArray();

    /// <summary>The name itself, or the name with less than a password's worth of anything else around it.</summary>
    private static bool IsBuiltOn(string password, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            return false;
        foreach (var form in new[] { name.Trim(), new string(name.Where(c => !char.IsWhiteSpace(c)).ToArray()) })
        {
            var folded = form.Normalize(NormalizationForm.FormKC).ToLowerInvariant();
            if (folded.Length < 3 || !password.Contains(folded, StringComparison.Ordinal))
                continue;
            var rest = password.Replace(folded, "", StringComparison.Ordinal);
            if (rest.Length < 8 || IsRepetitive(rest) || IsSequential(rest.Trim(NotALetter).Length == 0 ? rest : rest.Trim(NotALetter)))
                return true;
        }
        return false;
    }

    private static HashSet<string> LoadCommon()
    {
        using var stream = typeof(PasswordPolicy).Assembly.GetManifestResourceStream("CrisisDesk.common-passwords.txt.gz")
            ?? throw new InvalidOperationException("The common-password list is missing from the build.");
        using var reader = new StreamReader(new GZipStream(stream, CompressionMode.Decompress), Encoding.UTF8);
        var set = new HashSet<string>(StringComparer.Ordinal);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0)
                set.Add(line.ToLowerInvariant());
        return set;
    }
}
