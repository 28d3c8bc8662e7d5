using System.Xml.Linq;

namespace KvmConfig.Core.Domains;

/// <summary>
/// A libvirt domain's XML and kvmconfig's part of it: <see cref="Merge"/> writes a <see cref="DomainTuning"/> into
/// the domain, <see cref="ReadOwned"/> and <see cref="ReadTuning"/> read it back. Pure text in, text out: the
/// libvirt adapter fetches and defines the XML.
/// </summary>
public static partial class DomainXml
{
    /// <summary>
    /// <paramref name="domainXml"/> with the elements kvmconfig owns (<see cref="DomainTuning"/> remarks) set to
    /// <paramref name="tuning"/>, and everything else as it was. An owned piece is rewritten only when its
    /// normalized value differs; new elements go where libvirt formats them. The result is printed as libvirt
    /// prints XML, so a document libvirt produced comes back byte for byte when the tuning asks for what it says.
    /// </summary>
    /// <exception cref="System.Xml.XmlException">The text is not XML.</exception>
    /// <exception cref="ArgumentException">The root element is not <c>&lt;domain&gt;</c>; the tuning has no vCPU or
    /// not one pin per vCPU; or guest cells need a size and the domain has no <c>&lt;memory&gt;</c> to split.</exception>
    public static string Merge(string domainXml, DomainTuning tuning)
    {
        ArgumentNullException.ThrowIfNull(tuning);
        if (tuning.Vcpus < 1 || tuning.VcpuPins.Count != tuning.Vcpus)
        {
            throw new ArgumentException($"a tuning needs at least one vCPU and one pin per vCPU, not {tuning.Vcpus} vCPUs with {tuning.VcpuPins.Count} pins", nameof(tuning));
        }

        XDocument doc = Load(domainXml);
        XElement domain = doc.Root!;
        (int max, int online, _, _) = ReadVcpu(domain);
        tuning = tuning.ForMaximum(max, online);
        if (tuning.VcpusMax < tuning.Vcpus)
        {
            throw new ArgumentException($"a tuning's maximum ({tuning.VcpusMax} vCPUs) cannot be lower than its online count ({tuning.Vcpus})", nameof(tuning));
        }

        // Memory first: cells without a size of their own split the domain's memory. Cells before numatune:
        // libvirt refuses a <memnode> for a cell that does not exist.
        WriteMemory(domain, tuning);
        WriteVcpu(domain, tuning);
        WriteCputune(domain, tuning);
        WriteCells(domain, tuning);
        WriteTopology(domain, tuning);
        WriteNumatune(domain, tuning);
        WriteHugePages(domain, tuning);
        WriteBlkioWeight(domain, tuning);
        WriteDiskThrottles(domain, tuning);
        WriteInterfaceBandwidth(domain, tuning);
        return Format(doc);
    }
}
