using System.Text.Json.Nodes;
using KvmConfig.Libvirt;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary><c>kvmconfig top --once</c> on the real daemon, and its bad input.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class TopCommandTests
{
    [Fact]
    public void Once_as_json_lists_a_running_domain_with_the_contract_fields()
    {
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "top", vcpus: 2, start: true);
        using var config = new ConfigDir(("00-cpu.conf", "[alerts]\nready_warning = 1%\nready_critical = 2%\n"));

        CliResult r = Run("top", "--once", "--interval", "500ms", "--format", "json", "--config-dir", config.Dir);

        Assert.True(r.Exit == 0, r.Err);
        JsonNode document = JsonNode.Parse(r.Out)!;
        JsonNode host = document["host"]!;
        Assert.NotNull(host["pressure"]);
        Assert.True(host.AsObject().ContainsKey("tcpRetransmitPercent"));
        Assert.True(host.AsObject().ContainsKey("reclaimEfficiencyPercent"));
        JsonNode mine = document["domains"]!.AsArray().Single(d => d!["name"]!.GetValue<string>() == vm.Name)!;
        Assert.Equal([0, 1], mine["vcpus"]!.AsArray().Select(v => v!["vcpu"]!.GetValue<int>()));
        foreach (string field in (string[])["cpuPercent", "readyPercent", "readyPercentMax", "memoryOverheadPercent", "disks", "alerts"])
        {
            Assert.True(mine.AsObject().ContainsKey(field), field);
        }

        double max = mine["readyPercentMax"]!.GetValue<double>();
        Assert.InRange(max, 0, 100);
        Assert.True(mine["vcpus"]!.AsArray().All(v => v!["readyPercent"]!.GetValue<double>() <= max));

        // The overhead of an idle 64 MiB guest is QEMU's own memory, positive (VmRSS - guest size was about -33 %)
        Assert.True(mine["memoryOverheadPercent"]!.GetValue<double>() > 0, mine.ToJsonString());
    }

    [Fact]
    public void Once_has_the_guest_disks_of_its_one_interval()
    {
        // Given a running domain with a blank 1 MiB disk (SeaBIOS reads it and halts)
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        DirectoryInfo directory = Directory.CreateTempSubdirectory("kvmconfig-top-disk-");
        try
        {
            File.SetUnixFileMode(directory.FullName, (UnixFileMode)0b111_101_101);
            string image = Path.Combine(directory.FullName, "blank.img");
            using (FileStream file = File.Create(image))
            {
                file.SetLength(1 << 20);
            }

            File.SetUnixFileMode(image, (UnixFileMode)0b110_100_100);
            using TestDomain vm = TestDomain.Create(connection, "topdisk", vcpus: 1, start: true, devices:
                $"<disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='{image}'/><target dev='vda' bus='virtio'/></disk>");

            // When top takes its one sample
            CliResult r = Run("top", "--once", "--interval", "500ms", "--format", "json");

            // Then the interval has the disk's figures: the block counters were read at both of its ends
            Assert.True(r.Exit == 0, r.Err);
            JsonNode mine = JsonNode.Parse(r.Out)!["domains"]!.AsArray().Single(d => d!["name"]!.GetValue<string>() == vm.Name)!;
            JsonNode disk = Assert.Single(mine["disks"]!.AsArray())!;
            Assert.Equal("vda", disk["device"]!.GetValue<string>());
            Assert.True(disk["queueDepth"]!.GetValue<double>() >= 0, disk.ToJsonString());
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Json_into_a_pipe_is_one_compact_document_per_line_each_as_it_is_sampled()
    {
        LibvirtDaemon.Ensure();
        using var config = new ConfigDir(("00-cpu.conf", "reserved = 0\n"));
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string arg in (string[])[Path.Combine(AppContext.BaseDirectory, "kvmconfig.dll"), "top", "--format", "json", "--interval", "200ms", "--config-dir", config.Dir])
        {
            start.ArgumentList.Add(arg);
        }

        using var top = System.Diagnostics.Process.Start(start)!;
        try
        {
            // Two lines read while top still runs: each was written, whole, when its sample was taken.
            string? first = NextLine(top), second = NextLine(top);

            Assert.False(top.HasExited, top.HasExited ? top.StandardError.ReadToEnd() : "");
            foreach (string? line in (string?[])[first, second])
            {
                Assert.NotNull(line);
                JsonNode document = JsonNode.Parse(line)!;
                Assert.NotNull(document["domains"]);
                // The interval measured over the running domains (null when none ran through it): at least the one
                // asked for, more when the machine is busy.
                if (document["intervalSeconds"] is JsonNode interval)
                {
                    Assert.InRange(interval.GetValue<double>(), 0.15, 5.0);
                }
            }
        }
        finally
        {
            top.Kill(entireProcessTree: true);
            top.WaitForExit();
        }
    }

    // A line of top's stdout, waited for at most a minute (a top that hangs fails the test rather than the run).
    private static string? NextLine(System.Diagnostics.Process top)
    {
        Task<string?> line = top.StandardOutput.ReadLineAsync();
        Assert.True(line.Wait(TimeSpan.FromMinutes(1)), "top wrote no line within a minute");
        return line.Result;
    }

    [Theory]
    [InlineData("top")]
    [InlineData("serve")]
    public void Connect_without_a_uri_is_a_usage_error_that_shows_one(string command)
    {
        CliResult r = Run(command, "--connect", "--interval", "2s");

        Assert.Equal(2, r.Exit);
        Assert.Contains("--connect needs a libvirt URI, e.g. --connect qemu+ssh://root@kvm1/system", r.Out + r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("0", "--interval 0: at least 100ms")]
    [InlineData("soon", "--interval soon: give a duration from 100ms to 1h, e.g. 2s")]
    [InlineData("10ms", "at least 100ms")]
    [InlineData("2h", "--interval 2h: at most 1h")]
    [InlineData("10000000d", "--interval 10000000d: give a duration from 100ms to 1h")]
    [InlineData("1e9", "--interval 1e9: give a duration from 100ms to 1h")]
    public void A_bad_interval_is_a_usage_error(string interval, string message)
    {
        CliResult r = Run("top", "--once", "--interval", interval);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err + r.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_remote_uri_is_refused_when_proc_is_asked_for()
    {
        CliResult r = Run("top", "--once", "--source", "proc", "--connect", "qemu+ssh://root@kvm1/system");

        Assert.Equal(2, r.Exit);
        Assert.Contains("names another host", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_daemon_that_is_not_there_is_KVC094()
    {
        CliResult r = Run("top", "--once", "--connect", "qemu:///system?socket=/nonexistent/sock");

        Assert.Equal(2, r.Exit);
        Assert.StartsWith("error[KVC094]: ", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    [Trait("Category", "Truth")]
    public void A_vcpu_beside_a_busy_loop_on_its_cpu_is_reported_critical()
    {
        // Given a guest spinning on CPU 1 and a busy loop pinned there too (run alone, after the other tests)
        LibvirtDaemon.Ensure();
        using var away = new AwayFromCpu(cpu: 1);
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using SpinningDomain spin = SpinningDomain.Start(connection, cpu: 1);
        using var loop = new BusyLoop(cpu: 1);

        // When top takes one sample over 2 s
        CliResult r = Run("top", "--once", "--interval", "2s", "--format", "json");

        // Then its vCPU waits far above the 10 % critical default, and the alert says so (beside the memory overhead
        // warning of a 64 MiB guest, whose QEMU holds about 37 MiB of its own)
        Assert.True(r.Exit == 0, r.Err);
        JsonNode mine = JsonNode.Parse(r.Out)!["domains"]!.AsArray().Single(d => d!["name"]!.GetValue<string>() == spin.Name)!;
        Assert.True(mine["readyPercentMax"]!.GetValue<double>() > 25, r.Out);
        JsonNode alert = Assert.Single(mine["alerts"]!.AsArray(), a => a!["metric"]!.GetValue<string>() == "ready")!;
        Assert.Equal("critical", alert["severity"]!.GetValue<string>());
    }
}
