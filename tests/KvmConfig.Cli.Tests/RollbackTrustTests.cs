using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KvmConfig.Libvirt;
using KvmConfig.TestSupport;
using static KvmConfig.Cli.Tests.CliRunner;

namespace KvmConfig.Cli.Tests;

/// <summary>
/// A rollback defines, as root, whatever XML its journal holds. These reproduce the ways a local user could have made
/// it define their own domain or rewrite another (a journal or journal root they own or can write, an XML naming
/// another domain, a file changed after apply, a domain re-created under the same name), each on the real daemon:
/// refused before anything changes, and no domain defined.
/// </summary>
[Collection(ConsoleCollection.Name)]
public sealed class RollbackTrustTests : IDisposable
{
    private const string Planted = "kvmct-planted";

    private readonly LibvirtConnection _connection;
    private readonly TestDomain _declared;
    private readonly TestDomain _bystander;
    private readonly ConfigDir _config;
    private readonly string _state = Directory.CreateTempSubdirectory("kvmconfig-trust-").FullName;

    public RollbackTrustTests()
    {
        LibvirtDaemon.Ensure();
        _connection = LibvirtDaemon.Connect();
        _declared = TestDomain.Create(_connection, "trust", vcpus: 1, start: true);
        _bystander = TestDomain.Create(_connection, "other", vcpus: 1, start: true);
        _config = new ConfigDir(
            ("00-cpu.conf", "reserved = 0\nmax_vm_share = 1/2\nmemory_reserved = 1G\n"),
            ("10-vm.conf", $"[vm {_declared.Name}]\nvcpus = 1\ncpu_weight = 300\n"));
    }

    private string Journal => Path.Combine(_state, "journal");

    private string Lock => Path.Combine(_state, "kvmconfig.lock");

    [Fact]
    public void A_journal_planted_by_another_user_is_refused_and_defines_no_domain()
    {
        // Given, as nobody, a world-writable journal naming the real VM whose XML is a new domain with QEMU arguments
        string planted = Path.Combine(_state, "planted");
        Directory.CreateDirectory(planted);
        string xml = $"<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'><name>{Planted}</name><memory unit='MiB'>32</memory>"
            + "<vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os><qemu:commandline><qemu:arg value='-S'/></qemu:commandline></domain>";
        WriteJournal(planted, _declared.Name, uuid: null, xml);
        File.SetUnixFileMode(planted, (UnixFileMode)0b111_111_111);
        Chown("nobody", planted);
        string before = Fingerprint(_declared.Name);

        // When root rolls back from it
        CliResult r = Run("rollback", planted, "--yes", "--lock", Lock);

        // Then it is refused for what it is, and nothing is defined or changed
        Assert.Equal(2, r.Exit);
        Assert.StartsWith($"error[KVC091]: journal directory {planted} is writable by group and others (mode 0777)", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain(Planted, LibvirtDaemon.Virsh("list", "--all", "--name").Stdout, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
        r.NoStackTrace();
    }

    [Fact]
    public void A_journal_owned_by_another_user_is_refused_even_when_no_one_else_can_write_it()
    {
        Assert.Equal(0, Apply().Exit);
        string journal = Assert.Single(Directory.GetDirectories(Journal));
        Chown("nobody", journal);

        CliResult r = Run("rollback", journal, "--yes", "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.Contains($"journal directory {journal} is owned by uid 65534, neither root nor you", r.Err, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("apply", "the printed rollback command could be swapped under the administrator")]
    [InlineData("rollback", "'the newest journal' would be whatever was planted last")]
    public void A_journal_root_others_can_write_is_refused_before_anything_changes(string command, string why)
    {
        string root = Path.Combine(_state, "open-journal");
        Directory.CreateDirectory(root);
        File.SetUnixFileMode(root, (UnixFileMode)0b111_111_111);
        string before = Fingerprint(_declared.Name);

        CliResult r = command == "apply"
            ? Run("apply", "--config-dir", _config.Dir, "--journal", root, "--lock", Lock, "--yes")
            : Run("rollback", "--journal", root, "--lock", Lock, "--yes");

        Assert.True(r.Exit == 2, $"{why}: exit {r.Exit}\n{r.Out}{r.Err}");
        Assert.StartsWith($"error[KVC091]: journal directory {root} is writable by group and others", r.Err, StringComparison.Ordinal);
        Assert.Equal(before, Fingerprint(_declared.Name));
    }

    [Fact]
    public void A_journal_whose_xml_is_another_domains_is_refused_and_that_domain_is_untouched()
    {
        // Given a real journal, whose saved XML is then replaced by the bystander's (name and uuid), digest and all
        Assert.Equal(0, Apply().Exit);
        string journal = Assert.Single(Directory.GetDirectories(Journal));
        WriteJournal(journal, _declared.Name, Uuid(_declared.Name), PersistentXml(_bystander.Name));
        string bystander = Fingerprint(_bystander.Name);

        CliResult r = Run("rollback", journal, "--yes", "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.Contains($"{_declared.Name}.xml is the XML of domain '{_bystander.Name}'", r.Err, StringComparison.Ordinal);
        Assert.Equal(bystander, Fingerprint(_bystander.Name));
    }

    [Fact]
    public void A_journal_file_changed_after_apply_fails_its_digest()
    {
        Assert.Equal(0, Apply().Exit);
        string journal = Assert.Single(Directory.GetDirectories(Journal));
        string saved = Path.Combine(journal, $"{_declared.Name}.xml");
        File.WriteAllText(saved, File.ReadAllText(saved).Replace("</domain>", "<!-- edited --></domain>", StringComparison.Ordinal));
        string applied = Fingerprint(_declared.Name);

        CliResult r = Run("rollback", journal, "--yes", "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.Contains($"{_declared.Name}.xml of domain '{_declared.Name}' does not match the digest journal.json recorded", r.Err, StringComparison.Ordinal);
        Assert.Equal(applied, Fingerprint(_declared.Name));
    }

    [Fact]
    public void A_journal_file_that_is_a_link_is_refused()
    {
        Assert.Equal(0, Apply().Exit);
        string journal = Assert.Single(Directory.GetDirectories(Journal));
        string saved = Path.Combine(journal, $"{_declared.Name}.xml");
        string elsewhere = Path.Combine(_state, "elsewhere.xml");
        File.Move(saved, elsewhere);
        File.CreateSymbolicLink(saved, elsewhere);

        CliResult r = Run("rollback", journal, "--yes", "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.StartsWith($"error[KVC091]: journal file {saved} is a symbolic link", r.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void A_domain_re_created_under_the_same_name_is_not_touched()
    {
        // Given an apply's journal, then the VM undefined and a new domain (new uuid) defined under its name
        Assert.Equal(0, Apply().Exit);
        string journal = Assert.Single(Directory.GetDirectories(Journal));
        string xml = PersistentXml(_declared.Name);
        string oldUuid = Uuid(_declared.Name);
        LibvirtDaemon.Virsh("destroy", _declared.Name);
        LibvirtDaemon.Virsh("undefine", _declared.Name);
        string file = Path.Combine(_state, "new.xml");
        File.WriteAllText(file, xml.Replace(oldUuid, Guid.NewGuid().ToString(), StringComparison.OrdinalIgnoreCase));
        Assert.Equal(0, LibvirtDaemon.Virsh("define", file).Exit);
        string newcomer = Fingerprint(_declared.Name);

        CliResult r = Run("rollback", journal, "--yes", "--lock", Lock);

        Assert.Equal(2, r.Exit);
        Assert.Contains($"saved VM '{_declared.Name}' with uuid {oldUuid}", r.Err, StringComparison.Ordinal);
        Assert.Contains("another domain took the name, and rollback does not touch it", r.Err, StringComparison.Ordinal);
        Assert.Equal(newcomer, Fingerprint(_declared.Name));
    }

    [Fact]
    public void Journals_are_written_for_the_owner_alone()
    {
        Assert.Equal(0, Apply().Exit);
        string journal = Assert.Single(Directory.GetDirectories(Journal));

        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(Journal));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(journal));
        Assert.All(Directory.GetFiles(journal), f => Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(f)));
        JsonNode entry = JsonNode.Parse(File.ReadAllText(Path.Combine(journal, "journal.json")))!["domains"]![0]!;
        Assert.Equal(Uuid(_declared.Name), entry["uuid"]!.GetValue<string>());
        Assert.Equal(64, entry["sha256"]!.GetValue<string>().Length);
    }

    public void Dispose()
    {
        LibvirtDaemon.Virsh("undefine", Planted);
        _declared.Dispose();
        _bystander.Dispose();
        _connection.Dispose();
        _config.Dispose();
        Directory.Delete(_state, recursive: true);
    }

    private CliResult Apply() =>
        Run("apply", "--config-dir", _config.Dir, "--journal", Journal, "--lock", Lock, "--yes");

    // A journal as apply writes it, for one running domain: the manifest with the XML's digest, the XML, live state.
    private static void WriteJournal(string directory, string name, string? uuid, string xml)
    {
        string Digest(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        const string live = "{\"vcpuPins\":[\"0-1\"],\"emulatorPin\":\"0-1\",\"hasCap\":false,\"interfaces\":{}}";
        File.WriteAllText(Path.Combine(directory, $"{name}.xml"), xml);
        File.WriteAllText(Path.Combine(directory, $"{name}.live.json"), live);
        var manifest = new JsonObject
        {
            ["uri"] = "qemu:///system",
            ["created"] = "2026-12-06T00:00:00.0000000+00:00",
            ["status"] = "applied",
            ["domains"] = new JsonArray(new JsonObject
            {
                ["name"] = name,
                ["uuid"] = uuid,
                ["active"] = true,
                ["sha256"] = Digest(xml),
                ["liveSha256"] = Digest(live),
            }),
        };
        File.WriteAllText(Path.Combine(directory, "journal.json"), manifest.ToJsonString());
    }

    private static void Chown(string user, string path)
    {
        using Process chown = Process.Start("chown", ["-R", user, path])!;
        chown.WaitForExit();
        Assert.True(chown.ExitCode == 0, $"chown {user} {path} needs root");
    }

    private string PersistentXml(string name)
    {
        using LibvirtDomain domain = _connection.Lookup(name);
        return domain.Xml(inactive: true);
    }

    private string Uuid(string name)
    {
        using LibvirtDomain domain = _connection.Lookup(name);
        return Core.Domains.DomainXml.ReadIdentity(domain.Xml(inactive: true)).Uuid!;
    }

    private string Fingerprint(string name)
    {
        using LibvirtDomain domain = _connection.Lookup(name);
        string live = domain.IsActive ? string.Join(' ', domain.VcpuPins(DomainImpact.Live)) + string.Join(' ', domain.SchedulerParameters(DomainImpact.Live).Parameters) : "stopped";
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(domain.Xml(inactive: true) + live)));
    }
}
