using KvmConfig.Core.Specs;
using KvmConfig.Core.Topology;

namespace KvmConfig.Core.Planning;

/// <summary>
/// The fewest moves: when a VM finds no room around the kept ones, which kept VMs to move so that everything fits,
/// moving as few VMs as possible and, among equals, as few vCPUs.
/// </summary>
public static partial class HostPlanner
{
    /// <summary>
    /// How many sets of VMs to move the search for the fewest moves looks at before it gives up and repacks: every
    /// set of up to three of 80 movable VMs (82,160 triples) and more, each looked at in about a microsecond.
    /// </summary>
    public const int MostMoveSetsExamined = 250_000;

    /// <summary>
    /// How many of those sets are tried as whole plans (the only test that counts: the planner places the VMs that
    /// did not fit and the moved ones around the VMs that stay) before the search gives up and repacks.
    /// </summary>
    public const int MostMovePlansTried = 4096;

    // Every VM that keeps its place except `evicted` (in the order of the movable list); the first set whose plan
    // places everything wins. Sets are tried in order of size (VMs moved), then vCPUs moved together, then names
    // (ordinal, the set's members in the movable order: fewest vCPUs, then name). A set is tried as a plan only when
    // it passes counts every plan must meet: the VMs to place (those that did not fit and the moved ones) need no
    // more CPUs than are free once the moved VMs leave, and those that need whole cores (smt = isolate or require) no
    // more than the whole free cores then; and each VM that did not fit could be placed alone in what is then free,
    // node by node, in one node or split evenly as steps 4 and 6 would split it. The counts are what make the search
    // cheap: a set that cannot free a whole core where one is missing is never planned. Because every smaller set failed one of them or its plan, the set
    // found is the fewest moves the planner can make, unless a limit stopped the search first (the moves then say so).
    private static PlanResult FewestMoves(HostTopology host, Declaration declaration, Keeping keeping)
    {
        var held = new Dictionary<string, CpuSet>(StringComparer.Ordinal);
        (PlannerState state, Dictionary<string, VmPlacement> placements, _, _) = Start(host, declaration, keeping, held);
        List<VmSpec> dedicatedAutos = [.. declaration.Vms.Where(v => v.IsDedicated && v.Cpus is null)];
        List<VmSpec> movable = [.. dedicatedAutos
            .Where(v => held.ContainsKey(v.Name))
            .OrderBy(v => v.Vcpus)
            .ThenBy(v => v.Name, StringComparer.Ordinal)];
        List<VmSpec> toPlace = [.. dedicatedAutos.Where(v => !placements.ContainsKey(v.Name))];
        var counts = new MoveCounts(
            host,
            state.FreeCpus,
            toPlace.Sum(state.CpusNeeded),
            toPlace.Where(NeedsWholeCores).Sum(state.CpusNeeded),
            [.. movable.Select(v => held[v.Name])],
            [.. movable.Select(state.CpusNeeded)],
            [.. movable.Select(v => NeedsWholeCores(v) ? state.CpusNeeded(v) : 0)],
            [.. host.Nodes.Where(n => !n.Cpus.IsEmpty).Select(n => n.Cpus)],
            [.. toPlace.Select(v => new AloneNeed(v.Vcpus, NeedsWholeCores(v) ? state.Threads : 1))]);

        int examined = 0;
        int planned = 0;
        for (int size = 1; size <= movable.Count; size++)
        {
            List<int[]> passing = counts.SetsOfSize(size, MostMoveSetsExamined - examined, out int looked);
            examined += looked;
            foreach (int[] set in passing
                .OrderBy(s => s.Sum(i => movable[i].Vcpus))
                .ThenBy(s => s, new NamesInOrder(movable)))
            {
                if (planned++ == MostMovePlansTried)
                {
                    return Repack(size, $"the search for the fewest moves stopped after {MostMovePlansTried} plans");
                }

                PlanResult moved = Plan(host, declaration, keeping with { Evicted = [.. set.Select(i => movable[i].Name)] });
                if (moved.Ok)
                {
                    return moved;
                }
            }

            if (examined >= MostMoveSetsExamined)
            {
                return Repack(size, $"the search for the fewest moves stopped after {MostMoveSetsExamined} sets of VMs");
            }
        }

        return Repack(movable.Count + 1, null);

        PlanResult Repack(int size, string? stopped) => Plan(host, declaration, keeping with
        {
            Evicted = Everyone,
            RepackedBecause = $"{(size - 1) switch { 0 => "no move", 1 => "no move of one VM", int most => $"no move of up to {most} VMs" }} made room for {keeping.MadeRoomFor}{(stopped is null ? "" : $", and {stopped}")}",
        });
    }

    private static bool NeedsWholeCores(VmSpec vm) => vm.Smt is SmtPolicy.Isolate or SmtPolicy.Require;

    /// <summary>
    /// A VM that did not fit, as the counts see it: its vCPUs, and the CPUs of a core it must own alone (its threads
    /// per core under <c>smt = isolate</c> or <c>require</c>, else 1: any free CPU will do).
    /// </summary>
    private readonly record struct AloneNeed(int Vcpus, int CoreCpus)
    {
        // The CPUs a part of `vcpus` needs: whole cores' worth under isolate or require.
        public int Cpus(int vcpus) => (vcpus + CoreCpus - 1) / CoreCpus * CoreCpus;

        /// <summary>
        /// Whether the VM alone could be placed with <paramref name="room"/> CPUs (whole-core CPUs under isolate or
        /// require) free per node, as step 4 and 6 place it: in one node, or split evenly over k nodes, the larger parts
        /// on the nodes with the most room. <paramref name="room"/> is sorted here (descending).
        /// </summary>
        public bool FitsAlone(int[] room)
        {
            Array.Sort(room, static (a, b) => b.CompareTo(a));
            for (int k = 1; k <= Math.Min(room.Length, Vcpus); k++)
            {
                bool fits = true;
                for (int i = 0; i < k && fits; i++)
                {
                    fits = room[i] >= Cpus((Vcpus / k) + (i < Vcpus % k ? 1 : 0));
                }

                if (fits)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>
        /// Whether <paramref name="left"/> more VMs, each freeing at most <paramref name="most"/> CPUs per node, could
        /// give the VM room alone on top of <paramref name="room"/>: for some split over k nodes, the k nodes that
        /// need the fewest VMs to reach the smallest part need no more than <paramref name="left"/> together, and
        /// some node can reach the largest part. An optimistic count (a VM is counted once, on one node), so a set
        /// it rules out can never be completed into one that passes <see cref="FitsAlone(int[])"/>.
        /// </summary>
        public bool MayFitAlone(int[] room, int[] most, int left)
        {
            var shortBy = new int[room.Length];
            for (int k = 1; k <= Math.Min(room.Length, Vcpus); k++)
            {
                int largest = Cpus((Vcpus / k) + (Vcpus % k == 0 ? 0 : 1));
                int smallest = Cpus(Vcpus / k);
                bool largestReachable = false;
                for (int n = 0; n < room.Length; n++)
                {
                    shortBy[n] = VmsShort(room[n], most[n], smallest);
                    largestReachable |= VmsShort(room[n], most[n], largest) <= left;
                }

                Array.Sort(shortBy);
                long together = 0;
                for (int i = 0; i < k; i++)
                {
                    together += shortBy[i];
                }

                if (largestReachable && together <= left)
                {
                    return true;
                }
            }

            return false;
        }

        // How many VMs freeing `most` CPUs each a node with `room` needs to reach `part` (int.MaxValue / 4: never, and a sum of a few stays positive).
        private static int VmsShort(int room, int most, int part) =>
            room >= part ? 0 : most == 0 ? int.MaxValue / 4 : (part - room + most - 1) / most;
    }

    /// <summary>The counts a set of VMs to move must pass before its plan is tried (see <see cref="FewestMoves"/>).</summary>
    /// <param name="Host">The host, for its cores.</param>
    /// <param name="Free">CPUs free with every VM kept.</param>
    /// <param name="CpusToPlace">CPUs the VMs that did not fit need.</param>
    /// <param name="WholeToPlace">Of those, the CPUs that must be whole cores.</param>
    /// <param name="Held">Per movable VM, the CPUs it holds (vCPU CPUs, idle siblings, an isolated emulator CPU).</param>
    /// <param name="Needs">Per movable VM, the CPUs it needs when placed again.</param>
    /// <param name="WholeNeeds">Per movable VM, the CPUs it needs in whole cores when placed again (0 unless isolate or require).</param>
    /// <param name="NodeCpus">The CPUs of each node that has any.</param>
    /// <param name="Alone">The VMs that did not fit, each of which must fit alone in what the move frees.</param>
    private sealed record MoveCounts(HostTopology Host, CpuSet Free, int CpusToPlace, int WholeToPlace, CpuSet[] Held, int[] Needs, int[] WholeNeeds, CpuSet[] NodeCpus, AloneNeed[] Alone)
    {
        // Per node, the most CPUs (and whole-core CPUs: every CPU of the cores it touches) that any one movable VM from
        // index i on frees there: [i][node]. The walk's bound: each VM still to pick frees at most that, on one node.
        private int[][] MostFreedFrom => _mostFreedFrom ??= SuffixMost(i => Held[i]);

        private int[][] MostWholeFreedFrom => _mostWholeFreedFrom ??= SuffixMost(i => Host.CoresOf(Held[i]));

        // Whether every movable VM from index i on holds CPUs of one node only: MayFitAlone counts each VM on one
        // node, which a VM split over nodes is not (it frees CPUs on each); the looser bound is used then.
        private bool[] OneNodeEachFrom => _oneNodeEachFrom ??= OneNodeEach();

        private bool[]? _oneNodeEachFrom;
        private int[][]? _mostFreedFrom;
        private int[][]? _mostWholeFreedFrom;

        /// <summary>The sets of <paramref name="size"/> movable VMs (indices, ascending) that pass, looking at no more than <paramref name="most"/>.</summary>
        public List<int[]> SetsOfSize(int size, int most, out int looked)
        {
            var passing = new List<int[]>();
            var set = new int[size];
            var room = new int[NodeCpus.Length];
            int seen = 0;
            Walk(0, 0, Free, CpusToPlace, WholeToPlace);
            looked = seen;
            return passing;

            // Depth-first over ascending indices, the freed CPUs and the needs summed on the way down. A branch is left
            // when even the most the VMs still to pick could free leaves some VM that did not fit without room alone
            // (AloneNeed.MayFitAlone).
            void Walk(int depth, int from, CpuSet free, int cpus, int whole)
            {
                for (int i = from; i <= Held.Length - (size - depth) && seen < most; i++)
                {
                    set[depth] = i;
                    CpuSet freed = free | Held[i];
                    int left = size - depth - 1;
                    if (left > 0)
                    {
                        if (Passes(freed, 0, left, i + 1))
                        {
                            Walk(depth + 1, i + 1, freed, cpus + Needs[i], whole + WholeNeeds[i]);
                        }

                        continue;
                    }

                    seen++;
                    if (cpus + Needs[i] <= freed.Count && Passes(freed, whole + WholeNeeds[i], 0, 0))
                    {
                        passing.Add((int[])set.Clone());
                    }
                }
            }

            // Whole cores for all that need them together, then each VM that did not fit alone, node by node, with
            // `left` more VMs from index `next` on still to leave (their most, per node, added).
            bool Passes(CpuSet freed, int wholeNeeded, int left, int next)
            {
                CpuSet wholeCores = CpuPicker.WholeFreeCores(Host, freed);
                if (left == 0 && wholeNeeded > wholeCores.Count)
                {
                    return false;
                }

                foreach (AloneNeed vm in Alone)
                {
                    bool byCores = vm.CoreCpus > 1;
                    CpuSet usable = byCores ? wholeCores : freed;
                    for (int n = 0; n < NodeCpus.Length; n++)
                    {
                        room[n] = usable.CountIn(NodeCpus[n]);
                    }

                    int[]? most = left == 0 ? null : (byCores ? MostWholeFreedFrom : MostFreedFrom)[next];
                    bool fits = most is null ? vm.FitsAlone(room)
                        : OneNodeEachFrom[next] ? vm.MayFitAlone(room, most, left)
                        : vm.FitsAlone([.. room.Select((r, n) => r + (left * most[n]))]);
                    if (!fits)
                    {
                        return false;
                    }
                }

                return true;
            }
        }

        private bool[] OneNodeEach()
        {
            var each = new bool[Held.Length + 1];
            each[Held.Length] = true;
            for (int i = Held.Length - 1; i >= 0; i--)
            {
                each[i] = each[i + 1] && NodeCpus.Count(node => Held[i].Overlaps(node)) <= 1;
            }

            return each;
        }

        private int[][] SuffixMost(Func<int, CpuSet> freedBy)
        {
            var most = new int[Held.Length + 1][];
            most[Held.Length] = new int[NodeCpus.Length];
            for (int i = Held.Length - 1; i >= 0; i--)
            {
                CpuSet freed = freedBy(i);
                most[i] = [.. NodeCpus.Select((node, n) => Math.Max(most[i + 1][n], freed.CountIn(node)))];
            }

            return most;
        }
    }

    // Sets of movable VMs by their names in the movable order, ordinal, member by member.
    private sealed class NamesInOrder(List<VmSpec> movable) : IComparer<int[]>
    {
        public int Compare(int[]? x, int[]? y)
        {
            for (int i = 0; i < Math.Min(x!.Length, y!.Length); i++)
            {
                int byName = string.CompareOrdinal(movable[x[i]].Name, movable[y[i]].Name);
                if (byName != 0)
                {
                    return byName;
                }
            }

            return x.Length.CompareTo(y.Length);
        }
    }
}
