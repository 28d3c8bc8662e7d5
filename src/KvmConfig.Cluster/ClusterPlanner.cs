using KvmConfig.Core.Diagnostics;
using KvmConfig.Core.Planning;
using KvmConfig.Core.Specs;
using KvmConfig.Core.Validation;

namespace KvmConfig.Cluster;

/// <summary>
/// Places every declared VM on a node of the cluster so that the node's own host planner can place it, and pins
/// each node with that planner. Pure: nodes (topologies, policies, what runs where) and a declaration in, a plan out.
/// </summary>
/// <remarks>
/// <list type="number">
/// <item>A solver assigns VMs to nodes from node counters (<see cref="HeuristicPlacer"/>, or CP-SAT with
/// <c>PlanExact</c>).</item>
/// <item>Each node that runs VMs is checked and planned as <c>check</c> and <c>plan</c> would on it: the rules of its
/// host, then the host planner, keeping VMs where they run. A VM the node refuses leaves it for good and is placed
/// again elsewhere (the counters are close to the planner, not equal: a remainder split over L3 groups, say), until
/// every node plans cleanly. Under <c>pack</c>, nodes are then emptied again as the heuristic empties them (moving VMs
/// between the nodes in use), each emptying kept only when the planners of every node it changed accept it; a VM a
/// planner refuses there is kept off that node and the emptying is tried again.</item>
/// <item>With <c>--ha N</c>, N unused nodes at least as large as the largest node in use are held empty: the VMs of
/// any N failed nodes move to them whole. When there are not enough, the plan says so.</item>
/// <item>The lower bound (<see cref="LowerBounds"/>) and the gap to it; VMs planned away from where they run, and
/// why; VMs no node takes, and why, node by node.</item>
/// </list>
/// </remarks>
public static partial class ClusterPlanner
{
    /// <summary>Plans <paramref name="request"/> with the fast heuristic.</summary>
    public static ClusterPlan Plan(ClusterRequest request)
    {
        (NodeState[] nodes, VmDemand[] vms, Dictionary<string, int> runningOn) = Prepare(request);
        var placer = new HeuristicPlacer(nodes, vms, request.Policy);
        placer.PlaceAll(runningOn);
        return Finish(request, nodes, vms, runningOn, placer, provenOptimal: false, solver: "heuristic (best fit)");
    }

    /// <summary>
    /// Step 1 alone, the heuristic's decisions without any node's pinning: which node each VM goes to (by declaration
    /// index, -1 for none), the nodes used and the lower bound. What the cluster benchmark times, and what a scheduler
    /// asking "where would this go" needs.
    /// </summary>
    public static ClusterAssignment Assign(ClusterRequest request)
    {
        (NodeState[] nodes, VmDemand[] vms, Dictionary<string, int> runningOn) = Prepare(request);
        var placer = new HeuristicPlacer(nodes, vms, request.Policy);
        placer.PlaceAll(runningOn);
        return new ClusterAssignment(placer.NodeOf, nodes.Count(n => n.VmCount > 0), LowerBounds.Of(nodes, vms, request.Ha));
    }

    private static (NodeState[] Nodes, VmDemand[] Vms, Dictionary<string, int> RunningOn) Prepare(ClusterRequest request)
    {
        NodeState[] nodes = [.. request.Nodes.Select((n, i) => new NodeState(n, i))];
        VmDemand[] vms = [.. request.Declaration.Vms.Select((v, i) => new VmDemand(v, i))];
        var runningOn = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int n = 0; n < nodes.Length; n++)
        {
            foreach (string vm in request.Nodes[n].Running.Keys)
            {
                runningOn.TryAdd(vm, n);
            }
        }

        return (nodes, vms, runningOn);
    }

    // Steps 2 to 4, after a solver has filled placer.NodeOf.
    private static ClusterPlan Finish(ClusterRequest request, NodeState[] nodes, VmDemand[] vms, Dictionary<string, int> runningOn, HeuristicPlacer placer, bool provenOptimal, string solver)
    {
        var refusedBy = new Dictionary<(int Vm, int Node), string>();
        Plan?[] plans = PlanNodes(request, nodes, vms, placer, refusedBy, ref provenOptimal);
        if (request.Policy == PlacementPolicy.Pack)
        {
            EmptyPlannedNodes(request, nodes, vms, runningOn, placer, plans);
        }

        LowerBound bound = LowerBounds.Of(nodes, vms, request.Ha);
        HashSet<int> spares = Spares(request, nodes, vms, placer, out string? haProblem);
        List<VmDemand>[] byNode = ByNode(nodes.Length, vms, placer);
        var assignments = new List<NodeAssignment>(nodes.Length);
        for (int n = 0; n < nodes.Length; n++)
        {
            assignments.Add(new NodeAssignment(request.Nodes[n], [.. byNode[n].Select(v => v.Spec)], nodes[n].Usage, plans[n], spares.Contains(n)));
        }

        List<Unplaced> unplaced = [.. vms.Where(v => placer.NodeOf[v.Index] < 0).Select(v => WhyUnplaced(request, nodes, placer, refusedBy, v))];
        List<ClusterMove> moves = [.. vms
            .Where(v => runningOn.ContainsKey(v.Name) && placer.NodeOf[v.Index] >= 0 && placer.NodeOf[v.Index] != runningOn[v.Name])
            .Select(v => new ClusterMove(v.Name, nodes[runningOn[v.Name]].Node.Name, nodes[placer.NodeOf[v.Index]].Node.Name, WhyMoved(placer, nodes, refusedBy, v, runningOn[v.Name])))];
        // Under pack a plan that meets the lower bound is optimal, whichever solver made it.
        var plan = new ClusterPlan(assignments, unplaced, moves, bound, provenOptimal && unplaced.Count == 0, solver)
        {
            Problems = haProblem is null ? [] : [haProblem],
        };
        return request.Policy == PlacementPolicy.Pack && unplaced.Count == 0 && haProblem is null && plan.NodesUsed == bound.Nodes
            ? plan with { ProvenOptimal = true }
            : plan;
    }

    // Step 2: every node in use, checked and planned; refused VMs placed again elsewhere until all nodes plan.
    private static Plan?[] PlanNodes(ClusterRequest request, NodeState[] nodes, VmDemand[] vms, HeuristicPlacer placer, Dictionary<(int Vm, int Node), string> refusedBy, ref bool provenOptimal)
    {
        var plans = new Plan?[nodes.Length];
        var dirty = new HashSet<int>(Enumerable.Range(0, nodes.Length).Where(n => nodes[n].VmCount > 0));
        for (int round = 0; dirty.Count > 0 && round <= vms.Length; round++)
        {
            int[] todo = [.. dirty.Order()];
            dirty.Clear();
            var refusals = new (VmDemand Vm, string Why)?[todo.Length];
            List<VmDemand>[] byNode = ByNode(nodes.Length, vms, placer);
            Parallel.For(0, todo.Length, i =>
            {
                int n = todo[i];
                (plans[n], refusals[i]) = PlanNode(request, nodes[n].Node, byNode[n]);
            });

            for (int i = 0; i < todo.Length; i++)
            {
                if (refusals[i] is not ({ } refused, string why))
                {
                    continue;
                }

                // The node's own planner has the last word: the VM leaves, the node is recounted without it, and the
                // VM is placed again on another node (which is planned in the next round).
                int n = todo[i];
                provenOptimal = false;
                placer.Forbid(refused, n);
                refusedBy[(refused.Index, n)] = why;
                placer.Recount(n);
                dirty.Add(n);
                if (placer.Place(refused))
                {
                    dirty.Add(placer.NodeOf[refused.Index]);
                }
            }
        }

        return plans;
    }

    // After the planners' refusals moved VMs (each to a node the counters took it on, perhaps a new one): nodes emptied
    // again, each emptying kept only when every node it changed plans.
    private static void EmptyPlannedNodes(ClusterRequest request, NodeState[] nodes, VmDemand[] vms, Dictionary<string, int> runningOn, HeuristicPlacer placer, Plan?[] plans)
    {
        placer.EmptyNodes(runningOn, LowerBounds.Of(nodes, vms, ha: 0).Nodes, (emptied, touched) =>
        {
            List<VmDemand>[] byNode = ByNode(nodes.Length, vms, placer);
            var planned = new Plan?[touched.Length];
            for (int i = 0; i < touched.Length; i++)
            {
                (planned[i], var refused) = PlanNode(request, nodes[touched[i]].Node, byNode[touched[i]]);
                if (refused is ({ } vm, _))
                {
                    return (vm.Index, touched[i]);
                }
            }

            plans[emptied] = null;
            for (int i = 0; i < touched.Length; i++)
            {
                plans[touched[i]] = planned[i];
            }

            return null;
        });
    }

    // One node as check and plan see it: its rules' errors, else the host planner's; the VM to send away, if any, and
    // the first error that names it (else the first error).
    private static (Plan? Plan, (VmDemand Vm, string Why)? Refused) PlanNode(ClusterRequest request, ClusterNode node, List<VmDemand> onNode)
    {
        Declaration declaration = request.Declaration with { Host = node.Policy, Vms = [.. onNode.Select(v => v.Spec)], Nodes = [] };
        List<(string Message, string Code)> errors = [.. DeclarationRules.Check(declaration, node.Host).Where(d => d.Severity == Severity.Error).Select(d => (d.Message, d.Code))];
        if (errors.Count == 0)
        {
            var incumbents = node.Running.Where(r => r.Value is not null).ToDictionary(r => r.Key, r => r.Value!, StringComparer.Ordinal);
            PlanResult result = HostPlanner.Plan(node.Host, declaration, incumbents);
            if (result.Plan is { } plan)
            {
                return (plan, null);
            }

            errors = [.. result.Errors.Select(e => (e.Message, Rules.CannotPlan.Code))];
        }

        VmDemand refused = Largest(onNode.Where(v => errors.Any(e => e.Message.Contains($"'{v.Name}'", StringComparison.Ordinal)))) ?? Largest(onNode)!;
        (string message, string code) = errors.FirstOrDefault(e => e.Message.Contains($"'{refused.Name}'", StringComparison.Ordinal), errors[0]);
        return (null, (refused, $"its planner refused it ({code}: {message})"));
    }

    // The VMs of each node, in declaration order.
    private static List<VmDemand>[] ByNode(int count, VmDemand[] vms, HeuristicPlacer placer)
    {
        var byNode = new List<VmDemand>[count];
        for (int n = 0; n < count; n++)
        {
            byNode[n] = [];
        }

        foreach (VmDemand vm in vms.Where(v => placer.NodeOf[v.Index] >= 0))
        {
            byNode[placer.NodeOf[vm.Index]].Add(vm);
        }

        return byNode;
    }

    private static VmDemand? Largest(IEnumerable<VmDemand> vms) =>
        vms.OrderByDescending(v => v.CpusFor(v.Vcpus, 1)).ThenByDescending(v => v.MemoryMiB).ThenBy(v => v.Index).FirstOrDefault();
}
