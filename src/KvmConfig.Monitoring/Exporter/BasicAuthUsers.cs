using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace KvmConfig.Monitoring.Exporter;

/// <summary>
/// Checks <c>Authorization: Basic</c> against the bcrypt hashes of <see cref="WebConfig.BasicAuthUsers"/>. bcrypt is
/// slow on purpose (tens of milliseconds a check), so a pair that passed is remembered (by its SHA-256, never in
/// clear) and Prometheus's every scrape does not pay for it; an unknown user is checked against a dummy hash, so the
/// answer takes as long whether or not the user exists.
/// </summary>
internal sealed class BasicAuthUsers(IReadOnlyDictionary<string, string> users)
{
    private const int MostRemembered = 64;

    private static readonly Lazy<string> Dummy = new(() => BCrypt.Net.BCrypt.HashPassword("kvmconfig", workFactor: 10));

    private readonly ConcurrentDictionary<string, bool> _passed = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="authorization"/> names a user with the right password.</summary>
    public bool Allows(string? authorization)
    {
        const string scheme = "Basic ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        string pair;
        try
        {
            pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[scheme.Length..].Trim()));
        }
        catch (FormatException)
        {
            return false;
        }

        int colon = pair.IndexOf(':', StringComparison.Ordinal);
        if (colon < 0)
        {
            return false;
        }

        string key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(pair)));
        if (_passed.ContainsKey(key))
        {
            return true;
        }

        string user = pair[..colon], password = pair[(colon + 1)..];
        bool known = users.TryGetValue(user, out string? hash);
        bool verified = BCrypt.Net.BCrypt.Verify(password, known ? hash : Dummy.Value) && known;
        if (verified && _passed.Count < MostRemembered)
        {
            _passed[key] = true;
        }

        return verified;
    }
}
