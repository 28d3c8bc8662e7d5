using System.ComponentModel;
using System.Diagnostics;
using System.Xml.Linq;
using KvmConfig.Core.Domains;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.TestSupport;

namespace KvmConfig.Core.Tests;

/// <summary>
/// <see cref="DomainXml"/> and <see cref="DomainTuning"/>: the libvirt fixtures round-trip
/// (<c>DomainXmlTests.RoundTrip.cs</c>), rendered plans pass <c>virt-xml-validate</c>
/// (<c>DomainXmlTests.Rendering.cs</c>), what kvmconfig does not own is left alone
/// (<c>DomainXmlTests.Preservation.cs</c>), drift (<c>DomainXmlTests.Drift.cs</c>) and the mapping from a
/// declaration to a tuning (<c>DomainXmlTests.Tuning.cs</c>). This file holds the domains and helpers they share.
/// </summary>
public sealed partial class DomainXmlTests
{
    /// <summary>The domain that starts on the test machines (<c>../shared/libvirt-on-this-machine.md</c>), as libvirt prints it.</summary>
    internal const string MinimalDomain = """
        <domain type='qemu'>
          <name>vm1</name>
          <uuid>6f2b6ac4-3a53-4a4e-9d3b-0c7bb0a1d5e1</uuid>
          <memory unit='KiB'>1048576</memory>
          <currentMemory unit='KiB'>1048576</currentMemory>
          <vcpu placement='static'>2</vcpu>
          <os>
            <type arch='x86_64' machine='pc-i440fx-7.2'>hvm</type>
            <boot dev='hd'/>
          </os>
          <clock offset='utc'/>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>restart</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <controller type='pci' index='0' model='pci-root'/>
            <memballoon model='none'/>
          </devices>
        </domain>

        """;

    /// <summary>
    /// A server VM as virt-install and an administrator leave it: foreign metadata, a host-passthrough CPU with
    /// features, per-vCPU CFS settings, an I/O thread with its pin and scheduler, shared memory for virtiofs, a qcow2
    /// disk, a CD-ROM, a bridged NIC with a VLAN and a user-mode NIC, timers, a description with characters to
    /// escape. Printed as libvirt prints it (foreign metadata in libxml2's double quotes), so it comes back byte for
    /// byte where kvmconfig leaves it alone.
    /// </summary>
    internal const string ServerDomain = """
        <domain type='kvm'>
          <name>db1</name>
          <uuid>0b4f3c51-8d0e-4b7e-9a52-5d1a3f0e7c21</uuid>
          <title>Orders database</title>
          <description>Primary &amp; only: don&apos;t move without &lt;ops&gt;</description>
          <metadata>
            <libosinfo:libosinfo xmlns:libosinfo="http://libosinfo.org/xmlns/libvirt/domain/1.0">
              <libosinfo:os id="http://debian.org/debian/12"/>
            </libosinfo:libosinfo>
            <ops:owner xmlns:ops="urn:example:ops" team="dba">don't &amp; "orders"</ops:owner>
          </metadata>
          <memory unit='KiB'>4194304</memory>
          <currentMemory unit='KiB'>4194304</currentMemory>
          <memoryBacking>
            <source type='memfd'/>
            <access mode='shared'/>
          </memoryBacking>
          <vcpu placement='static'>2</vcpu>
          <iothreads>1</iothreads>
          <cputune>
            <period>100000</period>
            <quota>-1</quota>
            <iothreadpin iothread='1' cpuset='0'/>
            <iothreadsched iothreads='1' scheduler='batch'/>
          </cputune>
          <resource>
            <partition>/machine</partition>
          </resource>
          <os>
            <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
            <boot dev='hd'/>
          </os>
          <features>
            <acpi/>
            <apic/>
            <vmport state='off'/>
          </features>
          <cpu mode='host-passthrough' check='none' migratable='on'>
            <cache mode='passthrough'/>
            <feature policy='disable' name='svm'/>
          </cpu>
          <clock offset='utc'>
            <timer name='rtc' tickpolicy='catchup'/>
            <timer name='pit' tickpolicy='delay'/>
            <timer name='hpet' present='no'/>
          </clock>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>restart</on_reboot>
          <on_crash>destroy</on_crash>
          <pm>
            <suspend-to-mem enabled='no'/>
            <suspend-to-disk enabled='no'/>
          </pm>
          <devices>
            <emulator>/usr/bin/qemu-system-x86_64</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2' cache='none' io='native'/>
              <source file='/var/lib/libvirt/images/db1.qcow2'/>
              <target dev='vda' bus='virtio'/>
              <address type='pci' domain='0x0000' bus='0x04' slot='0x00' function='0x0'/>
            </disk>
            <disk type='file' device='cdrom'>
              <driver name='qemu' type='raw'/>
              <target dev='sda' bus='sata'/>
              <readonly/>
              <address type='drive' controller='0' bus='0' target='0' unit='0'/>
            </disk>
            <controller type='sata' index='0'>
              <address type='pci' domain='0x0000' bus='0x00' slot='0x1f' function='0x2'/>
            </controller>
            <interface type='bridge'>
              <mac address='52:54:00:6b:3c:58'/>
              <source bridge='br0'/>
              <vlan>
                <tag id='42'/>
              </vlan>
              <model type='virtio'/>
              <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>
            </interface>
            <interface type='user'>
              <mac address='52:54:00:11:22:33'/>
              <model type='virtio'/>
            </interface>
            <filesystem type='mount' accessmode='passthrough'>
              <driver type='virtiofs'/>
              <source dir='/srv/share'/>
              <target dir='share'/>
            </filesystem>
            <serial type='pty'>
              <target type='isa-serial' port='0'>
                <model name='isa-serial'/>
              </target>
            </serial>
            <console type='pty'>
              <target type='serial' port='0'/>
            </console>
            <memballoon model='virtio'>
              <address type='pci' domain='0x0000' bus='0x05' slot='0x00' function='0x0'/>
            </memballoon>
          </devices>
        </domain>

        """;

    /// <summary>A base domain by name, for table rows.</summary>
    internal static string Domain(string name) => name switch
    {
        "minimal" => MinimalDomain,
        "server" => ServerDomain,
        _ => Fixture(name),
    };

    /// <summary>A fixture of <c>tests/data/libvirt/</c>.</summary>
    internal static string Fixture(string file) => File.ReadAllText(TestData.Path("libvirt", file));

    /// <summary>The fixtures, every <c>*.xml</c> of <c>tests/data/libvirt/</c>.</summary>
    public static TheoryData<string> Fixtures =>
        new(Directory.EnumerateFiles(TestData.Path("libvirt"), "*.xml").Select(Path.GetFileName).Order(StringComparer.Ordinal)!);

    /// <summary>The placement of <paramref name="vm"/> when the planner places <paramref name="vms"/> on a named machine.</summary>
    internal static VmPlacement Place(string machine, HostPolicy? policy, IReadOnlyList<VmSpec> vms, string vm)
    {
        PlanResult result = HostPlanner.Plan(Topologies.Named(machine), PlannerTests.Declare(policy, vms));
        Assert.True(result.Ok, PlannerTests.Describe(result.Errors));
        return result.Plan!.Vm(vm)!;
    }

    /// <summary>XML as elements, attributes and text, without the whitespace between elements.</summary>
    internal static XElement Canonical(string xml) => XElement.Parse(xml, LoadOptions.None);

    /// <summary>Asserts two documents hold the same elements, attributes (in order) and text.</summary>
    internal static void AssertSameXml(string expected, string actual, string because)
    {
        Assert.True(
            XNode.DeepEquals(Canonical(expected), Canonical(actual)),
            $"{because}\n--- expected\n{expected}\n--- actual\n{actual}");
    }

    /// <summary>
    /// Runs <c>virt-xml-validate FILE domain</c> (libvirt-clients; it calls xmllint from libxml2-utils) on
    /// <paramref name="xml"/> and asserts it accepts the document, showing libvirt's complaint and the document otherwise.
    /// </summary>
    internal static void AssertValid(string xml, string what)
    {
        string file = Path.Combine(Path.GetTempPath(), $"kvmconfig-domain-{Guid.NewGuid():N}.xml");
        File.WriteAllText(file, xml);
        try
        {
            var start = new ProcessStartInfo("virt-xml-validate")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(file);
            start.ArgumentList.Add("domain");

            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (Win32Exception e)
            {
                Assert.Fail($"cannot run virt-xml-validate ({e.Message}): install libvirt-clients and libxml2-utils");
                return;
            }

            using (process)
            {
                Task<string> stdout = process.StandardOutput.ReadToEndAsync();
                Task<string> stderr = process.StandardError.ReadToEndAsync();
                process.WaitForExit();
                string output = stdout.Result + stderr.Result;
                Assert.True(
                    process.ExitCode == 0,
                    $"virt-xml-validate rejects {what} (exit {process.ExitCode}{(output.Contains("xmllint", StringComparison.Ordinal) ? "; it needs xmllint from libxml2-utils" : "")}):\n{output}\n--- document\n{xml}");
            }
        }
        finally
        {
            File.Delete(file);
        }
    }
}
