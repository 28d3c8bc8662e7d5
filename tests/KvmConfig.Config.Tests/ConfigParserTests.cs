using KvmConfig.Config.Syntax;
using KvmConfig.Core.Diagnostics;

namespace KvmConfig.Config.Tests;

/// <summary>
/// Phase one, the syntax of a <c>kvmconfig.d</c> file (DESIGN.md section 3): comments, blank lines, line ends,
/// <c>key = value</c>, the six headers and the headers a file name implies. Sections are written as
/// <c>[host]: cpuset=2-5 | [vm vm1]*: cpus=1-4</c> (<c>*</c>: header implied by the file name); diagnostics as
/// <c>KVC002 error FILE:LINE:COL+LENGTH</c>.
/// </summary>
public sealed class ConfigParserTests
{
    /// <summary>Rows: description, file name, text, the sections it holds. None of these texts is an error.</summary>
    public static TheoryData<string, string, string, string> WellFormed => new()
    {
        // Comments
        { "a whole-line # comment is skipped", "t.conf", "[host]\n# reserved = 0\ncpuset = 2-5", "[host]: cpuset=2-5" },
        { "a whole-line ; comment is skipped", "t.conf", "[host]\n; reserved = 0\ncpuset = 2-5", "[host]: cpuset=2-5" },
        { "an indented comment line is skipped", "t.conf", "[host]\n   # note\n\t; note\ncpuset = 2-5", "[host]: cpuset=2-5" },
        { "# after whitespace ends the value", "t.conf", "[host]\ncpuset = 2-5   # VM CPUs", "[host]: cpuset=2-5" },
        { "; after a tab ends the value", "t.conf", "[host]\ncpuset = 2-5\t; VM CPUs", "[host]: cpuset=2-5" },
        { "# inside a value is kept (a#b)", "t.conf", "[vm x]\ngroup = a#b", "[vm x]: group=a#b" },
        { "; inside a value is kept (a;b)", "t.conf", "[vm x]\ngroup = a;b", "[vm x]: group=a;b" },
        { "a comment after a header", "t.conf", "[vm web1]   # the front end\nvcpus = 2", "[vm web1]: vcpus=2" },
        { "a comment before the first header does not need a section", "notes.conf", "# only notes here\n[host]\nsmt = isolate", "[host]: smt=isolate" },
        { "a file of comments only holds no section", "notes.conf", "# nothing yet\n; really nothing", "" },

        // Blank lines and line ends
        { "blank and whitespace-only lines are skipped", "t.conf", "\n\n[host]\n   \n\t\ncpuset = 1\n\n", "[host]: cpuset=1" },
        { "CRLF line ends leave no \\r in keys or values", "t.conf", "[host]\r\ncpuset = 2-5\r\nsmt=isolate\r\n", "[host]: cpuset=2-5, smt=isolate" },
        { "a last line without a newline", "t.conf", "[host]\ncpuset = 2-5", "[host]: cpuset=2-5" },
        { "an empty file", "t.conf", "", "" },

        // key = value
        { "no spaces around =", "t.conf", "[host]\ncpuset=2-5", "[host]: cpuset=2-5" },
        { "spaces and tabs around =", "t.conf", "[host]\ncpuset \t=\t 2-5", "[host]: cpuset=2-5" },
        { "only the first = splits key from value", "t.conf", "[vm x]\ngroup = a=b", "[vm x]: group=a=b" },
        { "an empty value is kept, empty", "t.conf", "[host]\ncpuset =   ", "[host]: cpuset=" },
        { "inner spaces of a value are kept", "t.conf", "[vm x]\ngroup = a  b", "[vm x]: group=a  b" },
        { "indented keys", "t.conf", "[host]\n    cpuset = 1", "[host]: cpuset=1" },

        // Headers
        {
            "all five headers, each with its keys", "t.conf",
            "[host]\na=1\n[vm web1]\nb=2\n[profile big]\nc=3\n[cost]\nd=4\n[alerts]\ne=5",
            "[host]: a=1 | [vm web1]: b=2 | [profile big]: c=3 | [cost]: d=4 | [alerts]: e=5"
        },
        {
            "[node NAME], the cluster inventory, beside the other five", "t.conf",
            "[node kvm1]\nuri = qemu+ssh://root@kvm1/system\nrack = r1\n[vm web1]\nhost = kvm1",
            "[node kvm1]: uri=qemu+ssh://root@kvm1/system, rack=r1 | [vm web1]: host=kvm1"
        },
        { "[alerts] below the host keys of 00-cpu.conf", "00-cpu.conf", "reserved = 0\n[alerts]\nready_warning = 3%", "[host]*: reserved=0 | [alerts]: ready_warning=3%" },
        { "header words are case-insensitive; names are kept as written", "t.conf", "[VM Web1]\nvcpus=1\n[Host]", "[vm Web1]: vcpus=1 | [host]:" },
        { "spaces inside the brackets", "t.conf", "[ vm   web1 ]\nvcpus=1", "[vm web1]: vcpus=1" },
        { "an indented header", "t.conf", "  [host]\ncpuset=1", "[host]: cpuset=1" },
        { "a header without keys is still a section", "t.conf", "[host]\n[vm a]\nx=1", "[host]: | [vm a]: x=1" },
        { "names with every allowed character", "t.conf", "[vm a.b_c-d+e:f]\n[profile Big-1]", "[vm a.b_c-d+e:f]: | [profile Big-1]:" },
        { "the same section twice in one file stays two sections", "t.conf", "[host]\na=1\n[host]\na=2", "[host]: a=1 | [host]: a=2" },

        // Headers implied by the file name
        { "00-cpu.conf means [host]", "00-cpu.conf", "cpusets = 1-9", "[host]*: cpusets=1-9" },
        { "10-host.conf means [host]", "10-host.conf", "smt = isolate", "[host]*: smt=isolate" },
        { "the seed's two-line 00-vm1.conf declares VM vm1", "00-vm1.conf", "cpus=1-4\n", "[vm vm1]*: cpus=1-4" },
        { "any NN- prefix, and dashes inside the VM name", "120-db-primary.conf", "vcpus = 4", "[vm db-primary]*: vcpus=4" },
        { "comments before the first key still imply the header", "00-vm1.conf", "# the seed VM\n\ncpus=1-4", "[vm vm1]*: cpus=1-4" },
        { "an implied header, then explicit ones", "20-web1.conf", "vcpus=2\n[vm web2]\nvcpus=1", "[vm web1]*: vcpus=2 | [vm web2]: vcpus=1" },
        { "a file that starts with a header implies nothing", "00-vm1.conf", "[vm other]\ncpus=1", "[vm other]: cpus=1" },
        { "a comment-only NN-NAME.conf declares nothing", "00-vm1.conf", "# empty\n", "" },
    };

    [Theory]
    [MemberData(nameof(WellFormed))]
    public void Parses_sections_and_entries(string description, string fileName, string text, string sections)
    {
        (ConfigDocument document, List<Diagnostic> diagnostics) = ConfigText.ParseFile(fileName, text);

        Expect.Equal(description + " (diagnostics)", "", ConfigText.Render(diagnostics));
        Expect.Equal(description, sections, ConfigText.Render(document));
    }

    /// <summary>Rows: description, text, the key to look at, its key span, its value span (1-based line:column+length).</summary>
    public static TheoryData<string, string, string, string, string> Spans => new()
    {
        { "key at column 1, value after ' = '", "[host]\ncpuset = 2-5", "cpuset", "t.conf:2:1+6", "t.conf:2:10+3" },
        { "no spaces: the value starts right after '='", "[host]\ncpuset=2-5", "cpuset", "t.conf:2:1+6", "t.conf:2:8+3" },
        { "an indented key", "[host]\n  cpuset=2-5", "cpuset", "t.conf:2:3+6", "t.conf:2:10+3" },
        { "a tab counts as one column", "[host]\n\tcpuset =\t2-5", "cpuset", "t.conf:2:2+6", "t.conf:2:11+3" },
        { "space before '=' is not part of the key", "[host]\ncpuset    = 2-5", "cpuset", "t.conf:2:1+6", "t.conf:2:13+3" },
        { "a trailing comment is not part of the value", "[host]\ncpuset = 2-5   # VM CPUs", "cpuset", "t.conf:2:1+6", "t.conf:2:10+3" },
        { "trailing spaces are not part of the value", "[host]\ncpuset = 2-5   ", "cpuset", "t.conf:2:1+6", "t.conf:2:10+3" },
        { "CRLF: the \\r is not part of the value", "[host]\r\ncpuset = 2-5\r\n", "cpuset", "t.conf:2:1+6", "t.conf:2:10+3" },
        { "an empty value is a zero-length span at the end of the line", "[host]\ncpuset = ", "cpuset", "t.conf:2:1+6", "t.conf:2:9+0" },
        { "comment and blank lines count as lines", "# one\n\n; three\n[host]\n\ncpuset=1", "cpuset", "t.conf:6:1+6", "t.conf:6:8+1" },
        { "a value with inner spaces spans all of it", "[vm x]\ngroup = a b c", "group", "t.conf:2:1+5", "t.conf:2:9+5" },
        { "a value keeping a#b spans the #", "[vm x]\ngroup = a#b  # note", "group", "t.conf:2:1+5", "t.conf:2:9+3" },
    };

    [Theory]
    [MemberData(nameof(Spans))]
    public void Records_where_keys_and_values_are(string description, string text, string key, string keySpan, string valueSpan)
    {
        (ConfigDocument document, List<Diagnostic> diagnostics) = ConfigText.ParseFile("t.conf", text);

        Assert.Empty(diagnostics);
        ConfigEntry entry = document.Sections.SelectMany(s => s.Entries).Single(e => e.Key == key);
        Expect.Equal(description + " (key)", keySpan, ConfigText.Render(entry.KeySpan));
        Expect.Equal(description + " (value)", valueSpan, ConfigText.Render(entry.ValueSpan));
    }

    /// <summary>Rows: description, file name, text, header span of the first section.</summary>
    public static TheoryData<string, string, string, string> HeaderSpans => new()
    {
        { "a header spans its brackets", "t.conf", "[vm web1]\nvcpus=1", "t.conf:1:1+9" },
        { "an indented header with a comment spans only the brackets", "t.conf", "\n  [vm web1]  # x", "t.conf:2:3+9" },
        { "an implied header is placed at the first key", "00-vm1.conf", "# seed\n  cpus=1-4", "00-vm1.conf:2:3+4" },
    };

    [Theory]
    [MemberData(nameof(HeaderSpans))]
    public void Records_where_headers_are(string description, string fileName, string text, string headerSpan)
    {
        (ConfigDocument document, _) = ConfigText.ParseFile(fileName, text);

        Expect.Equal(description, headerSpan, ConfigText.Render(document.Sections[0].HeaderSpan));
    }

    /// <summary>
    /// Rows: description, file name, text, the diagnostics (in line order), and the sections that survive. Parsing
    /// goes on after each mistake; keys under a header that could not be read are skipped, not misfiled.
    /// </summary>
    public static TheoryData<string, string, string, string, string> Malformed => new()
    {
        { "a line without '=' is KVC002 over the line's text", "t.conf", "[host]\ncpuset 2-5\nreserved = 0", "KVC002 error t.conf:2:1+10", "[host]: reserved=0" },
        { "KVC002 ignores indentation and a trailing comment", "t.conf", "[host]\n  oops   # forgot the value", "KVC002 error t.conf:2:3+4", "[host]:" },
        { "a '=' inside a comment does not count", "t.conf", "[host]\ncpuset # = 2-5", "KVC002 error t.conf:2:1+6", "[host]:" },
        { "nothing before '=' is KVC003 at the '='", "t.conf", "[host]\n = 5\ncpuset=1", "KVC003 error t.conf:2:2+1", "[host]: cpuset=1" },
        {
            "an unterminated header is KVC004, and its keys are skipped until the next valid header", "t.conf",
            "[host]\na=1\n[vm web1\ncpus = 1-2\nvcpus = 2\n[vm web2]\nvcpus = 1",
            "KVC004 error t.conf:3:1+8", "[host]: a=1 | [vm web2]: vcpus=1"
        },
        { "text after ']' is KVC004 on that text, and the keys below are skipped", "t.conf", "[vm web1] cpus=1-2\nvcpus=2", "KVC004 error t.conf:1:11+8", "" },
        { "a second ']' is text after the header", "t.conf", "[vm web1]]\nvcpus=2", "KVC004 error t.conf:1:10+1", "" },
        { "an unknown section is KVC005 on its word, and its keys are skipped", "t.conf", "[vmm x]\ncpus=1\n[vm y]\nvcpus=1", "KVC005 error t.conf:1:2+3", "[vm y]: vcpus=1" },
        { "an empty header is KVC005", "t.conf", "[]\na=1", "KVC005 error t.conf:1:2+1", "" },
        { "[vm] without a name is KVC006 on the header", "t.conf", "[vm]\nvcpus=1", "KVC006 error t.conf:1:1+4", "" },
        { "[node] without a name is KVC006 on the header", "t.conf", "[node]\nuri = test:///default", "KVC006 error t.conf:1:1+6", "" },
        { "a node name libvirt would refuse is KVC006 on the name", "t.conf", "[node kvm 1]\nuri = test:///default", "KVC006 error t.conf:1:7+5", "" },
        { "[profile] without a name is KVC006", "t.conf", "[profile]\nvcpus=1", "KVC006 error t.conf:1:1+9", "" },
        { "[host x] takes no name: KVC006", "t.conf", "[host x]\nsmt=isolate", "KVC006 error t.conf:1:1+8", "" },
        { "[cost NAME] is a cost scenario: no diagnostic, the name kept", "t.conf", "[cost kvm]\nlicence_per_node=0", "", "[cost kvm]: licence_per_node=0" },
        { "a cost scenario name libvirt's name rules refuse is KVC006 on the name", "t.conf", "[cost kvm/2]\npue=1.2", "KVC006 error t.conf:1:7+5", "" },
        { "a VM name libvirt would refuse is KVC006 on the name", "t.conf", "[vm a/b]\nvcpus=1", "KVC006 error t.conf:1:5+3", "" },
        { "a VM name with a space is KVC006 on the name", "t.conf", "[vm db primary]\nvcpus=1", "KVC006 error t.conf:1:5+10", "" },
        { "keys before any header in foo.conf are KVC007 at the first key, once", "foo.conf", "cpus=1\nvcpus=2\n[vm a]\nvcpus=1", "KVC007 error foo.conf:1:1+4", "[vm a]: vcpus=1" },
        { "a name without the NN- prefix implies nothing", "vm1.conf", "cpus=1-4", "KVC007 error vm1.conf:1:1+4", "" },
        { "a name with a letter prefix implies nothing", "ab-vm1.conf", "cpus=1-4", "KVC007 error ab-vm1.conf:1:1+4", "" },
        { "an implied VM name libvirt would refuse is KVC006 at the first key", "00-web@1.conf", "cpus=1-4", "KVC006 error 00-web@1.conf:1:1+4", "" },
        { "broken lines under a skipped header are still reported", "t.conf", "[vm]\nbroken\nvcpus=1", "KVC006 error t.conf:1:1+4 | KVC002 error t.conf:2:1+6", "" },
        {
            "one run reports every broken line, and keeps every good one", "t.conf",
            "[host]\nbroken\n= 1\nsmt=isolate\n[vmm x]\na=1\n[vm]\n[vm ok]\nvcpus=1\nalso broken\n[host x]\n[host",
            "KVC002 error t.conf:2:1+6 | KVC003 error t.conf:3:1+1 | KVC005 error t.conf:5:2+3 | KVC006 error t.conf:7:1+4"
                + " | KVC002 error t.conf:10:1+11 | KVC006 error t.conf:11:1+8 | KVC004 error t.conf:12:1+5",
            "[host]: smt=isolate | [vm ok]: vcpus=1"
        },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Reports_malformed_lines_and_goes_on(string description, string fileName, string text, string expected, string sections)
    {
        (ConfigDocument document, List<Diagnostic> diagnostics) = ConfigText.ParseFile(fileName, text);

        Expect.Equal(description, expected, ConfigText.Render(diagnostics));
        Expect.Equal(description + " (sections kept)", sections, ConfigText.Render(document));
    }

    /// <summary>Rows: description, text, a piece of the hint the user must see.</summary>
    public static TheoryData<string, string, string> Hints => new()
    {
        { "a typo of vm suggests the header with its name", "[vmm x]", "did you mean '[vm x]'?" },
        { "a typo of host suggests [host]", "[hots]", "did you mean '[host]'?" },
        { "a typo of profile keeps the name", "[profle big]", "did you mean '[profile big]'?" },
        { "a word far from any section lists the sections", "[machine x]", "sections are [host], [vm NAME], [profile NAME], [node NAME], [cost] and [alerts]" },
        { "[alert] suggests [alerts]", "[alert]", "did you mean '[alerts]'?" },
        { "[alerts x] shows the form without a name", "[alerts x]", "write [alerts]" },
        { "an unterminated header says the keys below are skipped", "[vm web1\na=1", "the keys below it are skipped until the next valid header" },
        { "[vm] without a name shows the form with a name", "[vm]", "write [vm NAME]" },
        { "[host x] shows the form without a name", "[host x]", "write [host]" },
        { "a line without '=' offers the comment form", "[host]\nbroken", "start the line with # to make it a comment" },
        { "keys in foo.conf explain how to name the file", "a=1", "name the file NN-NAME.conf" },
    };

    [Theory]
    [MemberData(nameof(Hints))]
    public void Hints_say_how_to_fix_it(string description, string text, string hint)
    {
        (_, List<Diagnostic> diagnostics) = ConfigText.ParseFile("foo.conf", text);

        Expect.Contains(description, hint, Assert.Single(diagnostics).Hint);
    }

    [Fact]
    public void Unknown_section_message_quotes_the_header()
    {
        (_, List<Diagnostic> diagnostics) = ConfigText.ParseFile("t.conf", "[vmm x]");

        Diagnostic d = Assert.Single(diagnostics);
        Assert.Equal(Rules.UnknownSection, d.Descriptor);
        Assert.Equal("unknown section '[vmm x]'", d.Message);
    }

    [Fact]
    public void The_document_keeps_every_line_without_terminators_for_carets()
    {
        (ConfigDocument document, _) = ConfigText.ParseFile("t.conf", "[host]\r\ncpuset = 2-5 # x\r\n\r\nsmt=isolate\n");

        Assert.Equal(new[] { "[host]", "cpuset = 2-5 # x", "", "smt=isolate" }, document.Lines);
        Assert.Equal(Path.Combine(ConfigText.Dir, "t.conf"), document.Path);
    }

    [Fact]
    public void Diagnostics_name_the_file_as_given()
    {
        var diagnostics = new List<Diagnostic>();

        ConfigParser.Parse("conf.d/20-web.conf", "[host]\nbroken", diagnostics);

        Assert.Equal("conf.d/20-web.conf", Assert.Single(diagnostics).Span!.File);
    }
}
