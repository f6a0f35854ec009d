#include "purge_thread.hpp"

#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "region.hpp"

namespace shrinkpy::alloc {

void PurgeThread::wake() {
    if (!enabled_) return;
    if (started_) {
        if (sleeping_) pthread_cond_signal(&cond_);
        return;
    }
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cond_, &attr);
    pthread_condattr_destroy(&attr);

    pthread_attr_t thread_attr;
    pthread_attr_init(&thread_attr);
    size_t page = size_t(sysconf(_SC_PAGESIZE));
    size_t stack = 256 * 1024 > 4 * page ? 256 * 1024 : 4 * page;  // a few frames (sanitizers: bigger ones)
    pthread_attr_setstacksize(&thread_attr, stack);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);  // the thread inherits a mask that blocks everything
    started_ = pthread_create(&thread_, &thread_attr, main, this) == 0;
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    pthread_attr_destroy(&thread_attr);
    if (!started_) enabled_ = false;  // no thread: purges wait for pools to come and go
}

void PurgeThread::after_fork_in_child() {
    // The thread stayed in the parent; wake() starts one (and initialises the condition variable,
    // which may still count the parent's thread as a waiter) when needed.
    started_ = false;
    sleeping_ = false;
}

void PurgeThread::stop() {
    region_.lock();
    bool running = started_;
    stopping_ = true;
    if (running) pthread_cond_signal(&cond_);
    region_.unlock();
    if (running) pthread_join(thread_, nullptr);
}

void* PurgeThread::main(void* self) {
    static_cast<PurgeThread*>(self)->run();
    return nullptr;
}

void PurgeThread::run() {
    region_.lock();
    while (!stopping_) {
        uint64_t wait_ms = region_.purge_due_locked();
        if (wait_ms == Region::kNothingDue) {
            sleeping_ = true;
            pthread_cond_wait(&cond_, region_.mutex());
            sleeping_ = false;
            continue;  // woken: purge what is due, or stop
        }
        // Until it is due, the process's growth is watched (Region::offset_process_growth).
        if (wait_ms > Region::kWatchMs) wait_ms = Region::kWatchMs;
        // The region's clock is the coarse one, a tick behind CLOCK_MONOTONIC: a millisecond more.
        timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t ns = uint64_t(until.tv_nsec) + (wait_ms + 1) * 1000000;
        until.tv_sec += time_t(ns / 1000000000);
        until.tv_nsec = long(ns % 1000000000);
        pthread_cond_timedwait(&cond_, region_.mutex(), &until);
        if (!stopping_) {
            region_.unlock();
            region_.offset_process_growth();
            region_.lock();
        }
    }
    region_.unlock();
}

}  // namespace shrinkpy::alloc
