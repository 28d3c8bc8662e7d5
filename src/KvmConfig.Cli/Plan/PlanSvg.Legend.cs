using KvmConfig.Cli.Rendering;
using System.Xml;
using KvmConfig.Core;
using KvmConfig.Core.Planning;

namespace KvmConfig.Cli.Plan;

/// <summary>The legend under the picture.</summary>
internal static partial class PlanSvg
{
    /// <summary>One legend line: a swatch (none when <paramref name="Fill"/> is null), drawn like the cells it explains, and its text.</summary>
    private sealed record LegendLine(string? Fill, string Text, string Stroke = "#333333", string? Dashes = null, string? VmName = null);

    /// <summary>
    /// Every VM (dedicated ones in their colour, shared ones in their tint), then the other fills present, the
    /// stranded outline, and the marks under the CPU numbers.
    /// </summary>
    private static List<LegendLine> Legend(Core.Planning.Plan plan, CpuRoles roles)
    {
        var lines = new List<LegendLine>();
        for (int i = 0; i < roles.Dedicated.Count; i++)
        {
            VmPlacement vm = roles.Dedicated[i];
            lines.Add(new LegendLine(CpuRoles.Colour(i), $"{CpuRoles.Key(i)}  {vm.Name}: CPUs {vm.Cpus} ({Units.Plural(vm.Spec.Vcpus, "vCPU")}, {vm.Spec.Pinning.ToString().ToLowerInvariant()}/{vm.Spec.Smt.ToString().ToLowerInvariant()})", VmName: vm.Name));
        }

        for (int i = 0; i < roles.Shared.Count; i++)
        {
            VmPlacement vm = roles.Shared[i];
            lines.Add(new LegendLine(SharedFill(i), $"~  {vm.Name}: {Units.Plural(vm.Spec.Vcpus, "vCPU")} in the shared pool", VmName: vm.Name));
        }

        if (roles.Shared.Count > 0)
        {
            int vcpus = roles.Shared.Sum(v => v.Spec.Vcpus);
            lines.Add(new LegendLine(null, $"shared pool ({Units.Plural(plan.SharedPool.Count, "CPU")}): each of its CPUs is cut into one slice per shared VM, as wide as its share of the pool's {Units.Plural(vcpus, "vCPU")}"));
        }

        IReadOnlySet<CpuRole> present = roles.Present;
        if (present.Contains(CpuRole.Emulator))
        {
            lines.Add(new LegendLine("#bbbbbb", "emulator CPU of an emulator = isolate VM (its colour, dashed)", Dashes: "3 2"));
        }

        if (present.Contains(CpuRole.Idle))
        {
            lines.Add(new LegendLine("url(#idle)", "idle sibling, striped in the colour of the VM that keeps it idle"));
        }

        if (present.Contains(CpuRole.Reserved))
        {
            lines.Add(new LegendLine("url(#reserved)", $"reserved for the host: {Units.OrNone(plan.Reserved)}"));
        }

        if (present.Contains(CpuRole.Free))
        {
            lines.Add(new LegendLine(FreeFill, $"free: {Units.OrNone(plan.Free)}"));
        }

        if (present.Contains(CpuRole.Outside))
        {
            lines.Add(new LegendLine(OutsideFill, "outside the cpuset"));
        }

        if (!roles.Stranded.IsEmpty)
        {
            lines.Add(new LegendLine(FreeFill, $"stranded, as the fragmentation table counts them: {roles.Stranded} (free, but on a core whose sibling is taken, or on a node with fewer free CPUs than the typical VM's {plan.TypicalVmCpus})",
                StrandedStroke, "4 2"));
        }

        IEnumerable<string> marks = CpuRoles.Marks.Where(m => present.Contains(m.Role)).Select(m => $"{m.Mark} {m.Meaning}");
        string keys = roles.Dedicated.Count switch
        {
            0 => "",
            1 => $"{CpuRoles.Key(0)} the VM above, ",
            int n => $"{CpuRoles.Key(0)}..{CpuRoles.Key(n - 1)} the VMs above, ",
        };
        lines.Add(new LegendLine(null, $"under each CPU number, the mark of the text CPU map: {keys}{string.Join(", ", marks)}"));
        return lines;
    }

    private static void WriteLegend(XmlWriter xml, List<LegendLine> lines, double x, double y)
    {
        xml.WriteStartElement("g", SvgNamespace);
        xml.WriteAttributeString("class", "legend");
        Text(xml, x, y + 12, "Legend", "start", "#000000");
        double line = y + LabelHeight + 2;
        foreach (LegendLine l in lines)
        {
            if (l.Fill is not null)
            {
                xml.WriteStartElement("rect", SvgNamespace);
                xml.WriteAttributeString("class", "swatch");
                if (l.VmName is not null)
                {
                    xml.WriteAttributeString("data-vm", l.VmName);
                }

                xml.WriteAttributeString("x", Num(x));
                xml.WriteAttributeString("y", Num(line));
                xml.WriteAttributeString("width", "14");
                xml.WriteAttributeString("height", "14");
                xml.WriteAttributeString("fill", l.Fill);
                xml.WriteAttributeString("stroke", l.Stroke);
                if (l.Dashes is not null)
                {
                    xml.WriteAttributeString("stroke-dasharray", l.Dashes);
                }

                xml.WriteEndElement();
            }

            Text(xml, x + 20, line + 11, l.Text, "start", "#000000");
            line += 18;
        }

        xml.WriteEndElement();
    }
}
