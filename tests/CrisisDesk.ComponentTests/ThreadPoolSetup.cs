using System.Runtime.CompilerServices;

namespace CrisisDesk.ComponentTests;

/// <summary>
/// xunit runs the test classes in parallel and bUnit's synchronous Click/Input block a pool thread each; on a two-core
/// CI machine the pool's default minimum (one per core) left a renderer's dispatcher without a thread until a
/// WaitFor timed out with "the wait condition was never checked". A larger minimum keeps the dispatchers running.
/// </summary>
internal static class ThreadPoolSetup
{
    [ModuleInitializer]
    internal static void RaiseMinThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, Environment.ProcessorCount * 8), io);
    }
}
