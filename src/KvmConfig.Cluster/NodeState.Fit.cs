namespace KvmConfig.Cluster;

/// <summary>Whether a VM fits a node, and taking what it needs.</summary>
internal sealed partial class NodeState
{
    /// <summary>Where on the node a VM would go: its NUMA node slots, the vCPUs on each, and the memory on each.</summary>
    /// <param name="Slots">Indices into the node's CPU nodes; empty for a shared-pool VM.</param>
    /// <param name="Vcpus">vCPUs per slot.</param>
    public readonly record struct Fit(int[] Slots, int[] Vcpus);

    /// <summary>
    /// Where <paramref name="vm"/> would go on this node, or null with the rule that refuses it (in
    /// <paramref name="refusal"/>): the node-wide rules first (<c>max_vm_share</c>, more CPUs than VMs, memory, the
    /// shared pool's overcommit), then the NUMA nodes: the one that fits tightest alone, else an even split over the
    /// fewest (the larger parts on the nodes with the most room).
    /// </summary>
    public Fit? TryFit(VmDemand vm, out Refusal refusal)
    {
        refusal = default;
        int threads = Threads;
        int need = vm.CpusFor(vm.Vcpus, threads);
        if (vm.Spec.CpuDemand > MostCpusPerVm)
        {
            refusal = new Refusal("max_vm_share", $"{vm.Spec.CpuDemand} CPUs, more than max_vm_share allows ({MostCpusPerVm} of {OnlineCpus})");
            return null;
        }

        if (VmCount + 1 >= OnlineCpus)
        {
            refusal = new Refusal("vm-count", $"{VmCount + 1} VMs on {OnlineCpus} CPUs: more physical CPUs than VMs");
            return null;
        }

        if (vm.HugePageKiB == 0 && MemoryMiBUsed + vm.MemoryMiB > MemoryMiBTotal)
        {
            refusal = new Refusal("memory", $"{Units(MemoryMiBTotal - MemoryMiBUsed)} of memory free, {Units(vm.MemoryMiB)} needed");
            return null;
        }

        if (!vm.Dedicated)
        {
            int pool = UsableCpus - DedicatedCpus;
            if (SharedVcpus + vm.Vcpus > pool * VcpusPerPoolCpu)
            {
                refusal = new Refusal("overcommit", $"the shared pool of {pool} CPUs holds {SharedVcpus} vCPUs; {vm.Vcpus} more exceed overcommit");
                return null;
            }

            return new Fit([], []);
        }

        // The pool must keep room for the shared VMs already here.
        if (PoolCpusNeeded(SharedVcpus) > UsableCpus - DedicatedCpus - need)
        {
            refusal = new Refusal("cpus", $"{FreeCpus} CPUs free, {need} dedicated needed");
            return null;
        }

        return Single(vm, need) ?? Split(vm, ref refusal, need);
    }

    // The NUMA node that fits tightest alone: fewest free CPUs left after the VM, then slot order.
    private Fit? Single(VmDemand vm, int need)
    {
        int best = -1;
        int bestLeft = int.MaxValue;
        for (int s = 0; s < _numaIds.Length; s++)
        {
            int room = vm.WholeCores ? _whole[s] : _whole[s] + _split[s];
            if (room < need || !Allowed(vm, s) || !MemoryFits(vm, s, vm.MemoryMiB))
            {
                continue;
            }

            int left = _whole[s] + _split[s] - need;
            if (left < bestLeft)
            {
                (best, bestLeft) = (s, left);
            }
        }

        return best < 0 ? null : new Fit([best], [vm.Vcpus]);
    }

    // An even split over the fewest NUMA nodes, the larger parts on the nodes with the most room.
    private Fit? Split(VmDemand vm, ref Refusal refusal, int need)
    {
        int[] order = [.. Enumerable.Range(0, _numaIds.Length)
            .Where(s => Allowed(vm, s))
            .OrderByDescending(s => vm.WholeCores ? _whole[s] : _whole[s] + _split[s])
            .ThenBy(s => s)];
        for (int k = 2; k <= Math.Min(order.Length, vm.Vcpus); k++)
        {
            var vcpus = new int[k];
            bool fits = true;
            for (int i = 0; i < k && fits; i++)
            {
                int s = order[i];
                vcpus[i] = (vm.Vcpus / k) + (i < vm.Vcpus % k ? 1 : 0);
                int room = vm.WholeCores ? _whole[s] : _whole[s] + _split[s];
                fits = room >= vm.CpusFor(vcpus[i], Threads) && MemoryFits(vm, s, vm.MemoryMiB * vcpus[i] / vm.Vcpus);
            }

            if (fits)
            {
                return new Fit(order[..k], vcpus);
            }
        }

        int most = order.Length == 0 ? 0 : order.Max(s => vm.WholeCores ? _whole[s] : _whole[s] + _split[s]);
        refusal = new Refusal(
            vm.WholeCores ? "whole-cores" : "cpus",
            $"{need} {(vm.WholeCores ? "whole-core " : "")}CPUs needed, at most {most} free on one NUMA node and no even split fits{(vm.BindsMemory || vm.HugePageKiB > 0 ? " with its memory" : "")}");
        return null;
    }

    /// <summary>
    /// A quick necessary condition for <see cref="TryFit"/> on this node with <paramref name="without"/> taken off
    /// first: the node-wide CPUs, shared-pool vCPUs, memory and VM count, no NUMA node. False means the node refuses.
    /// </summary>
    public bool MightTake(VmDemand vm, VmDemand? without)
    {
        int dedicated = DedicatedCpus - (without is { Dedicated: true } u ? u.CpusFor(u.Vcpus, Threads) : 0);
        int shared = SharedVcpus - (without is { Dedicated: false } v ? v.Vcpus : 0);
        long memory = MemoryMiBUsed - (without is { HugePageKiB: 0 } w ? w.MemoryMiB : 0) + (vm.HugePageKiB == 0 ? vm.MemoryMiB : 0);
        int count = VmCount - (without is null ? 0 : 1) + 1;
        int cpus = dedicated + (vm.Dedicated ? vm.CpusFor(vm.Vcpus, Threads) : 0);
        int vcpus = shared + (vm.Dedicated ? 0 : vm.Vcpus);
        return count < OnlineCpus && memory <= MemoryMiBTotal && cpus + PoolCpusNeeded(vcpus) <= UsableCpus;
    }

    /// <summary>
    /// An upper bound on the vCPUs of one more dedicated VM, from the CPUs of the NUMA nodes alone (no memory, no
    /// <c>numa_nodes</c>, no whole cores): the most free on one NUMA node, or the most an even split over the k
    /// roomiest can hold, as <see cref="Split"/> makes it (parts of q or q + 1 vCPUs, the larger on the roomier).
    /// </summary>
    public int LargestDedicatedVcpus
    {
        get
        {
            int count = _numaIds.Length;
            if (count == 0)
            {
                return 0;
            }

            Span<int> rooms = count <= 64 ? stackalloc int[count] : new int[count];
            for (int s = 0; s < count; s++)
            {
                rooms[s] = _whole[s] + _split[s];
            }

            rooms.Sort((a, b) => b.CompareTo(a));
            int best = rooms[0];
            for (int k = 2; k <= count; k++)
            {
                // Every part at least the k-th largest room q; one more vCPU on each of the rooms larger than q.
                int q = rooms[k - 1];
                int larger = 0;
                for (int i = 0; i < k; i++)
                {
                    larger += rooms[i] > q ? 1 : 0;
                }

                best = Math.Max(best, (k * q) + Math.Min(k - 1, larger));
            }

            return best;
        }
    }

    private bool Allowed(VmDemand vm, int slot) => vm.NumaNodes is not { IsEmpty: false } nodes || nodes.Contains(_numaIds[slot]);

    private bool MemoryFits(VmDemand vm, int slot, long mib) =>
        vm.HugePageKiB > 0 ? _pages.GetValueOrDefault((_numaIds[slot], vm.HugePageKiB)) >= vm.PagesFor(mib)
        : !vm.BindsMemory || _memory[slot] >= mib;

    /// <summary>Takes what <paramref name="fit"/> says <paramref name="vm"/> needs.</summary>
    public void Commit(VmDemand vm, Fit fit)
    {
        VmCount++;
        MemoryMiBUsed += vm.HugePageKiB == 0 ? vm.MemoryMiB : 0;
        if (vm.Spec.Group is { } group)
        {
            _groups[group] = _groups.GetValueOrDefault(group) + 1;
        }

        if (!vm.Dedicated)
        {
            SharedVcpus += vm.Vcpus;
            return;
        }

        for (int i = 0; i < fit.Slots.Length; i++)
        {
            int s = fit.Slots[i];
            int cpus = vm.CpusFor(fit.Vcpus[i], Threads);
            DedicatedCpus += cpus;
            Take(s, cpus, vm.WholeCores);
            long mib = vm.MemoryMiB * fit.Vcpus[i] / vm.Vcpus;
            if (vm.HugePageKiB > 0)
            {
                _pages[(_numaIds[s], vm.HugePageKiB)] -= vm.PagesFor(mib);
            }
            else if (vm.BindsMemory)
            {
                _memory[s] -= mib;
            }
        }
    }

    // As the host planner picks on one node: whole cores first (all of them under isolate/require); the rest from
    // threads of broken cores, then by breaking whole cores.
    private void Take(int s, int cpus, bool wholeOnly)
    {
        int cores = wholeOnly ? cpus / Threads : Math.Min(cpus / Threads, _whole[s] / Threads);
        int rest = cpus - (cores * Threads);
        int fromSplit = Math.Min(rest, _split[s]);
        int broken = (rest - fromSplit + Threads - 1) / Threads;
        _whole[s] -= (cores + broken) * Threads;
        _split[s] += (broken * Threads) - (rest - fromSplit) - fromSplit;
    }

    private static string Units(long mib) => Core.Units.MiB(mib);
}

/// <summary>Why a node refuses a VM: the rule, and what the node has against what the VM needs.</summary>
/// <param name="Rule">The rule (<c>cpus</c>, <c>whole-cores</c>, <c>memory</c>, <c>overcommit</c>, <c>max_vm_share</c>, <c>vm-count</c>, <c>group</c>, <c>host</c>).</param>
/// <param name="Detail">The node's figures against the VM's.</param>
internal readonly record struct Refusal(string Rule, string Detail);
