namespace KvmConfig.Core.Monitoring;

/// <summary>
/// A QEMU process's resident memory split in two: inside the mappings that hold the guest's RAM, and outside them (QEMU's
/// own heap, thread stacks, TCG's code buffer, video RAM and firmware, libraries): the latter is what the VM costs beyond
/// its guest, its memory overhead.
/// </summary>
/// <param name="RssKiB">Resident memory over every mapping (the sum of smaps' <c>Rss</c>, what <c>VmRSS</c> counts).</param>
/// <param name="GuestRamRssKiB">Resident memory inside the guest RAM mappings: what the guest has touched.</param>
/// <param name="GuestRamMappings">How many mappings hold the guest's RAM (one per memory backend).</param>
public sealed record QemuMemory(long RssKiB, long GuestRamRssKiB, int GuestRamMappings)
{
    /// <summary>Resident memory outside the guest RAM mappings; never negative.</summary>
    public long OverheadKiB => RssKiB - GuestRamRssKiB;

    /// <summary>
    /// The split of <paramref name="mappings"/> (a QEMU process's smaps) for a guest of <paramref name="guestMemoryKiB"/>,
    /// or null when its guest RAM mappings cannot be told apart (the rule below finds none that add up to the guest's
    /// size): the overhead is then unknown rather than guessed.
    /// </summary>
    /// <remarks>
    /// <para>How the guest RAM mappings are found. QEMU allocates guest RAM as one memory backend per guest NUMA cell
    /// (one for the whole guest without a guest NUMA layout, libvirt's <c>pc.ram</c>) plus one per hot-plugged DIMM, and
    /// libvirt's <c>&lt;memory&gt;</c> is their sum. Each backend is one mapping of exactly its size: anonymous memory,
    /// a memfd (<c>/memfd:ram-node0 (deleted)</c>) or a hugetlbfs file. So:</para>
    /// <list type="number">
    /// <item>The candidates are the RAM block mappings: those with the <c>dc</c> flag (<see cref="SmapsMapping.DontCopyOnFork"/>),
    /// which QEMU sets on every RAM block and on nothing else. This leaves out what can be as large as a small guest and
    /// is not its RAM: glibc's 64 MiB malloc arenas and TCG's 64 MiB code buffer regions.</item>
    /// <item>The guest's RAM is taken from the largest candidates down: each is taken when it fits in what is left of the
    /// guest's size, until nothing is left. Ties between equal sizes go to the lower address. Device RAM (video RAM,
    /// firmware, option ROMs) is smaller than any real guest's cells, so it is left to the overhead, where it belongs.</item>
    /// <item>When the taken mappings do not add up to the guest's size exactly, the guest RAM is not identified (a
    /// layout this rule does not know, such as virtio-mem): null.</item>
    /// </list>
    /// <para>Resident memory is smaps' <c>Rss</c>, as in <c>VmRSS</c>: shared library pages count in full, and pages of
    /// a hugetlbfs backing are counted by the kernel apart from <c>Rss</c> (they are the guest's anyway).</para>
    /// </remarks>
    public static QemuMemory? Of(IReadOnlyList<SmapsMapping> mappings, long guestMemoryKiB)
    {
        if (guestMemoryKiB <= 0)
        {
            return null;
        }

        long left = guestMemoryKiB;
        long guestRss = 0;
        int taken = 0;
        foreach (SmapsMapping candidate in mappings
            .Where(m => m.Flags.Contains(SmapsMapping.DontCopyOnFork))
            .OrderByDescending(m => m.SizeKiB)
            .ThenBy(m => m.StartAddress))
        {
            if (left == 0)
            {
                break;
            }

            if (candidate.SizeKiB > 0 && candidate.SizeKiB <= left)
            {
                left -= candidate.SizeKiB;
                guestRss += candidate.RssKiB;
                taken++;
            }
        }

        return left == 0 ? new QemuMemory(mappings.Sum(m => m.RssKiB), guestRss, taken) : null;
    }
}
