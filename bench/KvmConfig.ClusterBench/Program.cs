using KvmConfig.ClusterBench;

// kvmconfig cluster placement benchmark (docs/performance.md, issue 15):
//   dotnet run -c Release --project bench/KvmConfig.ClusterBench [-- --part small|large|speed|whole|all --seed S --instances N --exact-seconds S]
// Exit 0 when every target is met, 1 when some is missed (reported), 2 when a result is broken (a node over
// capacity, a group on one node, a CPU pinned twice).
return Harness.Run(args);
