# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"The chargers this daemon holds, by identity"


class Registry:

    def __init__(self):
        self._sessions = {}

    def __len__(self):
        return len(self._sessions)

    def __iter__(self):
        return iter(list(self._sessions.values()))

    def get(self, identity):
        return self._sessions.get(identity)

    def add(self, identity, session):
        "Register session; return the one it replaces, if any"
        previous = self._sessions.get(identity)
        self._sessions[identity] = session
        return previous

    def remove(self, identity, session):
        "Forget session unless a newer one took its place; return if it did"
        if self._sessions.get(identity) is session:
            del self._sessions[identity]
            return True
        return False
