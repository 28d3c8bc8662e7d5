using KvmConfig.Core;
using KvmConfig.Core.Diagnostics;
using KvmConfig.Libvirt.Capabilities;

namespace KvmConfig.Libvirt.Tests;

/// <summary>
/// Documents no libvirt writes: each is a <see cref="KvmConfigException"/> with KVC093 that names the element, its
/// line and what is wrong, never a raw XML or format exception.
/// </summary>
public sealed partial class CapabilitiesReaderTests
{
    private const string TwoCpus =
        "<cpu id='0' socket_id='0' die_id='0' core_id='0' siblings='0'/><cpu id='1' socket_id='0' die_id='0' core_id='1' siblings='1'/>";

    /// <summary>A capabilities document holding <paramref name="cells"/> inside <c>&lt;cells&gt;</c>, one element per line.</summary>
    private static string Caps(string cells, string cache = "") =>
        $"<capabilities>\n<host>\n<topology>\n<cells num='1'>\n{cells}\n</cells>\n</topology>\n{cache}\n</host>\n</capabilities>\n";

    private static string Cell(string cpus, string more = "") => $"<cell id='0'>{more}<cpus num='2'>\n{cpus}\n</cpus></cell>";

    /// <summary>Description, document, a fragment the message must hold.</summary>
    public static TheoryData<string, string, string> Malformed => new()
    {
        { "not XML at all", "this is not xml", "cannot be parsed as XML" },
        { "an empty answer", "", "cannot be parsed as XML" },
        { "cut off in the middle", "<capabilities><host><topology>", "cannot be parsed as XML" },
        { "a DTD, which could expand entities", "<!DOCTYPE capabilities [<!ENTITY a 'aaaa'>]><capabilities/>", "cannot be parsed as XML" },
        { "domain XML instead", "<domain type='kvm'><name>web1</name></domain>", "the root element is <domain>, not <capabilities>" },
        { "no <host>", "<capabilities><guest/></capabilities>", "<capabilities> has no <host> element" },
        { "no <cell>", "<capabilities><host><topology><cells num='0'/></topology></host></capabilities>", "<cells> holds no <cell>" },
        { "a cell without id", Caps("<cell><cpus/></cell>"), "line 5: <cell> has no 'id' attribute" },
        { "a cpu without id", Caps(Cell("<cpu socket_id='0' die_id='0' core_id='0' siblings='0'/>")), "line 6: <cpu> in <cell id='0'> has no 'id' attribute" },
        { "a cpu id beyond any kernel", Caps(Cell("<cpu id='99999' socket_id='0' core_id='0' siblings='0'/>")), "<cpu> in <cell id='0'>: id='99999' is not a number from 0 to 8191" },
        { "siblings that do not parse", Caps(Cell("<cpu id='0' socket_id='0' die_id='0' core_id='0' siblings='0-x'/>")), "<cpu id='0'> in <cell id='0'>: siblings='0-x' is not a CPU list" },
        { "half a topology", Caps(Cell("<cpu id='0' core_id='0' siblings='0'/>")), "<cpu id='0'> in <cell id='0'> has topology attributes but no 'socket_id'" },
        { "a word for a core", Caps(Cell("<cpu id='0' socket_id='0' core_id='first' siblings='0'/>")), "<cpu id='0'> in <cell id='0'>: core_id='first' is not a number" },
        { "memory in words", Caps(Cell(TwoCpus, "<memory unit='KiB'>lots</memory>")), "<memory> of <cell id='0'> is 'lots', not a number" },
        { "memory in an unknown unit", Caps(Cell(TwoCpus, "<memory unit='furlongs'>3</memory>")), "<memory> of <cell id='0'> has unit='furlongs'" },
        { "pages without size", Caps(Cell(TwoCpus, "<pages unit='KiB'>3</pages>")), "<pages> in <cell id='0'> has no 'size' attribute" },
        { "one page size twice", Caps(Cell(TwoCpus, "<pages unit='KiB' size='4'>1</pages><pages unit='KiB' size='4'>2</pages>")), "<cell id='0'> lists 4 KiB pages twice" },
        { "a distance without value", Caps(Cell(TwoCpus, "<distances><sibling id='0'/></distances>")), "<sibling id='0'> in <cell id='0'> has no 'value' attribute" },
        { "a bank without cpus", Caps(Cell(TwoCpus), "<cache><bank id='0' level='3' type='both' size='8' unit='MiB'/></cache>"), "<bank level='3'> has no 'cpus' attribute" },
        { "a bank of an unknown type", Caps(Cell(TwoCpus), "<cache><bank id='0' level='3' type='unified' cpus='0-1'/></cache>"), "<bank level='3'> has type='unified'" },
        { "no cpu with topology", Caps(Cell("<cpu id='0'/><cpu id='1'/>")), "none of the 2 CPUs in <cells> carries socket_id, core_id and siblings" },
        {
            "a CPU in two cells",
            Caps("<cell id='0'><cpus num='1'>\n<cpu id='0' socket_id='0' core_id='0' siblings='0'/>\n</cpus></cell>\n<cell id='1'><cpus num='1'>\n<cpu id='0' socket_id='0' core_id='0' siblings='0'/>\n</cpus></cell>"),
            "CPU 0 is listed by cell 0 (line 6) and cell 1 (line 9); a CPU belongs to exactly one NUMA node"
        },
        {
            "one cell id twice",
            Caps("<cell id='0'><cpus num='1'><cpu id='0' socket_id='0' core_id='0' siblings='0'/></cpus></cell>\n<cell id='0'><cpus num='1'><cpu id='1' socket_id='0' core_id='1' siblings='1'/></cpus></cell>"),
            "<cell id='0'> appears twice (lines 5 and 6)"
        },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_document_libvirt_does_not_write_is_KVC093_naming_the_element(string description, string xml, string fragment)
    {
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => CapabilitiesReader.Parse(xml));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal("KVC093", e.Descriptor.Code);
        Assert.StartsWith("libvirt capabilities XML", e.Message);
        Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), $"{description}: expected \"{fragment}\" in\n{e.Message}");
        Assert.Contains("virsh capabilities", e.Hint);
    }

    [Fact]
    public void Capabilities_without_cells_are_refused_rather_than_guessed_from_the_cpu_summary()
    {
        // Given a driver that reports only the summary <cpu><topology>, not the cells
        const string xml = "<capabilities>\n<host>\n<cpu><arch>x86_64</arch><topology sockets='1' dies='1' cores='4' threads='2'/></cpu>\n</host>\n</capabilities>";

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => CapabilitiesReader.Parse(xml, source: "test:///default"));

        Assert.Equal(Rules.Unreadable, e.Descriptor);
        Assert.Equal("test:///default, line 2: <host> has no <topology><cells>: the libvirt driver did not report the host's NUMA cells and CPUs", e.Message);
        Assert.Equal("test:///default", e.Path);
        Assert.Contains("does not guess CPU numbering", e.Hint);
    }

    [Fact]
    public void The_source_names_the_connection_in_the_message_and_the_path()
    {
        string xml = Caps(Cell("<cpu socket_id='0' core_id='0' siblings='0'/>"));

        KvmConfigException e = Assert.Throws<KvmConfigException>(() => CapabilitiesReader.Parse(xml, source: "qemu+ssh://kvm1/system"));

        Assert.Equal("qemu+ssh://kvm1/system, line 6: <cpu> in <cell id='0'> has no 'id' attribute", e.Message);
        Assert.Equal("qemu+ssh://kvm1/system", e.Path);
    }

    [Fact]
    public void Malformed_xml_keeps_the_parsers_position_and_exception()
    {
        KvmConfigException e = Assert.Throws<KvmConfigException>(() => CapabilitiesReader.Parse("<capabilities>\n<host>\n</capabilities>"));

        Assert.Contains("Line 3", e.Message);
        Assert.IsType<System.Xml.XmlException>(e.InnerException);
    }
}
