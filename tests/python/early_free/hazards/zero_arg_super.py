# rules: super, plain-data  (safe never frees self, an argument whose callers it cannot see)
class Base:
    def describe(self):
        return "base"


class Child(Base):
    def describe(self):
        name = type(self).__name__
        label = name.lower()
        return label + "/" + super().describe()


print("OK" if Child().describe() == "child/base" else "BROKEN")
