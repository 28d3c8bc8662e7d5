using KvmConfig.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KvmConfig.Monitoring.Exporter;

/// <summary>
/// TLS and basic authentication for the exporter, from the web configuration file every Prometheus exporter reads
/// (the exporter toolkit's <c>--web.config.file</c>), so one file serves node_exporter and kvmconfig alike:
/// </summary>
/// <remarks>
/// <code>
/// tls_server_config:
///   cert_file: /etc/kvmconfig/exporter.crt    # PEM; relative paths are relative to this file
///   key_file: /etc/kvmconfig/exporter.key
/// basic_auth_users:
///   prometheus: $2y$10$...                    # bcrypt hash: htpasswd -nBC 10 "" | tr -d ':\n'
/// </code>
/// Keys kvmconfig does not implement (client certificates, cipher lists, HTTP/2, headers) are refused by name rather
/// than ignored: a setting that silently does nothing is worse than none.
/// </remarks>
/// <param name="CertFile">The server certificate (PEM), or null for plain HTTP.</param>
/// <param name="KeyFile">Its private key (PEM).</param>
/// <param name="BasicAuthUsers">User name to bcrypt hash; empty for no authentication.</param>
public sealed partial record WebConfig(string? CertFile, string? KeyFile, IReadOnlyDictionary<string, string> BasicAuthUsers)
{
    /// <summary>Plain HTTP, no authentication: the default, for a loopback address.</summary>
    public static WebConfig None { get; } = new(null, null, new Dictionary<string, string>());

    /// <summary>True when the exporter serves HTTPS.</summary>
    public bool Tls => CertFile is not null;

    /// <summary>True when every request must carry a user and password.</summary>
    public bool Authenticates => BasicAuthUsers.Count > 0;

    /// <summary>Reads <paramref name="path"/>; KVC093 naming the file, the line and the fix when it cannot be used.</summary>
    public static WebConfig Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refuse(path, null, $"cannot read it: {e.Message}", "pass the web configuration file Prometheus exporters use (--web-config FILE)");
        }

        var yaml = new YamlStream();
        try
        {
            yaml.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            throw Refuse(path, e.Start.Line, $"it is not YAML: {e.Message}", "compare it with the example in docs/security.md");
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return None;
        }

        YamlMappingNode root = Mapping(path, yaml.Documents[0].RootNode, "the file");
        string? cert = null, key = null;
        var users = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((YamlNode name, YamlNode value) in root.Children)
        {
            switch (Scalar(path, name))
            {
                case "tls_server_config":
                    foreach ((YamlNode tlsName, YamlNode tlsValue) in Mapping(path, value, "tls_server_config").Children)
                    {
                        string setting = Scalar(path, tlsName);
                        string file = Scalar(path, tlsValue);
                        string full = Path.IsPathRooted(file) ? file : Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/", file);
                        _ = setting switch
                        {
                            "cert_file" => cert = full,
                            "key_file" => key = full,
                            _ => throw Unsupported(path, tlsName, $"tls_server_config.{setting}"),
                        };
                    }

                    break;
                case "basic_auth_users":
                    foreach ((YamlNode user, YamlNode hash) in Mapping(path, value, "basic_auth_users").Children)
                    {
                        string h = Scalar(path, hash);
                        if (!BcryptHash().IsMatch(h))
                        {
                            throw Refuse(path, hash.Start.Line, $"the password of user '{Scalar(path, user)}' is not a bcrypt hash of cost 4 to 16 ($2a$, $2b$ or $2y$)",
                                "store the bcrypt hash, never the password: htpasswd -nBC 10 \"\" | tr -d ':\\n'");
                        }

                        users[Scalar(path, user)] = h;
                    }

                    break;
                default:
                    throw Unsupported(path, name, Scalar(path, name));
            }
        }

        if ((cert is null) != (key is null))
        {
            throw Refuse(path, null, "tls_server_config needs both cert_file and key_file", "add the one that is missing");
        }

        return new WebConfig(cert, key, users);
    }

    /// <summary>The cost of a hash <see cref="Load"/> accepted (the two digits after <c>$2y$</c>).</summary>
    internal static int BcryptCost(string hash) => int.Parse(hash.AsSpan(4, 2), System.Globalization.CultureInfo.InvariantCulture);

    // $2a$, $2b$ or $2y$, a cost of 4 to 16 (above that one check takes seconds), 22 characters of salt and 31 of hash
    // in bcrypt's base-64 alphabet.
    [System.Text.RegularExpressions.GeneratedRegex(@"^\$2[aby]\$(0[4-9]|1[0-6])\$[./A-Za-z0-9]{53}$")]
    private static partial System.Text.RegularExpressions.Regex BcryptHash();

    private static YamlMappingNode Mapping(string path, YamlNode node, string what) =>
        node as YamlMappingNode ?? throw Refuse(path, node.Start.Line, $"{what} must be a mapping of keys to values", "compare it with the example in docs/security.md");

    private static string Scalar(string path, YamlNode node) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Refuse(path, node.Start.Line, "a key or value here must be a plain string", "compare it with the example in docs/security.md");

    private static KvmConfigException Unsupported(string path, YamlNode node, string key) =>
        Refuse(path, node.Start.Line, $"{key} is not supported by kvmconfig (it reads tls_server_config.cert_file and key_file, and basic_auth_users)",
            $"remove {key}, or terminate TLS in front of kvmconfig where you need it");

    private static KvmConfigException Refuse(string path, long? line, string why, string hint) => MonitoringErrors.WebConfigRefused(path, line, why, hint);
}
