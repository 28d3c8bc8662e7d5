using KvmConfig.Core.Specs;

namespace KvmConfig.Core.Planning;

/// <summary>Step 7: the CPUs of a dedicated VM's emulator threads.</summary>
public static partial class HostPlanner
{
    private static CpuSet EmulatorCpus(PlannerState state, VmSpec vm, CpuSet nodes, CpuSet cpus, CpuSet idle, List<string> why)
    {
        switch (vm.Emulator)
        {
            case EmulatorPlacement.Isolate:
                // An idle sibling the VM already holds (smt = isolate/require) costs nothing more; then a thread of an
                // already split core, so that the emulator breaks no whole core; then any free CPU of its node.
                if (idle.FirstOrDefault(c => state.Host.Cpu(c)?.Node == nodes.First, -1) is var sibling and >= 0)
                {
                    why.Add($"emulator = isolate: its emulator threads get CPU {sibling}, an idle sibling of its own cores.");
                    return CpuSet.Of(sibling);
                }

                CpuSet free = state.FreeOn(nodes.First) - state.Claimed;
                if (!free.IsEmpty)
                {
                    // A thread of an already split core first, so the emulator breaks no whole core.
                    int cpu = free.FirstOrDefault(c => !state.Host.CoreOf(c).IsSubsetOf(state.FreeCpus), free.First);
                    state.Take(CpuSet.Of(cpu));
                    why.Add($"emulator = isolate: its emulator threads get CPU {cpu} of node{nodes.First} to themselves.");
                    return CpuSet.Of(cpu);
                }

                why.Add("emulator = isolate, but no CPU is left on its node: emulator threads share its vCPU CPUs.");
                return cpus;
            case EmulatorPlacement.Reserved:
                // Nearest first: the reserved CPUs of its nodes, else of its sockets, else all of them.
                CpuSet local = CpuSet.Empty;
                foreach (int n in nodes)
                {
                    local |= state.Reserved & state.Host.Node(n)!.Cpus;
                }

                CpuSet socket = CpuSet.Empty;
                foreach (int package in cpus.Select(c => state.Host.Cpu(c)!.PackageId).Distinct())
                {
                    socket |= state.Reserved & state.PackageCpus(package);
                }

                CpuSet chosen = !local.IsEmpty ? local : !socket.IsEmpty ? socket : !state.Reserved.IsEmpty ? state.Reserved : cpus;
                why.Add(!local.IsEmpty
                    ? $"emulator threads on the reserved CPUs of its node{(nodes.Count == 1 ? "" : "s")}: {chosen}."
                    : !socket.IsEmpty
                        ? $"emulator threads on the reserved CPUs of its socket, {chosen} (none is on its node{(nodes.Count == 1 ? "" : "s")})."
                        : $"emulator threads on the reserved CPUs {Units.OrNone(chosen)} (none is on its node{(nodes.Count == 1 ? "" : "s")} or socket).");
                return chosen;
            default:
                why.Add("emulator = shared: emulator threads on the shared pool (on its own CPUs when no pool is left).");
                return cpus;
        }
    }
}
