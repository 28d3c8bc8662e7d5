using KvmConfig.Cli.Rendering;
using System.Xml;
using KvmConfig.Core;
using KvmConfig.Core.Planning;

namespace KvmConfig.Cli.Plan;

/// <summary>The thread boxes of the picture, and the patterns they are filled with.</summary>
internal static partial class PlanSvg
{
    /// <summary>
    /// One hardware thread: a filled box with the CPU number and the text map's mark under it, a tooltip naming its
    /// users; a shared-pool CPU is cut into slices, one per shared VM; a stranded one gets a red dashed outline.
    /// </summary>
    private sealed class ThreadBox(int cpu, Core.Planning.Plan plan, CpuRoles roles) : Element
    {
        public override (double Width, double Height) Size => (ThreadWidth, ThreadHeight);

        public override void Draw(XmlWriter xml, double x, double y)
        {
            CpuUse use = roles.Of(cpu);
            VmPlacement? vm = use.Vm >= 0 ? roles.Dedicated[use.Vm] : null;
            bool stranded = roles.Stranded.Contains(cpu);
            xml.WriteStartElement("rect", SvgNamespace);
            xml.WriteAttributeString("class", "thread");
            xml.WriteAttributeString("data-cpu", Num(cpu));
            xml.WriteAttributeString("data-role", use.Role.ToString().ToLowerInvariant());
            if (vm is not null)
            {
                xml.WriteAttributeString("data-vm", vm.Name);
            }

            if (stranded)
            {
                xml.WriteAttributeString("data-stranded", "true");
            }

            xml.WriteAttributeString("x", Num(x));
            xml.WriteAttributeString("y", Num(y));
            xml.WriteAttributeString("width", Num(ThreadWidth));
            xml.WriteAttributeString("height", Num(ThreadHeight));
            xml.WriteAttributeString("fill", Fill(use));
            xml.WriteAttributeString("stroke", "#333333");
            if (use.Role == CpuRole.Emulator)
            {
                xml.WriteAttributeString("fill-opacity", "0.5");
                xml.WriteAttributeString("stroke-dasharray", "3 2");
            }

            string why = stranded ? $"; stranded: {StrandedWhy()}" : "";
            xml.WriteElementString("title", SvgNamespace, $"CPU {cpu}: {Describe(use, vm)}{why}");
            xml.WriteEndElement();
            if (use.Role == CpuRole.Shared)
            {
                WriteSlices(xml, x, y);
            }

            if (stranded)
            {
                xml.WriteStartElement("rect", SvgNamespace);
                xml.WriteAttributeString("class", "stranded");
                xml.WriteAttributeString("x", Num(x + 2));
                xml.WriteAttributeString("y", Num(y + 2));
                xml.WriteAttributeString("width", Num(ThreadWidth - 4));
                xml.WriteAttributeString("height", Num(ThreadHeight - 4));
                xml.WriteAttributeString("fill", "none");
                xml.WriteAttributeString("stroke", StrandedStroke);
                xml.WriteAttributeString("stroke-width", "2");
                xml.WriteAttributeString("stroke-dasharray", "4 2");
                xml.WriteAttributeString("pointer-events", "none");
                xml.WriteEndElement();
            }

            string ink = use.Role == CpuRole.Outside ? "#888888" : "#000000";
            CellText(xml, x + (ThreadWidth / 2), y + 13, Num(cpu), null, ink);
            CellText(xml, x + (ThreadWidth / 2), y + 27, CpuRoles.Mark(use), cpu, ink);
        }

        // A shared CPU runs every shared VM's vCPUs; each VM's slice is as wide as its share of their vCPUs.
        private void WriteSlices(XmlWriter xml, double x, double y)
        {
            int total = roles.Shared.Sum(v => v.Spec.Vcpus);
            int before = 0;
            for (int i = 0; i < roles.Shared.Count; i++)
            {
                double left = x + (ThreadWidth * before / total);
                before += roles.Shared[i].Spec.Vcpus;
                double right = x + (ThreadWidth * before / total);
                xml.WriteStartElement("rect", SvgNamespace);
                xml.WriteAttributeString("class", "share");
                xml.WriteAttributeString("data-cpu", Num(cpu));
                xml.WriteAttributeString("data-vm", roles.Shared[i].Name);
                xml.WriteAttributeString("x", Num(left));
                xml.WriteAttributeString("y", Num(y + 0.5));
                xml.WriteAttributeString("width", Num(right - left));
                xml.WriteAttributeString("height", Num(ThreadHeight - 1));
                xml.WriteAttributeString("fill", SharedFill(i));
                xml.WriteAttributeString("pointer-events", "none");
                xml.WriteEndElement();
            }
        }

        // Strict pinning names the vCPUs pinned to the CPU; float lets every vCPU of the VM run there.
        private string Describe(CpuUse use, VmPlacement? vm) => use.Role switch
        {
            CpuRole.Vm => $"{vm!.Name}, {VcpusOn(vm)}",
            CpuRole.Emulator => $"emulator threads of {vm!.Name}",
            CpuRole.Idle => $"idle sibling held by {vm!.Name}",
            CpuRole.Reserved => "reserved for the host",
            CpuRole.Shared => $"shared pool of {string.Join(", ", roles.Shared.Select(v => $"{v.Name} ({Units.Plural(v.Spec.Vcpus, "vCPU")})"))}",
            CpuRole.Free => "free",
            _ => "outside the cpuset",
        };

        // The fragmentation table's two reasons (CpuPicker.Stranded): too few free CPUs on the node, or a split core.
        private string StrandedWhy()
        {
            NodeFragmentation node = plan.Fragmentation.First(f => f.StrandedCpus.Contains(cpu));
            return node.FreeCpus.Count < plan.TypicalVmCpus
                ? $"node{node.Node} has {Units.Plural(node.FreeCpus.Count, "free CPU")}, fewer than the typical VM's {plan.TypicalVmCpus}"
                : "a sibling thread of its core is taken, so no VM that wants whole cores can use it";
        }

        private string VcpusOn(VmPlacement vm)
        {
            CpuSet vcpus = CpuSet.Of(Enumerable.Range(0, vm.VcpuPins.Count).Where(i => vm.VcpuPins[i].Contains(cpu)));
            return vcpus.Count == 1 ? $"vCPU {vcpus}" : vcpus.IsEmpty ? "no vCPU" : $"vCPUs {vcpus}";
        }
    }

    // Black text with a thin white halo, readable on the dark VM colours and on the slices alike. The mark of CPU
    // markOf is bold and tagged with its CPU; the CPU number is neither.
    private static void CellText(XmlWriter xml, double x, double y, string text, int? markOf, string fill)
    {
        xml.WriteStartElement("text", SvgNamespace);
        if (markOf is int cpu)
        {
            xml.WriteAttributeString("class", "mark");
            xml.WriteAttributeString("data-cpu", Num(cpu));
        }

        xml.WriteAttributeString("x", Num(x));
        xml.WriteAttributeString("y", Num(y));
        xml.WriteAttributeString("text-anchor", "middle");
        xml.WriteAttributeString("fill", fill);
        xml.WriteAttributeString("stroke", "#ffffff");
        xml.WriteAttributeString("stroke-width", "2");
        xml.WriteAttributeString("stroke-opacity", "0.7");
        xml.WriteAttributeString("paint-order", "stroke");
        if (markOf is not null)
        {
            xml.WriteAttributeString("font-weight", "bold");
        }

        xml.WriteAttributeString("pointer-events", "none");
        xml.WriteString(text);
        xml.WriteEndElement();
    }

    private static string Fill(CpuUse use) => use.Role switch
    {
        CpuRole.Vm or CpuRole.Emulator => CpuRoles.Colour(use.Vm),
        CpuRole.Idle => $"url(#idle-{use.Vm})",
        CpuRole.Reserved => "url(#reserved)",
        CpuRole.Shared => FreeFill,
        CpuRole.Free => FreeFill,
        _ => OutsideFill,
    };

    /// <summary>The fill of shared-pool VM <paramref name="index"/>: its tint, striped once the tints repeat.</summary>
    private static string SharedFill(int index) =>
        CpuRoles.SharedVariant(index) == 0 ? CpuRoles.SharedColour(index) : $"url(#shared-{index})";

    // Hatching for reserved CPUs; stripes of each VM's colour for the siblings it keeps idle; white stripes over the
    // tint of shared VMs past the tenth.
    private static void WriteDefs(XmlWriter xml, CpuRoles roles)
    {
        xml.WriteStartElement("defs", SvgNamespace);
        Pattern(xml, "reserved", "#aaaaaa", "#666666", 45);
        Pattern(xml, "idle", "#ffffff", "#999999", 45);
        for (int i = 0; i < roles.Dedicated.Count; i++)
        {
            Pattern(xml, $"idle-{i}", "#ffffff", CpuRoles.Colour(i), 45);
        }

        for (int i = 0; i < roles.Shared.Count; i++)
        {
            if (CpuRoles.SharedVariant(i) != 0)
            {
                Pattern(xml, $"shared-{i}", CpuRoles.SharedColour(i), "#ffffff", CpuRoles.SharedVariant(i) == 1 ? 45 : -45);
            }
        }

        xml.WriteEndElement();
    }

    private static void Pattern(XmlWriter xml, string id, string background, string stripe, int degrees)
    {
        xml.WriteStartElement("pattern", SvgNamespace);
        xml.WriteAttributeString("id", id);
        xml.WriteAttributeString("patternUnits", "userSpaceOnUse");
        xml.WriteAttributeString("width", "6");
        xml.WriteAttributeString("height", "6");
        xml.WriteAttributeString("patternTransform", $"rotate({degrees})");
        xml.WriteStartElement("rect", SvgNamespace);
        xml.WriteAttributeString("width", "6");
        xml.WriteAttributeString("height", "6");
        xml.WriteAttributeString("fill", background);
        xml.WriteEndElement();
        xml.WriteStartElement("rect", SvgNamespace);
        xml.WriteAttributeString("width", "2");
        xml.WriteAttributeString("height", "6");
        xml.WriteAttributeString("fill", stripe);
        xml.WriteEndElement();
        xml.WriteEndElement();
    }
}
