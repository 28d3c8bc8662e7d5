using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace KvmConfig.Monitoring.Exporter;

/// <summary>
/// Checks <c>Authorization: Basic</c> against the bcrypt hashes of <see cref="WebConfig.BasicAuthUsers"/>. bcrypt is
/// slow on purpose (tens of milliseconds a check), which anyone who reaches the port could turn against the exporter:
/// so a pair that passed is remembered (by its salted SHA-256, never in clear) and Prometheus's scrapes after the first
/// cost nothing, and one bcrypt check runs at a time, a request that cannot get one within a second being refused.
/// An unknown user is checked against a dummy hash of the highest configured cost, so the answer takes as long whether
/// or not the user exists.
/// </summary>
internal sealed class BasicAuthUsers
{
    private const int MostRemembered = 64;

    private readonly IReadOnlyDictionary<string, string> _users;
    private readonly Lazy<string> _dummy;
    private readonly byte[] _salt = RandomNumberGenerator.GetBytes(16);
    private readonly ConcurrentDictionary<string, bool> _passed = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _bcrypt = new(1, 1);

    public BasicAuthUsers(IReadOnlyDictionary<string, string> users)
    {
        _users = users;
        int cost = users.Values.Select(WebConfig.BcryptCost).DefaultIfEmpty(10).Max();
        _dummy = new Lazy<string>(() => BCrypt.Net.BCrypt.HashPassword("kvmconfig", workFactor: cost));
    }

    /// <summary>True when <paramref name="authorization"/> names a user with the right password.</summary>
    public async Task<bool> AllowsAsync(string? authorization, CancellationToken cancellationToken)
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

        string key = Convert.ToHexString(HMACSHA256.HashData(_salt, Encoding.UTF8.GetBytes(pair)));
        if (_passed.ContainsKey(key))
        {
            return true;
        }

        if (!await _bcrypt.WaitAsync(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        try
        {
            string user = pair[..colon], password = pair[(colon + 1)..];
            bool known = _users.TryGetValue(user, out string? hash);
            bool verified = BCrypt.Net.BCrypt.Verify(password, known ? hash : _dummy.Value) && known;
            if (verified && _passed.Count < MostRemembered)
            {
                _passed[key] = true;
            }

            return verified;
        }
        finally
        {
            _bcrypt.Release();
        }
    }
}
