using System.Diagnostics;

namespace KvmConfig.Cli.Tests;

/// <summary>Debian's headless Chromium (which <c>scripts/setup.sh</c> installs), for tests of the HTML pages as a browser lays them out.</summary>
internal static class HeadlessChromium
{
    /// <summary>
    /// Runs Chromium headless on <paramref name="url"/> with a window of <paramref name="width"/> x
    /// <paramref name="height"/> and returns what it printed; fails on a non-zero exit or after a minute. Root (as in
    /// CI) needs --no-sandbox; a profile of its own under <paramref name="dir"/> keeps parallel runs apart.
    /// </summary>
    public static string Run(string dir, int width, int height, string action, string url)
    {
        var start = new ProcessStartInfo("chromium")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string arg in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", $"--user-data-dir={Path.Combine(dir, "profile")}",
                     $"--window-size={width},{height}", action, url])
        {
            start.ArgumentList.Add(arg);
        }

        Process? started = null;
        try
        {
            started = Process.Start(start);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Assert.Fail($"cannot run chromium ({e.Message}): scripts/setup.sh installs it");
        }

        using Process chromium = started ?? throw new InvalidOperationException("chromium did not start");
        Task<string> stdout = chromium.StandardOutput.ReadToEndAsync();
        Task<string> stderr = chromium.StandardError.ReadToEndAsync();
        if (!chromium.WaitForExit(TimeSpan.FromMinutes(1)))
        {
            chromium.Kill(entireProcessTree: true);
            Assert.Fail($"chromium {action} did not finish in a minute");
        }

        Assert.True(chromium.ExitCode == 0, $"chromium {action} exited {chromium.ExitCode}:\n{stderr.Result}");
        return stdout.Result;
    }
}
