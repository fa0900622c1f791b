# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"""How a simulated charger answers the calls of the CSMS"""
from dataclasses import dataclass, field

# accept: as a working charger; reject: the action's refusal status (or a
# CallError when the action has none); error: a CallError InternalError;
# silent: no answer at all, so the CSMS's timeout can be tested.
ANSWERS = {'accept', 'reject', 'error', 'silent'}


@dataclass
class Behaviour:
    "Answers and answer delays per OCPP action, '*' standing for any"
    answers: dict = field(default_factory=dict)
    delays: dict = field(default_factory=dict)

    def __post_init__(self):
        for action, answer in self.answers.items():
            if answer not in ANSWERS:
                raise ValueError('unknown answer %r for %s' % (answer, action))

    def set(self, action, answer=None, delay=None):
        "Change how action is answered and return the behaviour"
        if answer is not None:
            if answer not in ANSWERS:
                raise ValueError('unknown answer %r' % answer)
            self.answers[action] = answer
        if delay is not None:
            self.delays[action] = delay
        return self

    def answer(self, action):
        "Return how action is answered"
        return self.answers.get(action, self.answers.get('*', 'accept'))

    def delay(self, action):
        "Return the seconds to wait before answering action"
        return self.delays.get(action, self.delays.get('*', 0))
