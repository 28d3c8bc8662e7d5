using System.Xml.Linq;

namespace KvmConfig.Core.Domains;

/// <summary>The writers of <c>&lt;vcpu&gt;</c> and <c>&lt;cputune&gt;</c>: the vCPU count and placement, shares, cap, pins, emulator pin and schedulers.</summary>
public static partial class DomainXml
{
    /// <summary>
    /// <c>&lt;vcpu placement cpuset current&gt;MAX&lt;/vcpu&gt;</c>, explicit about its placement once kvmconfig touches
    /// it; <c>current</c> only when fewer vCPUs than the maximum are online at boot.
    /// </summary>
    private static void WriteVcpu(XElement domain, DomainTuning t)
    {
        (int oldMax, int oldCurrent, DomainPlacement oldPlacement, CpuSet? oldCpuset) = ReadVcpu(domain);
        int max = t.VcpusMax ?? t.Vcpus;
        XElement? vcpu = domain.Element("vcpu");
        bool countsRight = vcpu is not null && oldMax == max && oldCurrent == t.Vcpus;
        if (countsRight && oldPlacement == t.VcpuPlacement && oldCpuset == t.VcpuCpus)
        {
            return;
        }

        vcpu ??= ElementOrder.Domain.Insert(domain, new XElement("vcpu"));
        if (!countsRight)
        {
            vcpu.Value = OwnedValues.Number(max);
            vcpu.SetAttributeValue("current", t.Vcpus < max ? OwnedValues.Number(t.Vcpus) : null);

            // <vcpus> lists every vCPU with its enabled flag; libvirt refuses a list that disagrees with either count.
            domain.Element("vcpus")?.Remove();
        }

        vcpu.SetAttributeValue("placement", OwnedValues.Placement(t.VcpuPlacement));
        vcpu.SetAttributeValue("cpuset", t.VcpuCpus?.ToString());
        OrderAttributes(vcpu, "placement", "cpuset", "current");
    }

    private static void WriteCputune(XElement domain, DomainTuning t)
    {
        XElement? cputune = domain.Element("cputune");
        XElement Cputune() => cputune ??= ElementOrder.Domain.Insert(domain, new XElement("cputune"));
        bool removed = false;

        if (t.CpuShares is { } shares && ParseLong(cputune?.Element("shares")?.Value) != shares)
        {
            ElementOrder.Cputune.Ensure(Cputune(), "shares").Value = OwnedValues.Number(shares);
        }

        if (t.CpuCap is { } cap)
        {
            var actual = new CpuBandwidth(ParseLong(cputune?.Element("global_period")?.Value), ParseLong(cputune?.Element("global_quota")?.Value));
            if (OwnedValues.Cap(actual) != OwnedValues.Cap(cap))
            {
                if (cap.IsUnlimited)
                {
                    cputune?.Element("global_period")?.Remove();
                    cputune?.Element("global_quota")?.Remove();
                    removed = true;
                }
                else
                {
                    ElementOrder.Cputune.Ensure(Cputune(), "global_period").Value = OwnedValues.Number(cap.PeriodUs ?? CpuBandwidth.DefaultPeriodUs);
                    ElementOrder.Cputune.Ensure(Cputune(), "global_quota").Value = OwnedValues.Number(cap.QuotaUs!.Value);
                }
            }
        }

        // A thread without a pin of its own runs on <vcpu cpuset> (when placement is static): a pin that equals
        // it says nothing more and is not written.
        CpuSet? inherited = t.VcpuPlacement == DomainPlacement.Static ? t.VcpuCpus : null;
        removed |= WritePins(cputune, t, inherited, Cputune);

        XElement? emulatorpin = cputune?.Element("emulatorpin");
        CpuSet? emulator = emulatorpin is null ? inherited ?? CpuSet.Empty : ParseCpus(Attr(emulatorpin, "cpuset"));
        if (emulator != t.EmulatorCpus)
        {
            if (t.EmulatorCpus.IsEmpty)
            {
                emulatorpin?.Remove();
                removed = true;
            }
            else
            {
                ElementOrder.Cputune.Ensure(Cputune(), "emulatorpin").SetAttributeValue("cpuset", t.EmulatorCpus.ToString());
            }
        }

        if (t.VcpuSchedulers is { } schedulers)
        {
            removed |= WriteSchedulers(cputune, t.VcpusMax ?? t.Vcpus, schedulers, Cputune);
        }

        if (removed)
        {
            RemoveIfEmpty(cputune);
        }
    }

    /// <summary>One <c>&lt;vcpupin&gt;</c> per vCPU whose pin differs from what it inherits; pins for vCPUs past the count go.</summary>
    private static bool WritePins(XElement? cputune, DomainTuning t, CpuSet? inherited, Func<XElement> ensureCputune)
    {
        bool removed = false;
        var pins = new Dictionary<int, XElement>();
        foreach (XElement pin in cputune?.Elements("vcpupin").ToList() ?? [])
        {
            if (ParseLong(Attr(pin, "vcpu")) is { } vcpu && vcpu < t.Vcpus && pins.TryAdd((int)vcpu, pin))
            {
                continue;
            }

            pin.Remove();
            removed = true;
        }

        for (int i = 0; i < t.Vcpus; i++)
        {
            CpuSet want = t.VcpuPins[i];
            XElement? pin = pins.GetValueOrDefault(i);
            CpuSet? have = pin is null ? inherited ?? CpuSet.Empty : ParseCpus(Attr(pin, "cpuset"));
            if (have == want)
            {
                continue;
            }

            if (want.IsEmpty || want == inherited)
            {
                pin?.Remove();
                removed = true;
            }
            else if (pin is null)
            {
                ElementOrder.Cputune.Insert(ensureCputune(), new XElement("vcpupin", new XAttribute("vcpu", i), new XAttribute("cpuset", want.ToString())));
            }
            else
            {
                pin.SetAttributeValue("cpuset", want.ToString());
            }
        }

        return removed;
    }

    /// <summary>
    /// Rewrites every <c>&lt;vcpusched&gt;</c> when the class of any vCPU differs or an element names a vCPU past the
    /// count; one element per scheduler entry (libvirt may print it back one per vCPU: the same setting).
    /// </summary>
    private static bool WriteSchedulers(XElement? cputune, int vcpus, IReadOnlyList<VcpuScheduler> schedulers, Func<XElement> ensureCputune)
    {
        List<XElement> existing = cputune?.Elements("vcpusched").ToList() ?? [];
        bool stale = existing.Any(e => ParseCpus(Attr(e, "vcpus")) is { } which && which.Last >= vcpus);
        if (!stale && OwnedFields.SchedulerPerVcpu(ReadSchedulers(cputune, vcpus), vcpus)
                .SequenceEqual(OwnedFields.SchedulerPerVcpu(schedulers, vcpus)))
        {
            return false;
        }

        existing.ForEach(e => e.Remove());
        foreach (VcpuScheduler s in schedulers.Where(s => s.Class is not Specs.SchedulerClass.Other && !s.Vcpus.IsEmpty))
        {
            var sched = new XElement("vcpusched",
                new XAttribute("vcpus", s.Vcpus.ToString()),
                new XAttribute("scheduler", OwnedValues.SchedulerName(s.Class)));
            if (s.Class is Specs.SchedulerClass.Fifo or Specs.SchedulerClass.RoundRobin)
            {
                sched.Add(new XAttribute("priority", s.Priority));
            }

            ElementOrder.Cputune.Insert(ensureCputune(), sched);
        }

        return existing.Count > 0;
    }
}
