namespace KvmConfig.Cluster;

/// <summary>
/// The nodes in use, in the placement's order (key, then inventory order), as a treap whose subtrees carry the most
/// room any of their nodes has: free memory, shared-pool vCPUs, the largest dedicated VM (in vCPUs) its NUMA nodes
/// could hold, and VMs more. A VM is offered only the nodes that might take it: a subtree where no node has enough of
/// some room is skipped whole, so that full nodes at the front of the order cost nothing, where a sorted set's view
/// walked (and counted) every one of them for each VM.
/// </summary>
/// <remarks>
/// A node's counters may also refuse a VM for a reason the rooms do not see (its memory spread over NUMA nodes so that
/// none holds the VM's share): the node then remembers that dedicated VMs with memory bound to their NUMA nodes and at
/// least that many vCPUs and that much memory per vCPU do not fit it (each part of such a VM, alone or split, needs at
/// least as many CPUs and as much memory on a NUMA node), until its counters change. Without that, VMs placed
/// largest-first met the same 64 full nodes again and again, and each opened a node of its own.
/// The rooms are upper bounds (<see cref="NodeState.LargestDedicatedVcpus"/> ignores memory and <c>numa_nodes</c>, the
/// memory is the node's, not a NUMA node's): a node they let through may still refuse the VM, one they skip always
/// would. So the nodes offered are exactly those of the order that could take the VM, in that order.
/// </remarks>
internal sealed class NodeIndex
{
    private readonly long[] _key;
    private readonly int[] _priority;
    private readonly int[] _left;
    private readonly int[] _right;
    private readonly bool[] _in;

    // Per node its own room, and per subtree root the most of its subtree.
    private readonly long[] _memory;
    private readonly long[] _mostMemory;
    private readonly double[] _pool;
    private readonly double[] _mostPool;
    private readonly int[] _dedicated;
    private readonly int[] _mostDedicated;
    private readonly int[] _vms;
    private readonly int[] _mostVms;
    private readonly int[] _refusedVcpus;
    private readonly int[] _mostRefusedVcpus;
    private readonly double[] _refusedDensity;
    private readonly double[] _mostRefusedDensity;
    private int _root = -1;
    private int _budget;

    public NodeIndex(int count)
    {
        _key = new long[count];
        _left = new int[count];
        _right = new int[count];
        _in = new bool[count];
        _memory = new long[count];
        _mostMemory = new long[count];
        _pool = new double[count];
        _mostPool = new double[count];
        _dedicated = new int[count];
        _mostDedicated = new int[count];
        _vms = new int[count];
        _mostVms = new int[count];
        _refusedVcpus = new int[count];
        _mostRefusedVcpus = new int[count];
        _refusedDensity = new double[count];
        _mostRefusedDensity = new double[count];

        // Fixed priorities: the same cluster always gives the same tree.
        var random = new Random(count);
        _priority = [.. Enumerable.Range(0, count).Select(_ => random.Next())];
    }

    /// <summary>Puts node <paramref name="n"/> in the order at <paramref name="key"/>, with the room <paramref name="node"/> has now.</summary>
    public void Set(int n, long key, NodeState node)
    {
        Remove(n);
        _key[n] = key;
        _memory[n] = node.MemoryMiBTotal - node.MemoryMiBUsed;
        _pool[n] = ((node.UsableCpus - node.DedicatedCpus) * node.VcpusPerPoolCpu) - node.SharedVcpus;
        _dedicated[n] = Math.Min(node.FreeCpus, node.LargestDedicatedVcpus);
        _vms[n] = node.OnlineCpus - 2 - node.VmCount;
        _refusedVcpus[n] = int.MaxValue;
        _refusedDensity[n] = double.MaxValue;
        Insert(n);
    }

    /// <summary>Node <paramref name="n"/>'s counters refused <paramref name="vm"/>: VMs of its shape and larger are not offered it again until it changes.</summary>
    public void Refused(int n, VmDemand vm)
    {
        if (!Remembered(vm) || !_in[n] || (vm.Vcpus > _refusedVcpus[n] && Density(vm) > _refusedDensity[n]))
        {
            return;
        }

        // One shape per node: the new one when it is no larger in either measure, else the one kept.
        if (vm.Vcpus <= _refusedVcpus[n] && Density(vm) <= _refusedDensity[n])
        {
            Remove(n);
            (_refusedVcpus[n], _refusedDensity[n]) = (vm.Vcpus, Density(vm));
            Insert(n);
        }
    }

    /// <summary>
    /// The first node at or after <paramref name="from"/> in the order that <paramref name="takes"/> the VM, asking at
    /// most <paramref name="most"/> of the nodes its rooms let through; -1 when none does.
    /// </summary>
    public int First(long from, VmDemand vm, Func<int, bool> takes, int most)
    {
        _budget = most;
        return Visit(_root, from, vm, takes);
    }

    private int Visit(int t, long from, VmDemand vm, Func<int, bool> takes)
    {
        while (t >= 0 && _budget > 0 && MayTake(t, vm, subtree: true))
        {
            if (_key[t] < from)
            {
                // Everything on the left is before `from` too.
                t = _right[t];
                continue;
            }

            int found = Visit(_left[t], from, vm, takes);
            if (found >= 0)
            {
                return found;
            }

            if (_budget > 0 && MayTake(t, vm, subtree: false))
            {
                _budget--;
                if (takes(t))
                {
                    return t;
                }
            }

            t = _right[t];
        }

        return -1;
    }

    // The shapes a refusal speaks for: dedicated, memory bound to the NUMA nodes of its CPUs, any NUMA node allowed,
    // threads as well as whole cores. Larger in vCPUs and memory per vCPU means larger on every NUMA node it uses.
    private static bool Remembered(VmDemand vm) => vm.Dedicated && vm.BindsMemory && !vm.WholeCores && vm.NumaNodes is not { IsEmpty: false } && vm.Vcpus > 0;

    private static double Density(VmDemand vm) => (double)vm.MemoryMiB / vm.Vcpus;

    private bool MayTake(int t, VmDemand vm, bool subtree) =>
        !(Remembered(vm) && vm.Vcpus >= (subtree ? _mostRefusedVcpus[t] : _refusedVcpus[t]) && Density(vm) >= (subtree ? _mostRefusedDensity[t] : _refusedDensity[t]))
        && (subtree ? _mostVms[t] : _vms[t]) >= 0
        && (vm.HugePageKiB > 0 || (subtree ? _mostMemory[t] : _memory[t]) >= vm.MemoryMiB)
        && (vm.Dedicated
            ? (subtree ? _mostDedicated[t] : _dedicated[t]) >= vm.Vcpus
            : (subtree ? _mostPool[t] : _pool[t]) >= vm.Vcpus - 1e-6);

    /// <summary>Takes node <paramref name="n"/> out of the order (a node emptied).</summary>
    public void Remove(int n)
    {
        if (_in[n])
        {
            (int below, int rest) = Split(_root, _key[n], n);
            (_, int above) = Split(rest, _key[n], n + 1);
            _root = Merge(below, above);
            _in[n] = false;
        }
    }

    private void Insert(int n)
    {
        _left[n] = _right[n] = -1;
        Pull(n);
        _in[n] = true;
        (int lower, int upper) = Split(_root, _key[n], n);
        _root = Merge(Merge(lower, n), upper);
    }

    // (key, node) order: the placement's keys, then inventory order.
    private bool Before(int t, long key, int n) => _key[t] < key || (_key[t] == key && t < n);

    // The subtree of t split into the nodes before (key, n) and those at or after it.
    private (int Before, int After) Split(int t, long key, int n)
    {
        if (t < 0)
        {
            return (-1, -1);
        }

        if (Before(t, key, n))
        {
            (int l, int r) = Split(_right[t], key, n);
            _right[t] = l;
            Pull(t);
            return (t, r);
        }
        else
        {
            (int l, int r) = Split(_left[t], key, n);
            _left[t] = r;
            Pull(t);
            return (l, t);
        }
    }

    // Two subtrees, every node of a before every node of b, joined.
    private int Merge(int a, int b)
    {
        if (a < 0 || b < 0)
        {
            return a < 0 ? b : a;
        }

        if (_priority[a] > _priority[b])
        {
            _right[a] = Merge(_right[a], b);
            Pull(a);
            return a;
        }

        _left[b] = Merge(a, _left[b]);
        Pull(b);
        return b;
    }

    private void Pull(int t)
    {
        _mostMemory[t] = _memory[t];
        _mostPool[t] = _pool[t];
        _mostDedicated[t] = _dedicated[t];
        _mostVms[t] = _vms[t];
        _mostRefusedVcpus[t] = _refusedVcpus[t];
        _mostRefusedDensity[t] = _refusedDensity[t];
        foreach (int c in (ReadOnlySpan<int>)[_left[t], _right[t]])
        {
            if (c >= 0)
            {
                _mostMemory[t] = Math.Max(_mostMemory[t], _mostMemory[c]);
                _mostPool[t] = Math.Max(_mostPool[t], _mostPool[c]);
                _mostDedicated[t] = Math.Max(_mostDedicated[t], _mostDedicated[c]);
                _mostVms[t] = Math.Max(_mostVms[t], _mostVms[c]);
                _mostRefusedVcpus[t] = Math.Max(_mostRefusedVcpus[t], _mostRefusedVcpus[c]);
                _mostRefusedDensity[t] = Math.Max(_mostRefusedDensity[t], _mostRefusedDensity[c]);
            }
        }
    }
}
