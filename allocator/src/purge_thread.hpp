// The purge thread: delayed purges (region.hpp) on time while the program is quiet.
//
// Pools beyond the queue's allowance wait ArenaConfig::purge_delay_ms before their pages go back;
// the region checks for due pools whenever pools come and go, but a program that drops a structure
// and then sleeps, blocks on a socket or computes without allocating would keep them for good. This
// thread sleeps until the oldest of them is due, purges, and sleeps again; with nothing waiting
// beyond the allowance it sleeps until woken (no timer, no CPU). While pools wait, it wakes every
// Region::kWatchMs to check that the process as a whole (other allocators too) has not passed its
// peak because of them (Region::offset_process_growth). It is started the first time the
// queue goes beyond its allowance, so a program that never drops much never has it.
//
// It touches only the region (under the region's mutex: the heaps and the GIL are never its
// business), blocks every signal (Python's handlers run on the main thread), and runs on a small
// stack. fork(): the child has no purge thread; the region's child handler (after_fork_in_child)
// resets the state so that it starts again when needed. If it cannot be started, purges stay
// delayed until pools come and go, as without it.
#pragma once

#include <pthread.h>

#include <cstdint>

namespace shrinkpy::alloc {

class Region;

class PurgeThread {
public:
    explicit PurgeThread(Region& region) : region_(region) {}

    void enable() { enabled_ = true; }
    // There is something beyond the allowance to purge later (region lock held): starts the thread,
    // or wakes it when it sleeps without a timer.
    void wake();
    void after_fork_in_child();
    // Ends the thread and waits for it (Arena::destroy: tests and benchmarks). Region lock not held.
    void stop();

private:
    static void* main(void* self);
    void run();  // region lock held throughout, but while waiting and watching

    Region& region_;
    pthread_cond_t cond_ = PTHREAD_COND_INITIALIZER;  // CLOCK_MONOTONIC once started
    bool enabled_ = false;
    bool started_ = false;
    bool sleeping_ = false;  // waiting without a timer: wake() signals
    bool stopping_ = false;
    pthread_t thread_{};
};

}  // namespace shrinkpy::alloc
