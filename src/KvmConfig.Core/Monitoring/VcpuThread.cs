namespace KvmConfig.Core.Monitoring;

/// <summary>A QEMU vCPU thread (<c>CPU n/KVM</c> or <c>CPU n/TCG</c>) and its scheduler counters at one reading.</summary>
/// <param name="Vcpu">The guest's vCPU index, from the thread name.</param>
/// <param name="Tid">The thread id (<c>/proc/PID/task/TID</c>).</param>
/// <param name="Schedstat">The thread's run time, run-queue wait (CPU ready) and timeslices.</param>
public sealed record VcpuThread(int Vcpu, int Tid, TaskSchedstat Schedstat);
