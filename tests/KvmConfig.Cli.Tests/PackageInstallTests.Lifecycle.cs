namespace KvmConfig.Cli.Tests;

/// <summary>The package's life on the machine: the exporter's unit, a reinstall over an edited policy, the purge.</summary>
public sealed partial class PackageInstallTests
{
    private const string Unit = "kvmconfig-exporter.service";
    private const string Policy = "/etc/kvmconfig.d/00-cpu.conf";

    // The exporter answers once it has bound its address; it polls libvirt in the background.
    private static readonly TimeSpan ExporterDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task The_exporter_unit_is_valid_and_starts_and_stops_under_systemd()
    {
        // Given the package installed: its unit, pointing at the packaged binary, is one systemd accepts
        if (Skipped())
        {
            return;
        }

        package.EnsureInstalled();
        string unit = File.ReadAllText($"/lib/systemd/system/{Unit}");
        Assert.Contains("ExecStart=/usr/bin/kvmconfig serve --listen 127.0.0.1:9477", unit, StringComparison.Ordinal);
        DebianPackage.Result verify = DebianPackage.Run("systemd-analyze", "verify", $"/lib/systemd/system/{Unit}");
        Assert.True(verify.Exit == 0, $"systemd-analyze verify: {verify.Out}{verify.Err}");
        Assert.NotEqual("enabled", SystemctlIsEnabled());
        if (!Directory.Exists("/run/systemd/system"))
        {
            output.WriteLine("skipped: starting and stopping the unit: this machine does not run systemd (no /run/systemd/system: " +
                "PID 1 is not systemd, as in a container), so systemctl cannot start anything; the unit was verified above");
            return;
        }

        try
        {
            // When systemd starts it
            DebianPackage.Result start = DebianPackage.Run("systemctl", "start", Unit);
            Assert.True(start.Exit == 0, $"systemctl start {Unit}: {start.Err}");

            // Then it serves /metrics on its loopback port, and stops on systemctl stop
            Assert.Equal("active", DebianPackage.Run("systemctl", "is-active", Unit).Out.Trim());
            string metrics = await UntilServed("http://127.0.0.1:9477/metrics");
            Assert.Contains("kvmconfig_", metrics, StringComparison.Ordinal);
            DebianPackage.Result stop = DebianPackage.Run("systemctl", "stop", Unit);
            Assert.True(stop.Exit == 0, $"systemctl stop {Unit}: {stop.Err}");
            Assert.Equal("inactive", DebianPackage.Run("systemctl", "is-active", Unit).Out.Trim());
        }
        finally
        {
            DebianPackage.Run("systemctl", "stop", Unit);
        }
    }

    [Fact]
    public void Reinstalling_keeps_an_edited_policy_and_removing_keeps_it_until_purge()
    {
        // Given the package installed and its policy edited by the administrator
        if (Skipped())
        {
            return;
        }

        package.EnsureInstalled();
        File.AppendAllText(Policy, "# edited by the administrator\n");

        // When the same package is installed again, then removed without purging
        DebianPackage.Result again = DebianPackage.Run("dpkg", "-i", package.Deb);
        string afterReinstall = File.ReadAllText(Policy);
        DebianPackage.Result remove = DebianPackage.Run("dpkg", "-r", DebianPackage.Name);

        // Then the edit survives both, as a conffile's does, and only the configuration is left after removal
        Assert.True(again.Exit == 0, again.Out + again.Err);
        Assert.EndsWith("# edited by the administrator\n", afterReinstall, StringComparison.Ordinal);
        Assert.True(remove.Exit == 0, remove.Out + remove.Err);
        Assert.Equal("deinstall ok config-files", DebianPackage.Status());
        Assert.EndsWith("# edited by the administrator\n", File.ReadAllText(Policy), StringComparison.Ordinal);
        Assert.False(Path.Exists("/usr/bin/kvmconfig"), "/usr/bin/kvmconfig is still there after dpkg -r");
        Purge();
    }

    [Fact]
    public void Purge_leaves_nothing_of_the_package_behind()
    {
        // Given the package installed, with the state its commands write at run time
        if (Skipped())
        {
            return;
        }

        package.EnsureInstalled();
        string[] files = DebianPackage.Run("dpkg-query", "-L", DebianPackage.Name).Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !Directory.Exists(p) || p.Contains("kvmconfig", StringComparison.Ordinal))
            .ToArray();
        Assert.Contains("/usr/bin/kvmconfig", files);
        Assert.Contains(Policy, files);
        Directory.CreateDirectory("/var/lib/kvmconfig/journal");

        // When it is purged
        Purge();

        // Then dpkg forgets it, and none of its files, its own directories or its run-time state is left
        Assert.Equal("", DebianPackage.Status());
        string[] left = files.Where(Path.Exists).ToArray();
        Assert.True(left.Length == 0, $"left after purge: {string.Join(", ", left)}");
        foreach (string dir in (string[])["/etc/kvmconfig.d", "/usr/lib/kvmconfig", "/usr/share/kvmconfig", "/usr/share/doc/kvmconfig", "/var/lib/kvmconfig"])
        {
            Assert.False(Path.Exists(dir), $"{dir} is left after purge");
        }
    }

    private static void Purge()
    {
        DebianPackage.Result purge = DebianPackage.Run("dpkg", "--purge", DebianPackage.Name);
        Assert.True(purge.Exit == 0, purge.Out + purge.Err);
    }

    private static string SystemctlIsEnabled() => DebianPackage.Run("systemctl", "is-enabled", Unit).Out.Trim();

    // GETs the URL until it answers 200 or the deadline passes: the unit is "active" as soon as the process runs, and
    // Kestrel binds a moment later.
    private static async Task<string> UntilServed(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        DateTime deadline = DateTime.UtcNow + ExporterDeadline;
        while (true)
        {
            try
            {
                HttpResponseMessage response = await http.GetAsync(url);
                if (response.IsSuccessStatusCode)
                {
                    return await response.Content.ReadAsStringAsync();
                }
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, $"{url} did not answer 200 within {ExporterDeadline}");
            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
