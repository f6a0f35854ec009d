# rules: plain-data, handles  (Session() is not plain data; id() is a handle of it)
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
