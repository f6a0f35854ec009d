"""Richards (pyperformance's richards, the classic OS task scheduler simulation): method calls,
attribute access and small objects, the object-oriented hot path.

    richards.py [--scale F] [--iterations N]
"""

from workload_support import arguments, checksum

IDLE, WORK, HANDLER_A, HANDLER_B, DEVICE_A, DEVICE_B = range(6)
K_DEV, K_WORK = 1000, 1001


class Packet:
    def __init__(self, link, ident, kind):
        self.link = link
        self.ident = ident
        self.kind = kind
        self.datum = 0
        self.data = [0] * 4

    def append_to(self, lst):
        self.link = None
        if lst is None:
            return self
        p = lst
        nxt = p.link
        while nxt is not None:
            p = nxt
            nxt = p.link
        p.link = self
        return lst


class Task:
    def __init__(self, scheduler, ident, priority, queue, runnable, work):
        self.scheduler = scheduler
        self.ident = ident
        self.priority = priority
        self.queue = queue
        self.runnable = runnable
        self.held = False
        self.waiting = queue is not None and not runnable
        self.work = work
        self.link = scheduler.tasks
        scheduler.tasks = self
        scheduler.table[ident] = self

    def ready(self):
        return self.runnable and not self.held

    def add_packet(self, packet, task):
        if self.queue is None:
            self.queue = packet
            self.runnable = True
            if self.priority > task.priority:
                return self
        else:
            self.queue = packet.append_to(self.queue)
        return task


class Scheduler:
    def __init__(self):
        self.tasks = None
        self.table = [None] * 6
        self.hold_count = 0
        self.queue_count = 0

    def release(self, ident):
        task = self.table[ident]
        task.held = False
        if task.priority > self.current.priority:
            return task
        return self.current

    def queue(self, packet):
        task = self.table[packet.ident]
        self.queue_count += 1
        packet.link = None
        packet.ident = self.current.ident
        return task.add_packet(packet, self.current)

    def hold(self):
        self.hold_count += 1
        self.current.held = True
        return self.current.link

    def wait(self):
        self.current.runnable = False
        return self.current

    def run(self):
        self.current = self.tasks
        while self.current is not None:
            task = self.current
            if task.waiting and task.queue is not None:
                packet = task.queue
                task.queue = packet.link
                task.runnable = task.queue is not None or task.runnable
                task.waiting = False
                self.current = task.work(self, task, packet)
            elif task.ready() and not task.waiting:
                self.current = task.work(self, task, None)
            else:
                self.current = task.link


def idle_work(s, task, packet):
    task.count -= 1
    if task.count == 0:
        return s.hold()
    if task.control & 1 == 0:
        task.control //= 2
        return s.release(DEVICE_A)
    task.control = task.control // 2 ^ 0xD008
    return s.release(DEVICE_B)


def work_work(s, task, packet):
    if packet is None:
        return s.wait()
    task.destination = HANDLER_B if task.destination == HANDLER_A else HANDLER_A
    packet.ident = task.destination
    packet.datum = 0
    for i in range(4):
        task.count += 1
        if task.count > 26:
            task.count = 1
        packet.data[i] = task.count
    return s.queue(packet)


def handler_work(s, task, packet):
    if packet is not None:
        if packet.kind == K_WORK:
            task.work_in = packet.append_to(task.work_in)
        else:
            task.device_in = packet.append_to(task.device_in)
    if task.work_in is not None:
        work = task.work_in
        count = work.datum
        if count < 4:
            if task.device_in is not None:
                dev = task.device_in
                task.device_in = dev.link
                dev.datum = work.data[count]
                work.datum = count + 1
                return s.queue(dev)
        else:
            task.work_in = work.link
            return s.queue(work)
    return s.wait()


def device_work(s, task, packet):
    if packet is None:
        if task.pending is None:
            return s.wait()
        packet = task.pending
        task.pending = None
        return s.queue(packet)
    task.pending = packet
    return s.hold()


def run_once():
    s = Scheduler()
    idle = Task(s, IDLE, 0, None, True, idle_work)
    idle.control, idle.count = 1, 10000
    wq = Packet(Packet(None, 0, K_WORK), 0, K_WORK)
    worker = Task(s, WORK, 1000, wq, False, work_work)
    worker.destination, worker.count = HANDLER_A, 0
    for ident, priority in ((HANDLER_A, 2000), (HANDLER_B, 3000)):
        q = Packet(None, DEVICE_A if ident == HANDLER_A else DEVICE_B, K_DEV)
        q = Packet(q, q.ident, K_DEV)
        q = Packet(q, q.ident, K_DEV)
        handler = Task(s, ident, priority, q, False, handler_work)
        handler.work_in = handler.device_in = None
    for ident, priority in ((DEVICE_A, 4000), (DEVICE_B, 5000)):
        device = Task(s, ident, priority, None, False, device_work)
        device.pending = None
    s.run()
    return s.queue_count, s.hold_count


def main():
    args = arguments(__doc__.splitlines()[0], iterations=200).parse_args()
    results = [run_once() for _ in range(max(1, int(args.iterations * args.scale)))]
    print(f"{len(results)} runs, {results[0]}, checksum {checksum(results)}")


if __name__ == "__main__":
    main()
