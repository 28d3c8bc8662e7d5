using System.Text.Json.Nodes;
using KvmConfig.Libvirt;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>kvmconfig top</c> and <c>serve</c> through libvirt's bulk statistics alone (<c>--source libvirt</c>, or a URI with a
/// host part), on the real daemon; and the bad input of <c>--source</c>.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class TopRemoteTests
{
    [Fact]
    public void Once_as_json_through_libvirt_lists_the_domains_vcpus_and_no_host_counters()
    {
        // Given a running 2-vCPU domain
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "top-remote", vcpus: 2, start: true);

        // When top reads the local daemon as a remote host would be read
        CliResult r = Run("top", "--once", "--interval", "500ms", "--format", "json", "--source", "libvirt");

        // Then the domain with its vCPUs and per-domain figures, and the host's TCP and reclaim figures null (not read)
        Assert.True(r.Exit == 0, r.Err);
        JsonNode document = JsonNode.Parse(r.Out)!;
        AssertDomain(document, vm.Name);
        Assert.Null(document["host"]!["tcpRetransmitPercent"]);
        Assert.Null(document["host"]!["reclaimEfficiencyPercent"]);
    }

    [Fact]
    public void A_uri_with_a_host_part_is_read_through_libvirt_without_asking()
    {
        // Given a running domain behind a URI with a host part (the external-command transport to virt-ssh-helper,
        // which is what qemu+ssh runs on the far host)
        LibvirtDaemon.Ensure();
        using LibvirtConnection connection = LibvirtDaemon.Connect();
        using TestDomain vm = TestDomain.Create(connection, "top-ext", vcpus: 2, start: true);
        string directory = Directory.CreateTempSubdirectory("kvmconfig-remote-").FullName;
        try
        {
            string script = Path.Combine(directory, "helper.sh");
            File.WriteAllText(script, "#!/bin/sh\nexec virt-ssh-helper qemu:///system\n");
            File.SetUnixFileMode(script, (UnixFileMode)0b111_101_101);

            // When top connects to it with the default --source auto
            CliResult r = Run("top", "--once", "--interval", "500ms", "--format", "json", "--connect", $"qemu+ext://kvm-remote/system?command={script}");

            // Then it is not refused: the figures come from libvirt
            Assert.True(r.Exit == 0, r.Err);
            JsonNode document = JsonNode.Parse(r.Out)!;
            AssertDomain(document, vm.Name);
            Assert.Null(document["host"]!["tcpRetransmitPercent"]);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void The_test_driver_through_libvirt_is_KVC095_naming_the_groups_it_lacks()
    {
        CliResult r = Run("top", "--once", "--interval", "100ms", "--connect", "test:///default", "--source", "libvirt");

        r.CouldNotRun("KVC095");
        Assert.Contains("test:///default does not give the balloon, vcpu, interface and block statistics groups", r.Err, StringComparison.Ordinal);
        Assert.Contains("= hint: ", r.Err, StringComparison.Ordinal);
    }

    /// <summary>Rows: command and arguments, a word the usage error must contain.</summary>
    public static TheoryData<string[], string> BadSources => new()
    {
        { ["top", "--once", "--source", "kernel"], "--source kernel: use auto, proc or libvirt" },
        { ["top", "--once", "--source", "proc", "--connect", "qemu+ssh://root@kvm1/system"], "names another host" },
        { ["serve", "--no-history", "--source", "sysfs"], "--source sysfs: use auto, proc or libvirt" },
        { ["serve", "--no-history", "--source", "proc", "--connect", "qemu+tls://kvm1/system"], "names another host" },
    };

    [Theory]
    [MemberData(nameof(BadSources))]
    public void A_bad_source_is_a_usage_error(string[] args, string message)
    {
        CliResult r = Run(args);

        Assert.Equal(2, r.Exit);
        Assert.Contains(message, r.Err + r.Out, StringComparison.Ordinal);
        r.NoStackTrace();
    }

    private static void AssertDomain(JsonNode document, string name)
    {
        JsonNode mine = document["domains"]!.AsArray().Single(d => d!["name"]!.GetValue<string>() == name)!;
        Assert.Equal([0, 1], mine["vcpus"]!.AsArray().Select(v => v!["vcpu"]!.GetValue<int>()));
        Assert.InRange(mine["cpuPercent"]!.GetValue<double>(), 0, 200);
        Assert.InRange(mine["readyPercentMax"]!.GetValue<double>(), 0, 100);
        // Through libvirt the overhead is not measured (balloon.rss is QEMU's whole RSS): the field is there, null
        Assert.True(mine.AsObject().ContainsKey("memoryOverheadPercent"));
        Assert.Null(mine["memoryOverheadPercent"]);
    }
}
