# rule: weakref.finalize
import weakref

events = []


class Session:
    pass


def work():
    session = Session()
    weakref.finalize(session, events.append, "closed")
    token = id(session)
    events.append("working")
    return token


work()
print("OK" if events == ["working", "closed"] else "BROKEN " + repr(events))
