# This file is part of the EV charging platform. The COPYRIGHT file at the
# top level of this repository holds the copyright notices and license terms.
"Helpers of the cross-process OCPP tests"
import asyncio
import time


def run(coroutine, timeout=90):
    "Run a scenario, bounded in time"
    return asyncio.run(asyncio.wait_for(coroutine, timeout))


async def until(check, timeout=15, interval=0.05):
    "Poll check() in a thread until it returns something true; return it"
    deadline = time.monotonic() + timeout
    while True:
        result = await asyncio.to_thread(check)
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError('timed out waiting for %s' % check)
        await asyncio.sleep(interval)


def rpc(operator, model, method, *args):
    "Return the coroutine of an RPC call as the operator"
    return asyncio.to_thread(operator.model, model, method, *args)
