using Google.OrTools.Sat;
using KvmConfig.Core.Specs;

namespace KvmConfig.Cluster;

/// <summary>
/// The exact placement: the same assignment as a CP-SAT model (Google OR-Tools), warm-started from the heuristic,
/// solved within a time limit, and reported proven optimal only when the solver proves it and every node's own
/// planner then accepts its VMs.
/// </summary>
/// <remarks>
/// The model, per VM v and node h that may take it (its <c>host</c>, its <c>numa_nodes</c>, <c>max_vm_share</c>):
/// <list type="bullet">
/// <item>x[v,h] = 1 when v runs on h; every VM on exactly one node, or unplaced at a cost above any node count.</item>
/// <item>Per node, what the counters check: dedicated CPUs (whole cores' worth under isolate/require) and shared
/// vCPUs within <c>overcommit</c> of the usable CPUs; memory; huge pages; fewer VMs than CPUs; y[h] = 1 when h runs
/// anything.</item>
/// <item>Anti-affinity: at most one member of a group per node (per rack under <c>group_spread = rack</c>).</item>
/// <item>Objective: under <c>pack</c>, nodes used, then VMs moved away from where they run; under <c>spread</c>, the
/// highest load in per mille of any node's CPUs or memory, then moves.</item>
/// </list>
/// The NUMA nodes are not in the model: a VM that fits no NUMA node alone is split by the host planner, so the model
/// is a relaxation of what the planners accept, and its optimum a true bound. Identical nodes are ordered (the
/// first of them used first), which removes their symmetry without losing optima.
/// </remarks>
public static partial class ClusterPlanner
{
    /// <summary>Plans <paramref name="request"/> with CP-SAT within <paramref name="timeLimit"/>, warm-started from the heuristic.</summary>
    /// <remarks>
    /// The solver's assignment is taken through the node counters (largest VMs first by CPUs, and again by memory,
    /// the better kept) and each node's own planner, as the heuristic's is; the result is kept when it is no worse
    /// than the heuristic's (fewer VMs unplaced, then fewer nodes, then fewer moves), else the heuristic's plan is, with
    /// the solver's bound. Under <c>pack</c> the model's optimum (or, when time ran out, its best bound) is a lower
    /// bound on nodes, since the model relaxes what the planners accept: a plan that reaches it is proven optimal,
    /// whichever solver made it.
    /// </remarks>
    public static ClusterPlan PlanExact(ClusterRequest request, TimeSpan timeLimit, int workers = 2)
    {
        (NodeState[] nodes, VmDemand[] vms, Dictionary<string, int> runningOn) = Prepare(request);
        var warm = new HeuristicPlacer(nodes, vms, request.Policy);
        warm.PlaceAll(runningOn);
        int[] hint = [.. warm.NodeOf];
        ClusterPlan heuristic = Finish(request, nodes, vms, runningOn, warm, provenOptimal: false, solver: "heuristic (best fit)");

        // The model has a boolean per VM and node: past MostExactVariables it would take more memory and time than
        // the answer is worth, and the heuristic's plan stands, saying so.
        long variables = (long)vms.Length * nodes.Length;
        if (variables > MostExactVariables)
        {
            return heuristic with { Solver = $"heuristic (best fit); CP-SAT not run: {vms.Length} VMs x {nodes.Length} nodes is {variables:N0} assignment variables, more than {MostExactVariables:N0}" };
        }

        (NodeState[] blank, _, _) = Prepare(request);
        var model = new ExactModel(blank, vms, request.Policy, runningOn);
        ExactResult solved = model.Solve(hint, timeLimit, workers);
        if (solved.Assignment is not { } assignment)
        {
            return heuristic with { Solver = $"heuristic (best fit); CP-SAT {solved.Summary}" };
        }

        ClusterPlan? best = null;
        foreach (Func<VmDemand, long> largest in (Func<VmDemand, long>[])[v => v.CpusFor(v.Vcpus, 1), v => v.MemoryMiB])
        {
            (NodeState[] fresh, _, _) = Prepare(request);
            var placer = new HeuristicPlacer(fresh, vms, request.Policy);
            bool taken = true;
            foreach (VmDemand vm in vms.Where(v => assignment[v.Index] >= 0).OrderByDescending(largest).ThenBy(v => v.Index))
            {
                taken &= placer.TryPlace(vm, assignment[vm.Index]);
            }

            foreach (VmDemand vm in vms.Where(v => placer.NodeOf[v.Index] < 0))
            {
                placer.Place(vm);
            }

            ClusterPlan candidate = Finish(request, fresh, vms, runningOn, placer, provenOptimal: taken, solver: $"CP-SAT ({solved.Summary})");
            best = best is null || Better(candidate, best) ? candidate : best;
        }

        ClusterPlan chosen = Better(heuristic, best!) ? heuristic with { Solver = $"heuristic (best fit), which CP-SAT's assignment did not beat once the NUMA nodes were counted ({solved.Summary})" } : best!;
        if (request.Policy == PlacementPolicy.Spread)
        {
            return chosen with { ProvenOptimal = chosen.ProvenOptimal && chosen == best && solved.Status == CpSolverStatus.Optimal };
        }

        // The model's bound, in nodes, holds for every plan; with --ha N, N spares come on top.
        int modelBound = solved.NodesBound + request.Ha;
        LowerBound bound = modelBound > chosen.Bound.Nodes
            ? new LowerBound(modelBound, $"CP-SAT: no assignment of the VMs to fewer nodes fits their CPUs, memory and rules{(request.Ha > 0 ? $", plus {request.Ha} for --ha {request.Ha}" : "")}")
            : chosen.Bound;
        return chosen with
        {
            Bound = bound,
            ProvenOptimal = chosen.Unplaced.Count == 0 && chosen.Problems.Count == 0 && chosen.NodesUsed == bound.Nodes,
        };
    }

    /// <summary>The largest model <see cref="PlanExact"/> builds: VMs times nodes (one boolean each).</summary>
    public const long MostExactVariables = 400_000;

    // Fewer VMs unplaced, then fewer nodes, then fewer moves.
    private static bool Better(ClusterPlan a, ClusterPlan b) =>
        (a.Unplaced.Count, a.NodesUsed, a.Moves.Count).CompareTo((b.Unplaced.Count, b.NodesUsed, b.Moves.Count)) < 0;

    /// <summary>The solver's answer: a node per VM (-1: unplaced), its status, and under pack the fewest nodes it proved necessary.</summary>
    private sealed record ExactResult(int[]? Assignment, CpSolverStatus Status, int NodesBound, string Summary);

    private sealed class ExactModel(NodeState[] nodes, VmDemand[] vms, PlacementPolicy policy, Dictionary<string, int> runningOn)
    {
        private readonly CpModel _model = new();
        private readonly Dictionary<(int Vm, int Node), BoolVar> _x = [];
        private readonly BoolVar[] _used = new BoolVar[nodes.Length];
        private readonly BoolVar[] _unplaced = new BoolVar[vms.Length];

        public ExactResult Solve(int[] hint, TimeSpan limit, int workers)
        {
            Build();
            foreach (((int v, int h), BoolVar x) in _x)
            {
                _model.AddHint(x, hint[v] == h ? 1 : 0);
            }

            var solver = new CpSolver
            {
                StringParameters = FormattableString.Invariant($"max_time_in_seconds:{Math.Max(0.1, limit.TotalSeconds)} num_workers:{Math.Max(1, workers)}"),
            };
            CpSolverStatus status = solver.Solve(_model);
            string summary = FormattableString.Invariant($"{status.ToString().ToLowerInvariant()} in {solver.WallTime():0.###} s");

            // Pack: the objective is NodeWeight per node used minus 1 per VM kept where it runs (never NodeWeight in
            // all), plus the cost of unplaced VMs: with none unplaced, nodes x NodeWeight >= objective >= its bound.
            int nodesBound = policy == PlacementPolicy.Pack && status is CpSolverStatus.Optimal or CpSolverStatus.Feasible && solver.BestObjectiveBound < UnplacedCost
                ? (int)Math.Ceiling((solver.BestObjectiveBound / NodeWeight) - 1e-9)
                : 0;
            if (status is not (CpSolverStatus.Optimal or CpSolverStatus.Feasible))
            {
                return new ExactResult(null, status, 0, summary);
            }

            int[] assignment = [.. vms.Select(_ => -1)];
            foreach (((int v, int h), BoolVar x) in _x)
            {
                if (solver.BooleanValue(x))
                {
                    assignment[v] = h;
                }
            }

            return new ExactResult(assignment, status, Math.Max(0, nodesBound), summary);
        }

        private long NodeWeight => (vms.Length + 1L) * 10;

        private long UnplacedCost => (nodes.Length + 1L) * NodeWeight * 10;

        private void Build()
        {
            for (int h = 0; h < nodes.Length; h++)
            {
                _used[h] = _model.NewBoolVar($"used{h}");
            }

            foreach (VmDemand vm in vms)
            {
                _unplaced[vm.Index] = _model.NewBoolVar($"unplaced{vm.Index}");
                List<ILiteral> choices = [_unplaced[vm.Index]];
                for (int h = 0; h < nodes.Length; h++)
                {
                    if (MayTake(nodes[h], vm))
                    {
                        BoolVar x = _model.NewBoolVar($"x{vm.Index}_{h}");
                        _x[(vm.Index, h)] = x;
                        _model.AddImplication(x, _used[h]);
                        choices.Add(x);
                    }
                }

                _model.AddExactlyOne(choices);
            }

            for (int h = 0; h < nodes.Length; h++)
            {
                Capacity(h);
            }

            AntiAffinity();
            Symmetry();
            Objective();
        }

        // Static rules: host, numa_nodes present on the node, max_vm_share.
        private static bool MayTake(NodeState node, VmDemand vm) =>
            (vm.Spec.Host is null || vm.Spec.Host == node.Node.Name)
            && (vm.NumaNodes is not { IsEmpty: false } numa || numa.Any(id => node.Node.Host.Node(id) is not null))
            && vm.Spec.CpuDemand <= node.MostCpusPerVm;

        private void Capacity(int h)
        {
            NodeState node = nodes[h];
            List<(int Vm, BoolVar X)> here = [.. _x.Where(p => p.Key.Node == h).Select(p => (p.Key.Vm, p.Value))];
            Ratio overcommit = node.Node.Policy.Overcommit;

            // CPUs: Left x shared vCPUs + Right x dedicated CPUs <= Right x usable CPUs (overcommit Left:Right).
            _model.Add(LinearExpr.WeightedSum(
                here.Select(p => p.X),
                here.Select(p => vms[p.Vm].Dedicated ? (long)overcommit.Right * vms[p.Vm].CpusFor(vms[p.Vm].Vcpus, node.Threads) : (long)overcommit.Left * vms[p.Vm].Vcpus))
                <= (long)overcommit.Right * node.UsableCpus);
            _model.Add(LinearExpr.WeightedSum(here.Select(p => p.X), here.Select(p => vms[p.Vm].HugePageKiB == 0 ? vms[p.Vm].MemoryMiB : 0)) <= node.MemoryMiBTotal);
            foreach (IGrouping<long, (int Vm, BoolVar X)> size in here.Where(p => vms[p.Vm].HugePageKiB > 0).GroupBy(p => vms[p.Vm].HugePageKiB))
            {
                _model.Add(LinearExpr.WeightedSum(size.Select(p => p.X), size.Select(p => vms[p.Vm].PagesFor(vms[p.Vm].MemoryMiB))) <= node.FreeHugePages(size.Key));
            }

            _model.Add(LinearExpr.Sum(here.Select(p => p.X)) <= Math.Max(0, node.OnlineCpus - 1));
        }

        private void AntiAffinity()
        {
            foreach (IGrouping<string, VmDemand> group in vms.Where(v => v.Spec.Group is not null).GroupBy(v => v.Spec.Group!, StringComparer.Ordinal))
            {
                bool byRack = group.Any(v => v.Spec.GroupSpread == GroupSpread.Rack);
                foreach (IGrouping<string, int> domain in Enumerable.Range(0, nodes.Length).GroupBy(h => byRack ? nodes[h].Node.FailureDomain : nodes[h].Node.Name, StringComparer.Ordinal))
                {
                    List<BoolVar> members = [.. group.SelectMany(v => domain.Where(h => _x.ContainsKey((v.Index, h))).Select(h => _x[(v.Index, h)]))];
                    if (members.Count > 1)
                    {
                        _model.AddAtMostOne(members);
                    }
                }
            }
        }

        // Identical nodes (same shape and policy, nothing running, no VM naming them): the earlier one is used first.
        private void Symmetry()
        {
            HashSet<string> named = [.. vms.Where(v => v.Spec.Host is not null).Select(v => v.Spec.Host!)];
            HashSet<int> holding = [.. runningOn.Values];
            foreach (IGrouping<string, int> same in Enumerable.Range(0, nodes.Length)
                .Where(h => !named.Contains(nodes[h].Node.Name) && !holding.Contains(h) && nodes[h].Node.Rack is null)
                .GroupBy(h => nodes[h].Signature, StringComparer.Ordinal))
            {
                int[] order = [.. same];
                for (int i = 1; i < order.Length; i++)
                {
                    _model.AddImplication(_used[order[i]], _used[order[i - 1]]);
                }
            }
        }

        private void Objective()
        {
            // Moves: a VM that runs on a node and is placed elsewhere (or nowhere).
            List<(BoolVar X, long Weight)> stays = [.. vms
                .Where(v => runningOn.TryGetValue(v.Name, out int h) && _x.ContainsKey((v.Index, h)))
                .Select(v => (_x[(v.Index, runningOn[v.Name])], 1L))];
            LinearExpr unplaced = LinearExpr.WeightedSum(_unplaced, _unplaced.Select(_ => UnplacedCost));
            LinearExpr moved = LinearExpr.WeightedSum(stays.Select(s => s.X), stays.Select(s => -s.Weight));
            if (policy == PlacementPolicy.Pack)
            {
                _model.Minimize(unplaced + LinearExpr.WeightedSum(_used, _used.Select(_ => NodeWeight)) + moved);
                return;
            }

            IntVar peak = _model.NewIntVar(0, 1000, "peak");
            for (int h = 0; h < nodes.Length; h++)
            {
                NodeState node = nodes[h];
                List<(int Vm, BoolVar X)> here = [.. _x.Where(p => p.Key.Node == h).Select(p => (p.Key.Vm, p.Value))];
                Ratio overcommit = node.Node.Policy.Overcommit;
                _model.Add(LinearExpr.WeightedSum(
                    here.Select(p => p.X),
                    here.Select(p => 1000L * (vms[p.Vm].Dedicated ? (long)overcommit.Right * vms[p.Vm].CpusFor(vms[p.Vm].Vcpus, node.Threads) : (long)overcommit.Left * vms[p.Vm].Vcpus)))
                    <= peak * Math.Max(1L, (long)overcommit.Right * node.UsableCpus));
                _model.Add(LinearExpr.WeightedSum(here.Select(p => p.X), here.Select(p => 1000L * vms[p.Vm].MemoryMiB)) <= peak * Math.Max(1, node.MemoryMiBTotal));
            }

            _model.Minimize(unplaced + (peak * NodeWeight) + moved);
        }
    }
}
