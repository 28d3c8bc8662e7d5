using System.Text.Json.Nodes;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// <c>--connect URI</c> on the commands that read the host: the topology comes from libvirt's capabilities, with no
/// sysfs. libvirt's built-in test driver (<c>test:///default</c>: 2 sockets of one NUMA cell and 8 CPUs each) stands
/// for a remote host, and <c>qemu+unix:///system</c> goes through libvirt's remote driver to the real daemon.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class ConnectTests
{
    public ConnectTests() => LibvirtDaemon.Ensure();

    [Fact]
    public void Topology_through_the_test_driver_is_its_two_cells_of_eight_cpus()
    {
        CliResult r = Run("topology", "--connect", "test:///default", "--format", "json");

        Assert.True(r.Exit == 0, r.Err);
        JsonNode host = JsonNode.Parse(r.Out)!;
        Assert.Equal("0-15", host["cpus"]!["online"]!.GetValue<string>());
        Assert.Equal(2, host["nodes"]!.AsArray().Count);
        Assert.Equal("8-15", host["nodes"]![1]!["cpus"]!.GetValue<string>());
    }

    [Fact]
    public void A_test_driver_file_that_is_not_there_is_named()
    {
        CliResult r = Run("topology", "--connect", "test:///nonexistent-kvmconfig.xml");

        r.CouldNotRun("KVC094");
        Assert.Contains("test:///nonexistent-kvmconfig.xml: the test driver's file /nonexistent-kvmconfig.xml does not exist", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("parse", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_and_check_through_the_test_driver_place_vms_on_its_cells()
    {
        using var config = new ConfigDir(
            ("00-cpu.conf", "reserved = 0,8\n"),
            ("10-a.conf", "[vm a]\nvcpus = 4\n"),
            ("20-b.conf", "[vm b]\nvcpus = 4\n"));

        CliResult check = Run("check", "--connect", "test:///default", "--config-dir", config.Dir);
        CliResult plan = Run("plan", "--connect", "test:///default", "--config-dir", config.Dir, "--format", "json");

        Assert.True(check.Exit == 0, check.Out + check.Err);
        Assert.Contains("against libvirt test:///default (16 CPUs, 2 NUMA nodes)", check.Out, StringComparison.Ordinal);
        Assert.True(plan.Exit == 0, plan.Out + plan.Err);
        JsonArray vms = JsonNode.Parse(plan.Out)!["vms"]!.AsArray();
        Assert.Equal(2, vms.Count);
        Assert.All(vms, vm => Assert.Single(vm!["numaNodes"]!.GetValue<string>().Split(',')));
    }

    [Fact]
    public void Topology_through_the_remote_driver_is_this_host()
    {
        CliResult viaRemote = Run("topology", "--connect", "qemu+unix:///system", "--format", "json");
        CliResult viaSysfs = Run("topology", "--format", "json");

        Assert.True(viaRemote.Exit == 0, viaRemote.Err);
        Assert.Equal(JsonNode.Parse(viaSysfs.Out)!["cpus"]!["online"]!.GetValue<string>(), JsonNode.Parse(viaRemote.Out)!["cpus"]!["online"]!.GetValue<string>());
    }

    [Fact]
    public void Connect_and_sysroot_together_are_a_usage_error()
    {
        CliResult r = Run("plan", "--connect", "test:///default", "--sysroot", TestData.Path("sysfs", "1s-16cpu"));

        Assert.Equal(2, r.Exit);
        Assert.Contains("--connect and --sysroot both name the host", r.Err + r.Out, StringComparison.Ordinal);
    }
}
